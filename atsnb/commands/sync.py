"""``atsnb sync``: not built yet."""

from __future__ import annotations

import argparse

from atsnb.errors import AtsnbError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="(coming)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise AtsnbError("atsnb sync is not available yet.")
