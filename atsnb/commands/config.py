"""``atsnb config``: print the effective configuration, secrets masked."""

from __future__ import annotations

import argparse
import json

from atsnb.commands import context_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "config",
        help="print the effective configuration (file + ATSNB_* variables), passwords masked",
        description="Print the settings atsnb will use: defaults, overridden by the TOML file "
        "(--config or ATSNB_CONFIG), overridden by ATSNB_<SECTION>_<KEY> variables, ATSNB_PBX_URL "
        "and ATSNB_STORE.  Passwords and tokens are shown as ********.",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of TOML")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    masked = context_from(args).settings.masked()
    if args.json:
        print(json.dumps(masked, indent=2, ensure_ascii=False))
        return 0
    for section, values in masked.items():
        print(f"[{section}]")
        for key, value in values.items():
            print(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        print()
    return 0
