"""``--follow``: the simulated company keeps calling, in real time, through the same write path.

The follower simulates an hour ahead at a time and, every tick, hands the sink what the PBX would
have written since the previous tick (rows are written at hang-up, CEL and queue_log as things
happen), so a dashboard or an alert sees calls appear exactly as they would from a live PBX.
A gap since the history ended (the demo was stopped for a night) is filled first, in one go.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import pandas as pd

from atsnb.simulate.engine import simulate
from atsnb.simulate.sinks import Sink
from atsnb.simulate.style import PbxStyle

CHUNK_S = 3600.0


def catch_up(sink: Sink, *, seed: int, employees: int, calls_per_day: float | None, tz: str, flavour: str,
             recordings_share: float, since: pd.Timestamp, until: pd.Timestamp,
             style: PbxStyle | None = None) -> pd.Timestamp:
    """Write the calls of (since, until] at once (a stopped demo resumes with no hole); returns ``until``."""
    if until.timestamp() - since.timestamp() < 1:
        return since
    days = math.ceil((until.timestamp() - since.timestamp()) / 86400) + 1
    sim = simulate(days=days, seed=_chunk_seed(seed, since), employees=employees, calls_per_day=calls_per_day,
                   end=until, start=since, tz=tz, flavour=flavour, recordings_share=recordings_share,
                   progress=sink.progress, style=style)
    sink.write(sim)
    return until


def follow(sink: Sink, *, seed: int, employees: int, calls_per_day: float | None, tz: str, flavour: str,
           recordings_share: float, start: pd.Timestamp, tick_s: float = 5.0,
           clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
           ticks: int | None = None, style: PbxStyle | None = None) -> None:
    """Write live calls every ``tick_s`` seconds from ``start`` on, until Ctrl+C (or ``ticks`` ticks)."""
    released = start.timestamp()
    done = 0
    while ticks is None or done < ticks:
        chunk_start = released
        chunk_end = chunk_start + CHUNK_S
        begin = pd.Timestamp(chunk_start, unit="s", tz="UTC").tz_convert(tz)
        sim = simulate(days=2, seed=_chunk_seed(seed, begin), employees=employees, calls_per_day=calls_per_day,
                       end=pd.Timestamp(chunk_end, unit="s", tz="UTC").tz_convert(tz),
                       start=begin,
                       tz=tz, flavour=flavour, recordings_share=recordings_share, style=style)
        while released < chunk_end and (ticks is None or done < ticks):
            sleep(tick_s)
            now = min(clock(), chunk_end)
            if now > released:
                sink.write(sim.released(released, now))
                released = now
            done += 1


def _chunk_seed(seed: int, at: pd.Timestamp) -> int:
    """A seed of its own for every stretch of live time, still fixed by the user's seed."""
    return (seed * 1_000_003 + int(at.timestamp())) % (2**63)
