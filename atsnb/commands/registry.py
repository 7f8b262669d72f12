"""``atsnb registry``: the numbering registry (operator and region of a number, docs/numbering.md) —
load the regulator's files into the store, say which registry is in use, look numbers up."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from atsnb.commands import context_from
from atsnb.i18n import t
from atsnb.reference.callers import Callers
from atsnb.reference.numbering_store import load_into_store, registry_status


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "registry",
        help="load the numbering registry (operator and region of every number) into the store, look numbers up",
        description="The Russian numbering plan registry published by the telecom regulator as open data: "
        "ABC-3xx.csv, ABC-4xx.csv, ABC-8xx.csv (landlines) and DEF-9xx.csv (mobiles), ';'-separated UTF-8 "
        "files.  Without a loaded registry the built-in DEF-9xx file is used (mobile numbers only).",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser(
        "load", help="read the registry files of a folder into the store (replaces the registry in use)",
        description="Read every registry file of FOLDER (ABC-3xx.csv … DEF-9xx.csv, also .csv.gz) and make "
        "them the store's registry.  Rows that cannot be read are counted with their reason and the first "
        "line they occur on, and left out; a file that is not a registry (a saved error page, another "
        "header) stops the load and the registry in use stays as it was.")
    a.add_argument("folder", metavar="FOLDER", help="the folder with the registry files (or one file)")
    a.set_defaults(run=run_load)
    a = actions.add_parser("status", help="which registry the reports use, and what its last load read",
                           description="Say whether the store has a loaded registry (and what each file of "
                           "its last load gave) or the built-in DEF-9xx file is in use.")
    a.set_defaults(run=run_status)
    a = actions.add_parser("lookup", help="the partner, operator and region of numbers",
                           description="Print the partner (partners directory), operator and region "
                           "(numbering registry) of each number, in any spelling (8 916 …, +7 916 …).")
    a.add_argument("numbers", metavar="NUMBER", nargs="+")
    a.set_defaults(run=run_lookup)


def run_load(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    store = ctx.store

    def progress(name: str, rows: int) -> None:
        print(t("reg_progress", name=name, rows=f"{rows:,}".replace(",", "\u202f")), file=sys.stderr, flush=True)

    report = load_into_store(store, args.folder, progress)
    for line in report.lines():
        print(line)
    print(t("reg_saved", path=store.root))
    return 0


def run_status(args: argparse.Namespace) -> int:
    status = registry_status(context_from(args).store)
    ranges = f"{status['ranges']:,}".replace(",", "\u202f")
    if status["source"] == "shipped":
        print(t("reg_status_shipped", ranges=ranges))
        return 0
    print(t("reg_status_store", ranges=ranges))
    for f in status["files"]:
        rejected = sum(f["rejected"].values())
        print(t("reg_file_summary", name=f["name"], read=f["read"], kept=f["kept"], rejected=rejected))
    return 0


def run_lookup(args: argparse.Namespace) -> int:
    found = Callers.from_store(context_from(args).store).identify(pd.Series(args.numbers, dtype=object))
    for number, row in zip(args.numbers, found.itertuples(index=False), strict=True):
        if not any(row):
            print(t("reg_lookup_none", number=number))
            continue
        print(" · ".join(part for part in (number, row.partner, row.operator, row.region) if part))
    return 0
