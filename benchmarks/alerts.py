"""Telegram alerts: what one alerts round costs on a year of calls, and how long a missed call
waits for its message when everything runs live.

1. **One round on a year** (default 1,000,000 calls, the generator of ``benchmarks/metrics.py``,
   moved so that the year ends now, with a few missed calls that ended in the last minute).  The
   store is a year into the alerts: three subscribers (everything; one line; two employees), and
   every earlier missed call already announced to each — the alert state as a year leaves it.
   Timed, against the ceiling of reading the same period's calls columns in the same run:

   * the round's search (:meth:`TelegramChannel.due`): the missed calls not yet announced, each
     subscriber's filters, the texts;
   * the follow-up search (recoveries of the alerts of the last day);
   * the round on the same store before any bot or subscriber — what every ``atsnb sync`` pays for
     telling the channel when Telegram is not in use.

2. **Call end → message**, live: ``atsnb simulate --follow`` into a MariaDB database, ``atsnb sync
   --follow --alerts`` at its default interval, the fake Bot API on loopback, for ``--minutes``;
   the delay of every alert from the call's end (as the CDR has it) to its arrival.

    .venv/bin/python benchmarks/alerts.py [--calls 1000000] [--runs 5] [--minutes 4] [--skip-live]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from metrics import YEAR, synthetic_calls, synthetic_topology, timed  # noqa: E402

from tests.support.fake_bot_api import FakeBotApi  # noqa: E402

TOKEN = "424242:AAbenchmark-token"
NEW_MISSED = 5


def year_ending_now(n: int, now: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The synthetic year moved to end now, its last few missed inbound calls ending in the last minute."""
    calls, steps = synthetic_calls(n)
    shift = now - YEAR[1]
    for column in ("start", "answer", "end"):
        calls[column] += shift
    steps["at"] += shift
    missed = calls.index[calls["direction"].isin(["incoming", "mixed"]) & calls["status"].isin(["unanswered", "dropped"])
                         & calls["external_number"].ne("")][-NEW_MISSED:]
    ends = now - pd.to_timedelta(np.linspace(55, 5, NEW_MISSED), unit="s")
    calls.loc[missed, "start"] = ends - pd.to_timedelta(calls.loc[missed, "wait_s"], unit="s")
    calls.loc[missed, "end"] = ends
    calls.loc[missed, "answer"] = pd.NaT
    return calls.sort_values("start", kind="stable").reset_index(drop=True), steps


def a_year_into_the_alerts(store, settings, calls: pd.DataFrame, now: pd.Timestamp) -> None:
    """Three subscribers since a year ago, every missed call before the last minute announced to each."""
    from atsnb.delivery.telegram import STARTED_KEY, matching, missed_calls
    from atsnb.delivery.telegram_state import ALERTS, CHATS, MARKED, AlertState

    catalog = store.catalog
    catalog.upsert("telegram_bots", pd.DataFrame([{"name": "alerts", "token": TOKEN, "username": "bench_bot"}]))
    subs = pd.DataFrame([{"chat_id": "1", "bot": "alerts", "name": "all", "active": 1},
                         {"chat_id": "2", "bot": "alerts", "name": "one line", "active": 1, "lines": "74951234560"},
                         {"chat_id": "3", "bot": "alerts", "name": "two people", "active": 1,
                          "last_targets": "101, 102"}])
    catalog.upsert("telegram_subscribers", subs)
    AlertState(catalog)
    year_ago = (now - pd.Timedelta(days=366)).isoformat()
    catalog.set_state(STARTED_KEY, year_ago)
    missed = missed_calls(calls)
    old = missed[missed["end"] < now - pd.Timedelta(minutes=1)]
    day_ago = now - pd.Timedelta(days=1)
    rows = []
    for _, sub in subs.iterrows():
        mine = old[matching(old, sub).to_numpy()]
        for i, (call_id, end) in enumerate(zip(mine["call_id"], mine["end"], strict=True)):
            rows.append((call_id, sub["chat_id"], "alerts", MARKED, "", i + 1, "…", end.isoformat(),
                         "" if end >= day_ago else "done"))
    with catalog.connect() as con:
        con.executemany(f'INSERT INTO "{ALERTS}" (call_id, chat_id, bot, state, owner, message_id, text, call_end, '
                        "followed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.executemany(f'INSERT INTO "{CHATS}" (chat_id, since) VALUES (?, ?)',
                        [(c, year_ago) for c in subs["chat_id"]])
    print(f"alert state: {len(rows):,} (call, chat) rows announced over the year, "
          f"{sum(r[-1] == '' for r in rows):,} of the last day awaiting a recovery", flush=True)


def show(label: str, figures: tuple[float, float, float, float], ceiling: float | None = None) -> None:
    median, low, high, cpu = figures
    ratio = f"  = {median / ceiling:5.1f}× the ceiling" if ceiling else ""
    print(f"{label:<58} {median * 1000:8.1f} ms (min {low * 1000:.1f}, max {high * 1000:.1f}, "
          f"cpu {cpu * 1000:.1f}){ratio}", flush=True)


def round_on_a_year(n: int, runs: int) -> None:
    from atsnb.calls.derive import write_calls
    from atsnb.calls.reading import read_calls
    from atsnb.config import Settings
    from atsnb.delivery.channels import Happenings
    from atsnb.delivery.telegram import CALL_COLUMNS, LONGEST_CALL, UNANSWERED, TelegramChannel
    from atsnb.delivery.telegram_api import Pacer
    from atsnb.store import Store

    settings = Settings()
    now = pd.Timestamp.now(tz=settings.tz).floor("s")
    with tempfile.TemporaryDirectory() as folder, FakeBotApi() as fake:
        fake.add_bot(TOKEN)
        settings.store.path = folder
        settings.telegram.api_url = fake.url
        started = time.perf_counter()
        calls, steps = year_ending_now(n, now)
        store = Store.open(folder)
        with store.writing():
            write_calls(store, calls, steps, synthetic_topology())
        print(f"store: {len(calls):,} calls over a year ending now ({time.perf_counter() - started:.0f} s to build)",
              flush=True)
        virtual = [0.0]
        pacer = Pacer(clock=lambda: virtual[0], sleep=lambda s: virtual.__setitem__(0, virtual[0] + s))
        bare = TelegramChannel(settings, store, pacer=pacer)
        bare_round = timed(lambda: bare.deliver(Happenings(now=now, calls_since=now)), runs)
        a_year_into_the_alerts(store, settings, calls, now)

        floor = max(now - pd.Timedelta(days=366), now - pd.Timedelta(minutes=settings.telegram.max_age_min))
        read = timed(lambda: read_calls(store, settings, floor - LONGEST_CALL, now + pd.Timedelta(minutes=1),
                                        CALL_COLUMNS, where=[("status", "in", UNANSWERED)], categorical=False), runs)
        show(f"ceiling: read the round's calls ({settings.telegram.max_age_min} min + 3 h, unanswered)", read)

        show("round with no bot and no subscriber (what every sync pays)", bare_round, read[0])
        channel = TelegramChannel(settings, store, pacer=pacer)
        due = list(channel.due(Happenings(now=now)))
        print(f"due: {len(due)} messages ({NEW_MISSED} new missed calls, three subscribers' filters)", flush=True)
        show("round: the new missed calls, filters, texts", timed(lambda: list(channel.due(Happenings(now=now))),
                                                                 runs), read[0])
        channel.follow_up(Happenings(now=now, calls_since=now))  # the recoveries found are followed up once
        show("follow-up: recoveries of the last day's alerts",
             timed(lambda: channel.follow_up(Happenings(now=now, calls_since=now)), runs), read[0])
        channel.close()


def live_latency(minutes: float) -> None:
    from atsnb.composition import Context
    from atsnb.delivery.telegram_loop import add_bot, read_updates
    from tests.pbx_rows import settings_for, sync_env
    from tests.support.live_pbx import busy_zone, call_ends, start_follow, stop
    from tests.support.mariadb import find_or_start

    server, throwaway = find_or_start()
    db = f"atsnb_bench_alerts_{uuid.uuid4().hex[:8]}"
    server.connect().cursor().execute(f"CREATE DATABASE `{db}`")
    try:
        with tempfile.TemporaryDirectory() as folder, FakeBotApi() as fake:
            fake.add_bot(TOKEN)
            store = Path(folder) / "store"
            zone, per_day = busy_zone(per_hour=2000)
            extra = {"ATSNB_PBX_TIMEZONE": zone, "ATSNB_TELEGRAM_API_URL": fake.url,
                     "ATSNB_UI_PUBLIC_URL": "https://calls.example.ru/"}
            follower = start_follow(server, db, sync_env(server, db, store, **extra), per_day=per_day)
            ctx = Context.from_settings(settings_for(server, db, store, **extra))
            add_bot(ctx.directories, ctx.settings, "alerts", TOKEN)
            fake.write(TOKEN, 1, "/start")
            read_updates(ctx.channel("telegram"), "alerts", ctx.now())
            syncer = subprocess.Popen([sys.executable, "-m", "atsnb.cli", "sync", "--follow", "--alerts",
                                       "--no-progress"], env=sync_env(server, db, store, **extra),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"live: {zone}, {per_day:,.0f} calls a day (2,000 in this hour), "
                  f"sync --follow --alerts every {min(ctx.settings.sync.follow_interval_s, 30)} s, "
                  f"{minutes:g} min", flush=True)
            time.sleep(minutes * 60)
            stop(follower)
            stop(syncer)
            sent = [s for s in fake.to(1) if "records.ipynb?call=" in s.text]
            ids = [unquote(s.text.split("records.ipynb?call=")[1].split('"')[0]) for s in sent]
            ends = call_ends(server, db, zone, ids)
            delays = np.array([s.at - ends[i] for s, i in zip(sent, ids, strict=True) if i in ends])
        if len(delays):
            q = np.percentile(delays, [0, 50, 90, 100])
            print(f"call end → message: {len(delays)} alerts; min {q[0]:.1f} s, median {q[1]:.1f} s, "
                  f"p90 {q[2]:.1f} s, max {q[3]:.1f} s; within 60 s: {np.mean(delays <= 60):.0%}", flush=True)
        else:
            print("call end → message: no alert arrived", flush=True)
    finally:
        server.connect().cursor().execute(f"DROP DATABASE IF EXISTS `{db}`")
        if throwaway is not None:
            throwaway.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=4, help="minutes of live calls (part 2)")
    parser.add_argument("--skip-live", action="store_true", help="only the round on a year")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    round_on_a_year(args.calls, args.runs)
    if not args.skip_live:
        live_latency(args.minutes)
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


if __name__ == "__main__":
    main()
