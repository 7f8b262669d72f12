"""``atsnb directory``: look at, fill, import and export the directories (docs/directories.md)."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from atsnb.commands import context_from
from atsnb.config import MASK
from atsnb.directory.csv_io import export_csv, export_text, import_csv
from atsnb.directory.fill import FillResult, fill_employees, fill_lines
from atsnb.directory.rules import check_stored, title
from atsnb.errors import InputError
from atsnb.i18n import t
from atsnb.store import DIRECTORIES, Store

NAMES = ", ".join(DIRECTORIES)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "directory",
        help="list, fill from the PBX records, import and export the directories (employees, lines, …)",
        description="The directories are the company's reference data: departments, employees, external "
        f"lines, partners, red phones, efficiency panels, monitors, Telegram bots and subscribers, "
        f"mailings ({NAMES}).  They live in the store's catalog and can be filled from the call records, "
        "imported from CSV and exported to CSV.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("list", help="every directory with its number of rows",
                           description="List the directories, how many rows each has and what it holds.")
    a.set_defaults(run=run_list)
    a = actions.add_parser("show", help="print the rows of one directory",
                           description="Print the rows of one directory as a table (tokens masked).")
    a.add_argument("name", metavar="NAME", choices=list(DIRECTORIES), help=f"the directory: {NAMES}")
    a.set_defaults(run=run_show)
    a = actions.add_parser(
        "check", help="check the stored directories against the rules an import applies",
        description="Check every row of the stored directories (or of one) as an import would: values, "
        "required fields, references between directories, department cycles.  For rows written "
        "without a check (straight into the SQLite file, by older versions).  Exits with 1 on problems.")
    a.add_argument("name", metavar="NAME", nargs="?", choices=list(DIRECTORIES),
                   help=f"one directory ({NAMES}); default: all")
    a.set_defaults(run=run_check)
    a = actions.add_parser(
        "fill-lines", help="add the DIDs and outbound caller ids seen in the synced records to 'lines'",
        description="Scan the call records in the store for company numbers: the DID of every incoming "
        "call and the outbound caller id of every outgoing one.  New numbers are added to the 'lines' "
        "directory; existing rows keep their names and only get calls / first_seen / last_seen / "
        "seen_as refreshed.  Run 'atsnb sync' first.")
    a.set_defaults(run=run_fill, fill=fill_lines, directory="lines")
    a = actions.add_parser(
        "fill-employees", help="add the extensions seen in the synced records to 'employees'",
        description="Scan the call records in the store for extensions: phone channels PJSIP/<ext>-…, "
        "SIP/<ext>-… and the caller number (cnum) of calls placed from phones; trunk peers are left out "
        "(the saved topology says which peers are trunks, else named peers count as trunks).  New "
        "extensions are added as active employees without a name; existing rows keep names and "
        "departments and only get calls / first_seen / last_seen refreshed.")
    a.set_defaults(run=run_fill, fill=fill_employees, directory="employees")
    a = actions.add_parser(
        "import", help="load a directory from a CSV file (all rows checked; nothing written on errors)",
        description="Load a CSV file into a directory.  UTF-8 with or without BOM (or Windows-1251), "
        "';' or ',' separated; the first line names the columns by their names or Russian aliases "
        "(e.g. Добавочный, ФИО, Отдел).  Every row is checked; all problems are listed with file, line "
        "and field, and nothing is written until there are none.  Columns missing from the file keep "
        "their stored values.  See docs/directories.md for each directory's columns.")
    a.add_argument("name", metavar="NAME", choices=list(DIRECTORIES), help=f"the directory: {NAMES}")
    a.add_argument("file", metavar="FILE", help="the CSV file")
    a.add_argument("--replace", action="store_true",
                   help="make the directory exactly the file: rows not in the file are removed")
    a.set_defaults(run=run_import)
    a = actions.add_parser(
        "export", help="write a directory to a CSV file (or to the terminal)",
        description="Write a directory as CSV: UTF-8 with BOM, ';' separated, header = column names, "
        "so Excel opens it and 'atsnb directory import' reads it back.  Tokens are left empty.")
    a.add_argument("name", metavar="NAME", choices=list(DIRECTORIES), help=f"the directory: {NAMES}")
    a.add_argument("file", metavar="FILE", nargs="?", help="where to write; without it the CSV is printed")
    a.set_defaults(run=run_export)


def _store(args: argparse.Namespace) -> Store:
    return context_from(args).store


def run_list(args: argparse.Namespace) -> int:
    catalog = _store(args).catalog
    rows = [(name, title(name), len(catalog.read(name))) for name in DIRECTORIES]
    width = max(len(name) for name in DIRECTORIES)
    print(t("dir_cli_list_header"))
    for name, caption, count in rows:
        print(f"{name:<{width}}  {count:>6}  {caption}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    df = _store(args).catalog.read(args.name)
    if df.empty:
        print(t("dir_cli_empty", title=title(args.name)))
        return 0
    for c in DIRECTORIES[args.name].columns:
        if c.kind == "secret":
            df[c.name] = df[c.name].map(lambda v: MASK if isinstance(v, str) and v else "")
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200):
        print(df.fillna("").to_string(index=False))
    return 0


def run_check(args: argparse.Namespace) -> int:
    catalog = _store(args).catalog
    problems = 0
    for name in [args.name] if args.name else DIRECTORIES:
        found = check_stored(catalog, name)
        problems += len(found)
        for problem in found:
            print(problem.describe(name))
    print(t("dir_cli_checked", count=problems))
    return 1 if problems else 0


def run_fill(args: argparse.Namespace) -> int:
    store = _store(args)
    if not store.table("cdr").months():
        raise InputError(t("dir_cli_no_records"))
    result: FillResult = args.fill(store, progress=sys.stderr.isatty())
    print(t("dir_cli_filled", title=title(args.directory), seen=len(result.seen), added=result.added,
            updated=result.updated))
    key = DIRECTORIES[args.directory].key[0]
    for value in result.seen.loc[result.seen.new, key]:
        print(f"  + {value}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    result = import_csv(_store(args).catalog, args.name, args.file, replace=args.replace)
    print(t("dir_cli_imported", title=title(args.name), added=result.added, updated=result.updated,
            removed=result.removed))
    return 0


def run_export(args: argparse.Namespace) -> int:
    catalog = _store(args).catalog
    if args.file is None:
        sys.stdout.write(export_text(catalog, args.name).replace("\r\n", "\n"))
        return 0
    count = export_csv(catalog, args.name, args.file)
    print(t("dir_cli_exported", title=title(args.name), count=count, file=args.file))
    return 0
