"""``atsnb demo``: a living simulated company in the dashboards, without any PBX or server.

The first run simulates ``--days`` of history into the demo store (a progress bar shows the sync);
later runs reuse it and only add the calls since it was last used.  While the dashboards are open
the company keeps calling in real time, so the wall-board and the missed-call alerts have news.

The demo store is ``$ATSNB_STORE`` when that is set, otherwise ``.atsnb/demo-store`` in the current
folder — never the default store of a real installation.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path

import pandas as pd

from atsnb.commands import context_from
from atsnb.config import Settings
from atsnb.i18n import t

log = logging.getLogger(__name__)
DEMO_STORE = Path(".atsnb") / "demo-store"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="simulate a company (once) and open its dashboards",
        description="Simulate a company's calls into the demo store (the first time: --days of history, "
        "later: only the calls since the last run), keep it calling in real time, and open the dashboards "
        "in Voila.  The demo store is $ATSNB_STORE if set, else .atsnb/demo-store in the current folder.",
    )
    p.add_argument("--port", type=int, help="port for the dashboards (default 8866, or a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--days", type=int, default=90, help="days of history for a new demo store (default 90)")
    p.add_argument("--seed", type=int, default=1, help="random seed of the simulated company (default 1)")
    p.add_argument("--no-live", action="store_true", help="no live calls while the dashboards are open")
    p.set_defaults(run=run)


def demo_settings(args: argparse.Namespace) -> Settings:
    settings = context_from(args).settings
    if not os.environ.get("ATSNB_STORE"):
        settings.store.path = str(DEMO_STORE.resolve())
    return settings


def run(args: argparse.Namespace) -> int:
    from atsnb.commands.simulate import build_history
    from atsnb.flow import store_sink
    from atsnb.simulate.targets import recordings_folder

    settings = demo_settings(args)
    sink = store_sink(settings, progress=sys.stderr.isatty())
    fresh = sink.history_end() is None
    print(t("demo.building", days=args.days, path=sink.describe()) if fresh else t("demo.reusing", path=sink.describe()),
          flush=True)
    options = {"seed": args.seed, "employees": 20, "calls_per_day": None, "flavour": "freepbx",
               "recordings_share": 0.6}
    end = build_history(sink, settings, days=args.days, **options)
    if not settings.recordings.folder:
        settings.recordings.folder = str(recordings_folder(sink.store))
    if not args.no_live:
        sink.progress = False
        # Live calls arrive as often as a real sync would bring them (sync.follow_interval_s, 60 s):
        # every write rewrites the month's files, so a shorter tick would only burn the CPU.
        threading.Thread(target=_live, args=(sink, settings.pbx.timezone, end, options,
                                             float(settings.sync.follow_interval_s)),
                         daemon=True, name="atsnb-demo-live").start()
    try:
        from atsnb.serve import serve_dashboards
    except ImportError:
        print(t("demo.no_dashboards", path=sink.describe()), flush=True)
        return 0
    return serve_dashboards(settings, port=args.port, open_browser=not args.no_browser, demo=True)


def _live(sink, tz: str, start: pd.Timestamp, options: dict, tick_s: float) -> None:
    """Background follower: live calls every ``tick_s``; a failure is logged, never raised into the server."""
    from atsnb.simulate.follow import follow

    try:
        follow(sink, tz=tz, start=start, tick_s=tick_s, **options)
    except Exception:  # the dashboards stay up even if the live feed stops
        log.exception("the live demo calls stopped")
