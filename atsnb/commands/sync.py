"""``atsnb sync``: copy new PBX rows into the local store (once, or every N seconds with --follow)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from atsnb.commands import context_from
from atsnb.errors import InputError, PBXConnectionError, StoreError
from atsnb.i18n import t
from atsnb.sync import SyncReport

log = logging.getLogger(__name__)
ALERT_SYNC_S = 30  # with --alerts: a missed call's alert within a minute of its end


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sync",
        help="copy new call records from the PBX database into the local store",
        description="Incremental, idempotent copy of the PBX tables (cdr, cel, queue_log, ratings, callbacks) "
        "into the store: bounded batches, a watermark per table with an overlap re-read for rows written "
        "late, duplicates collapsed on their natural key.  Safe to interrupt at any moment: the next run "
        "completes the work.  Malformed rows are logged with their key and skipped or repaired.",
    )
    p.add_argument("--follow", action="store_true", help="keep syncing every --interval seconds until Ctrl+C")
    p.add_argument("--interval", type=int, metavar="S", help="seconds between syncs with --follow "
                   "(default: setting sync.follow_interval_s)")
    p.add_argument("--alerts", action="store_true", help="with --follow: also run the Telegram alert loop "
                   "between syncs (atsnb alerts run; syncs then every 30 s at most, so an alert goes within a minute)")
    p.add_argument("--json", action="store_true", help="print each run's report as one JSON line")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (default: shown on a terminal)")
    p.set_defaults(run=run)


def show(report: SyncReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False), flush=True)
        return
    for name, r in report.tables.items():
        print(t("sync.summary_table", table=name, received=r.received, added=r.added, skipped=r.skipped,
                repaired=r.repaired))
    print(t("sync.summary_total", seconds=f"{report.seconds:.1f}", calls=report.calls, retries=report.retries),
          flush=True)


def run(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    settings = ctx.settings
    progress = not args.no_progress and sys.stderr.isatty()
    interval = args.interval if args.interval is not None else settings.sync.follow_interval_s
    if args.alerts:
        if not args.follow:
            raise InputError(t("tg.cli_alerts_need_follow"))
        return follow_with_alerts(ctx, args, progress, interval if args.interval is not None else
                                  min(interval, ALERT_SYNC_S))
    while True:
        try:
            show(ctx.sync(progress=progress), args.json)
        except (PBXConnectionError, StoreError) as exc:
            if not args.follow:
                raise
            log.error("%s", exc)  # a PBX outage or a busy store must not end a follower; the next round retries
        if not args.follow:
            return 0
        log.info(t("sync.follow_waiting", interval=interval))
        time.sleep(max(1, interval))


def follow_with_alerts(ctx, args: argparse.Namespace, progress: bool, interval: float) -> int:
    """Syncs every ``interval`` seconds, start to start (each one tells the channels, Telegram among
    them, of its new calls), and the alert loop's rounds — updates, follow-ups, digests — in between;
    SIGINT / SIGTERM end it after the message in flight."""
    from atsnb.commands.alerts import alert_loop, stopped_by_signals

    loop = alert_loop(ctx)
    poll = max(1.0, float(ctx.settings.telegram.poll_s))
    with stopped_by_signals(loop.stop):
        while not loop.stop.is_set():
            started = time.monotonic()
            try:
                show(ctx.sync(progress=progress), args.json)
            except (PBXConnectionError, StoreError) as exc:
                log.error("%s", exc)
            while not loop.stop.is_set():
                left = started + max(1, interval) - time.monotonic()
                if left <= 0:
                    break
                loop.stop.wait(min(poll, left))
                if not loop.stop.is_set() and started + max(1, interval) - time.monotonic() > poll / 2:
                    loop.round()
    return 0
