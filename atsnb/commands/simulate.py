"""``atsnb simulate``: write a simulated company's PBX history into a MySQL database or the store."""

from __future__ import annotations

import argparse
import sys
import time

import pandas as pd

from atsnb.commands import context_from
from atsnb.config import Settings
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.simulate.company import MAX_EMPLOYEES
from atsnb.simulate.sinks import Sink
from atsnb.simulate.style import PbxStyle


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="write a simulated company's call history (CDR, CEL, queue_log, ratings, callbacks)",
        description="Simulate a company on a FreePBX-style Asterisk: departments, ~20 employees, several "
        "external lines, an IVR, queues, ring groups, transfers, forwards to mobiles, voicemail, quality "
        "ratings, website callbacks and recordings, row by row as the PBX writes them.  --to store (the "
        "default) feeds them through the sync into the local store; --to mysql://user:pass@host:port/db "
        "creates the PBX tables there.  The same --seed and --end always give the same rows.",
    )
    p.add_argument("--to", default="store", metavar="TARGET",
                   help="'store' (the embedded store of the settings, $ATSNB_STORE) or mysql://user:pass@host:port/db")
    p.add_argument("--flavour", default="freepbx", choices=["freepbx", "asterisk", "legacy"],
                   help="PBX table layout to write (default freepbx)")
    p.add_argument("--days", type=int, default=90, help="days of history ending now (default 90)")
    p.add_argument("--end", metavar="TIME", help="end the history at this local time instead of now, "
                   "e.g. '2026-11-20 18:00' (with --seed: the very same rows every time)")
    p.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same rows (default 1)")
    p.add_argument("--employees", type=int, default=20, help="number of employees (default 20)")
    p.add_argument("--calls-per-day", type=float, help="calls on an ordinary weekday (default 20 per employee)")
    p.add_argument("--recordings-share", type=float, default=0.6,
                   help="share of answered calls that are recorded (default 0.6)")
    p.add_argument("--follow", action="store_true",
                   help="after the history keep producing live calls in real time until Ctrl+C")
    p.add_argument("--tick", type=float, metavar="S",
                   help="seconds between live writes with --follow (default: setting sync.follow_interval_s, 60)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from atsnb.flow import simulation_sink

    settings = context_from(args).settings
    if args.days < 1 or not 5 <= args.employees <= MAX_EMPLOYEES:
        raise AtsnbError(t("simulate.bad_size"))
    progress = not args.no_progress and sys.stderr.isatty()
    sink = simulation_sink(args.to, settings, args.flavour, progress=progress)
    company = {"seed": args.seed, "employees": args.employees, "calls_per_day": args.calls_per_day,
               "flavour": args.flavour, "recordings_share": args.recordings_share,
               "style": PbxStyle.from_settings(settings.simulate)}
    end = build_history(sink, settings, days=args.days, end=_parse_end(args.end, settings), **company)
    if args.follow:
        from atsnb.simulate.follow import follow

        tick = args.tick if args.tick is not None else float(settings.sync.follow_interval_s)
        print(t("simulate.following", seconds=tick), flush=True)
        follow(sink, tz=settings.pbx.timezone, start=end, tick_s=tick, **company)
    return 0


def _parse_end(value: str | None, settings: Settings) -> pd.Timestamp | None:
    if not value:
        return None
    try:
        ts = pd.Timestamp(value)
    except ValueError:
        raise AtsnbError(t("simulate.bad_end", value=value)) from None
    return ts.tz_localize(settings.pbx.timezone) if ts.tzinfo is None else ts


def build_history(sink: Sink, settings: Settings, *, days: int, seed: int, employees: int,
                  calls_per_day: float | None, flavour: str, recordings_share: float,
                  end: pd.Timestamp | None = None, style: PbxStyle | None = None) -> pd.Timestamp:
    """Write ``days`` of history ending ``end`` (now) — or, if the sink has one already, the calls since."""
    from atsnb.simulate import simulate
    from atsnb.simulate.follow import catch_up

    tz = settings.pbx.timezone
    end = end.tz_convert(tz) if end is not None else pd.Timestamp.now(tz=tz).floor("s")
    since = sink.history_end()
    if since is not None:
        catch_up(sink, seed=seed, employees=employees, calls_per_day=calls_per_day, tz=tz, flavour=flavour,
                 recordings_share=recordings_share, since=since.tz_convert(tz), until=end, style=style)
        print(t("simulate.continued", since=since.strftime("%Y-%m-%d %H:%M"), calls=sink.calls_written,
                where=sink.describe()), flush=True)
        return end
    started = time.monotonic()
    sim = simulate(days=days, seed=seed, employees=employees, calls_per_day=calls_per_day, end=end, tz=tz,
                   flavour=flavour, recordings_share=recordings_share, progress=sink.progress, style=style)
    simulated = time.monotonic() - started
    sink.write(sim)
    print(t("simulate.done", calls=len(sim.truth), legs=sim.legs, where=sink.describe(),
            seconds=f"{simulated:.1f}", total=f"{time.monotonic() - started:.1f}"), flush=True)
    return end

