"""The ``atsnb`` command.  Each subcommand lives in its own module under :mod:`atsnb.commands`
and registers itself with ``register(subparsers)``; this file only wires them together and turns
:class:`~atsnb.errors.AtsnbError` into one clear line on stderr and a non-zero exit code."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from atsnb.errors import AtsnbError

# Order = order in --help.
COMMANDS = ["config", "check", "sync", "directory", "registry", "simulate", "demo", "serve", "mail", "telegram", "alerts"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="atsnb",
        description="Call analytics for Asterisk-based PBXs: sync the PBX call records into a local store, "
        "rebuild every call's route, and publish reports as Jupyter/Voila dashboards.",
    )
    parser.add_argument("--config", metavar="FILE", help="settings file (TOML); default: $ATSNB_CONFIG")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"atsnb.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.run(args) or 0)
    except AtsnbError as exc:
        print(f"atsnb: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("atsnb: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
