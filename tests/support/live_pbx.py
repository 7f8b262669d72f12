"""A simulated company calling live into a MariaDB PBX database, for the tests and benchmarks that
watch alerts arrive in real time.

The simulator's traffic follows the hour of day and the weekday (atsnb.simulate.traffic), so a run
at night would wait long for a call.  :func:`busy_zone` picks a fixed-offset zone where it is now
the first office hour (a high rate, little history since midnight to write first) and the daily
volume that gives ``per_hour`` calls an hour there today; five employees cannot answer them all,
so missed calls come every few seconds.

    zone, per_day = busy_zone(per_hour=3000)
    follower = start_follow(server, database, env, per_day=per_day)   # history written, calls going on
    ...
    ends = call_ends(server, database, zone, ["1796694173.737", …])   # epoch seconds, from the CDR
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from atsnb.simulate.traffic import HOUR_PROFILE, WEEKDAY_FACTOR
from tests.support.mariadb import Server

OFFICE_HOUR = 8  # the first hour of the working day: calls ramp up, the day's history is still short
EMPLOYEES = 5  # the simulator's smallest company: an easy one to overwhelm


def busy_zone(per_hour: float, *, now: datetime | None = None) -> tuple[str, float]:
    """A zone (``Etc/GMT±N``) where it is now :data:`OFFICE_HOUR` o'clock, and the calls per day
    that make ``per_hour`` calls in this hour of today's weekday there."""
    now = now or datetime.now(UTC)
    offset = (OFFICE_HOUR - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset  # zones run from UTC-12 to UTC+14
    zone = f"Etc/GMT{-offset:+d}"  # the Etc names count the other way: Etc/GMT-3 is UTC+3
    local = now.astimezone(ZoneInfo(zone))
    share = HOUR_PROFILE[local.hour] / HOUR_PROFILE.sum() * WEEKDAY_FACTOR[local.weekday()]
    return zone, per_hour / share


def start_follow(server: Server, database: str, env: dict[str, str], *, per_day: float, seed: int = 1,
                 tick_s: float = 1.0, timeout_s: float = 120) -> subprocess.Popen:
    """``atsnb simulate --follow`` into ``database``: returns once a day's history is written and
    the live calls have begun (the process keeps running; stop it with :func:`stop`)."""
    follower = subprocess.Popen(
        [sys.executable, "-m", "atsnb.cli", "simulate", "--to", server.url(database), "--days", "1",
         "--employees", str(EMPLOYEES), "--calls-per-day", f"{per_day:.0f}", "--seed", str(seed), "--follow",
         "--tick", str(tick_s), "--no-progress"],
        env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout_s
    lines = []
    while len(lines) < 2:  # "history written", then "calls go on in real time"
        line = follower.stdout.readline()
        if not line or time.monotonic() > deadline:
            stop(follower)
            raise RuntimeError(f"the simulator did not start following: {''.join(lines)}{follower.stderr.read()}")
        lines.append(line)
    return follower


def stop(process: subprocess.Popen, timeout_s: float = 30) -> int:
    """SIGTERM (what a service manager sends), then SIGKILL if it does not end; its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return process.returncode


def call_ends(server: Server, database: str, zone: str, call_ids: list[str]) -> dict[str, float]:
    """When each call ended, as the PBX wrote it (the last CDR leg's start + duration of the calls'
    linkedid), in epoch seconds."""
    if not call_ids:
        return {}
    with server.connect(database) as con, con.cursor() as cur:
        cur.execute("SELECT linkedid, MAX(calldate + INTERVAL duration SECOND) FROM cdr WHERE linkedid IN "
                    f"({', '.join(['%s'] * len(call_ids))}) GROUP BY linkedid", call_ids)
        rows = cur.fetchall()
    tz = ZoneInfo(zone)
    return {str(linkedid): pd.Timestamp(end).tz_localize(tz).timestamp() for linkedid, end in rows}
