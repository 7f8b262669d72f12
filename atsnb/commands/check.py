"""``atsnb check``: check PBX availability and tell, in plain words, what was found and what is missing."""

from __future__ import annotations

import argparse
import json

from atsnb.commands import context_from
from atsnb.errors import PBXConnectionError
from atsnb.source.check import check_pbx, render
from atsnb.source.mysql import endpoint


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check the PBX database: connection, tables, flavour, newest record, read-only user",
        description="Connect to the PBX database (with the connect timeout) and report the round trip, "
        "server version, which of cdr / cel / queue_log / ratings / callbacks exist with their flavour and "
        "missing columns, the newest record against now (clock or time-zone skew), rows in the last 24 h "
        "and whether the user is read-only.  Exit code 0 when a sync is possible, 1 when not, 2 when the "
        "database cannot be reached.",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = context_from(args).settings
    if not args.json:
        report = check_pbx(settings)
        print("\n".join(render(report)))
        return 0 if report.ok else 1
    try:
        report = check_pbx(settings)
    except PBXConnectionError as exc:
        print(json.dumps({"ok": False, "endpoint": str(endpoint(settings)), "error": str(exc)}, ensure_ascii=False))
        return 2
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    return 0 if report.ok else 1
