"""``atsnb serve``: the Voila dashboards for managers, behind a token or a password."""

from __future__ import annotations

import argparse
import getpass
import os

from atsnb.commands import context_from
from atsnb.errors import AtsnbError
from atsnb.reports.registry import REPORTS

PASSWORD_ENV = "ATSNB_ACCESS_ADMIN_PASSWORD"  # the setting access.admin_password


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve the dashboards (Voila) in the browser",
        description=f"Serve the dashboards ({', '.join(REPORTS)}) and the directories editor with Voila. "
        "Three roles log in separately: viewers (the reports), editors (also the directories), administrators "
        "(everything). By default each role gets a token (the [access] settings' or a fresh one, printed in its "
        "address); --password logs in with the [access] passwords instead, asking for the administrators' "
        f"when none is set (or taking it from ${PASSWORD_ENV}). Pages: /voila/render/<name>.ipynb; "
        "read-only views without a kernel: /atsnb/view/<report>. See docs/security.md.",
    )
    p.add_argument("--port", type=int, help="port to listen on (default 8866, or a free one if it is taken)")
    p.add_argument("--ip", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1; 0.0.0.0 for every interface, e.g. behind nginx)")
    auth = p.add_mutually_exclusive_group()
    auth.add_argument("--no-auth", action="store_true", help="no token or password (allowed only on loopback)")
    auth.add_argument("--password", action="store_true",
                      help="log in with the role passwords of the [access] settings instead of tokens; "
                      f"without any, the administrators' password is asked now (or read from ${PASSWORD_ENV})")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--no-preheat", action="store_true", help="do not keep a warm kernel for the main dashboard")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from atsnb.serve import serve_dashboards

    settings = context_from(args).settings
    password = None
    access = settings.access
    if args.password and not (access.viewer_password or access.editor_password or access.admin_password):
        password = getpass.getpass("Password for the dashboards (administrators): ")
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
        settings_file=args.config or os.environ.get("ATSNB_CONFIG") or None,  # the settings page edits it
    )
