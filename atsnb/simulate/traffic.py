"""When calls happen and who makes them: arrival profiles and the client population.

Arrivals are a non-homogeneous Poisson process: a daily count drawn around the company's volume
(weekday factor × a little day-to-day noise), times drawn from an hour-of-day profile with a lunch dip.
Clients follow a heavy tail: a few regulars call again and again (Zipf weights), while a steady share
of calls comes from numbers never seen before — what "primary call" and "red phone" reports count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Relative call intensity per local hour 0..23: business hours, a lunch dip at 13, a trickle at night.
HOUR_PROFILE = np.array([0.01, 0.005, 0.005, 0.005, 0.005, 0.01, 0.02, 0.06, 0.30, 0.80, 1.00, 1.05,
                         0.90, 0.55, 0.85, 1.00, 0.95, 0.75, 0.40, 0.18, 0.08, 0.05, 0.03, 0.02])
WEEKDAY_FACTOR = np.array([1.10, 1.00, 1.00, 0.95, 0.90, 0.25, 0.10])  # Monday .. Sunday

# What a call is, as shares of the daily volume.
MIX = {"incoming": 0.58, "outgoing": 0.28, "internal": 0.10, "website": 0.04}


@dataclass
class Day:
    """One local calendar day of the history: its midnight as epoch seconds and its weekday."""

    midnight: float
    weekday: int


def history_days(end: pd.Timestamp, days: int) -> list[Day]:
    """The ``days`` local days ending with the day of ``end``'s last instant (a tz-aware timestamp):
    up to now that is today, so far as it has gone; up to a midnight, the day before it — 14 days
    ending at midnight on the 17th are the 3rd to the 16th, with no empty 17th."""
    last = (end - pd.Timedelta(microseconds=1)).normalize()
    out = []
    for i in range(days - 1, -1, -1):
        d = (last - pd.Timedelta(days=i)).normalize()
        out.append(Day(midnight=d.timestamp(), weekday=d.weekday()))
    return out


def arrivals(rng: np.random.Generator, days: list[Day], per_day: float, end_epoch: float,
             start_epoch: float | None = None) -> np.ndarray:
    """Sorted epoch times of call arrivals over ``days``, none after ``end_epoch`` (nor before ``start``)."""
    profile = HOUR_PROFILE / HOUR_PROFILE.sum()
    cdf = np.concatenate([[0.0], np.cumsum(profile)])
    chunks = []
    for day in days:
        mean = per_day * WEEKDAY_FACTOR[day.weekday] * rng.lognormal(0.0, 0.12)
        n = rng.poisson(mean)
        u = rng.random(n)
        hour = np.searchsorted(cdf, u, side="right") - 1
        within = (u - cdf[hour]) / profile[hour]
        chunks.append(day.midnight + (hour + within) * 3600.0)
    times = np.sort(np.concatenate(chunks)) if chunks else np.empty(0)
    lo = -np.inf if start_epoch is None else start_epoch
    return times[(times > lo) & (times <= end_epoch)]


class Clients:
    """The company's callers: regulars with Zipf-like activity and a stream of first-time numbers."""

    def __init__(self, rng: np.random.Generator, regulars: np.ndarray, fresh: np.ndarray, new_share: float = 0.32):
        self.rng = rng
        self.regulars = regulars
        ranks = np.arange(1, len(regulars) + 1)
        weights = ranks ** -1.05
        self.cdf = np.cumsum(weights) / weights.sum()
        self.fresh = fresh
        self.fresh_used = 0
        self.new_share = new_share

    def pick(self, new_share: float | None = None) -> str:
        """The number of the next caller (or callee of a sales call); ``new_share``: the chance it
        is a first-time number, for a line that draws new clients (advertising) more than others."""
        share = self.new_share if new_share is None else new_share
        if self.rng.random() < share and self.fresh_used < len(self.fresh):
            self.fresh_used += 1
            return self.fresh[self.fresh_used - 1]
        i = int(np.searchsorted(self.cdf, self.rng.random()))
        return self.regulars[min(i, len(self.regulars) - 1)]
