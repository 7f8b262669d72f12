"""``atsnb check``: check PBX availability and tell, in plain words, what was found and what is missing.

``atsnb check --calls`` checks the store instead: the data-quality audit of a period (raw records
→ calls, rows merged, repaired or skipped, answers resting on CDR alone, open calls;
docs/data-quality.md).
"""

from __future__ import annotations

import argparse
import json

from atsnb.commands import context_from
from atsnb.errors import InputError, PBXConnectionError
from atsnb.reports.period import PRESETS
from atsnb.source.check import check_pbx, render
from atsnb.source.mysql import endpoint


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check the PBX database (connection, tables, flavour, newest record, read-only user), "
        "or with --calls the quality of the stored records of a period",
        description="Connect to the PBX database (with the connect timeout) and report the round trip, "
        "server version, which of cdr / cel / queue_log / ratings / callbacks exist with their flavour and "
        "missing columns, the newest record against now (clock or time-zone skew), rows in the last 24 h "
        "and whether the user is read-only.  Exit code 0 when a sync is possible, 1 when not, 2 when the "
        "database cannot be reached.  With --calls, audit the store instead (no PBX connection): how many "
        "CDR rows, CEL events and queue_log lines of the period became how many calls, rows written twice, "
        "repaired or skipped, answers witnessed by CEL or queue_log against those from CDR only, attended "
        "transfers by a phone left unlinked, channels of an unknown technology, calls still open "
        "(docs/data-quality.md).  Exit code 0.",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--calls", action="store_true", help="audit the stored records of a period instead of the PBX")
    p.add_argument("--period", choices=PRESETS, help="with --calls: the period, as the reports take it "
                   "(default last_30_days)")
    p.add_argument("--start", metavar="DATE", help="with --calls: first day of a custom period (2025-03-01)")
    p.add_argument("--end", metavar="DATE", help="with --calls: last day of a custom period, included (default today)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.calls:
        return _audit(args)
    if args.period or args.start or args.end:
        raise InputError("--period, --start and --end choose the period of --calls; add --calls.")
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


def _audit(args: argparse.Namespace) -> int:
    """The data-quality audit of the period's stored records, as text or JSON."""
    audit = context_from(args).audit(args.period or "last_30_days", start=args.start, end=args.end)
    print(json.dumps(audit.to_dict(), ensure_ascii=False, indent=2) if args.json else audit.text())
    return 0
