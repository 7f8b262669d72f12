"""``atsnb simulate``: not built yet."""

from __future__ import annotations

import argparse

from atsnb.errors import AtsnbError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="(coming)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise AtsnbError("atsnb simulate is not available yet.")
