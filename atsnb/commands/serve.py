"""``atsnb serve``: the Voila dashboards for managers, behind a token or a password."""

from __future__ import annotations

import argparse
import getpass
import os

from atsnb.commands import context_from
from atsnb.errors import AtsnbError
from atsnb.reports.registry import REPORTS

PASSWORD_ENV = "ATSNB_SERVE_PASSWORD"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the dashboards (Voila) in the browser",
        description=f"Serve the dashboards ({', '.join(REPORTS)}) and the directories editor with Voila. "
        "By default a fresh token is generated and printed once in the address; --password asks "
        f"for a password instead (or takes it from ${PASSWORD_ENV}). Pages: /voila/render/<name>.ipynb.",
    )
    p.add_argument("--port", type=int, help="port to listen on (default 8866, or a free one if it is taken)")
    p.add_argument("--ip", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; 0.0.0.0 for every interface, e.g. behind nginx)")
    auth = p.add_mutually_exclusive_group()
    auth.add_argument("--no-auth", action="store_true", help="no token or password (allowed only on loopback)")
    auth.add_argument("--password", action="store_true",
                      help=f"log in with a password typed now (or from ${PASSWORD_ENV}) instead of a token")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--no-preheat", action="store_true", help="do not keep a warm kernel for the main dashboard")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from atsnb.serve import serve_dashboards

    settings = context_from(args).settings
    password = None
    if args.password:
        password = os.environ.get(PASSWORD_ENV) or getpass.getpass("Password for the dashboards: ")
        if not password:
            raise AtsnbError("The dashboard password is empty; type one or set " + PASSWORD_ENV + ".")
    return serve_dashboards(
        settings,
        port=args.port,
        ip=args.ip,
        no_auth=args.no_auth,
        password=password,
        open_browser=not args.no_browser,
        preheat=not args.no_preheat,
    )
