"""Line load: how many external lines are busy at the same time, per hour (docs/glossary.md §9),
and what a manager reads from it: the hour-of-day profile per day type and the daily peak.

Each external call (incoming, outgoing or mixed) occupies one line from its ``start`` to its
``end``, the half-open interval ``[start, end)``.  The load at an instant is the number of such
intervals covering it.  For every hour ``[h, h+1h)`` of the period:

- ``min``  = the lowest load held for a positive time within the hour,
- ``max``  = the highest load held for a positive time within the hour,
- ``mean`` = ∫ load dt / length of the hour (a time-weighted average: 2 calls of 30 min each = 1.0).

The hour-of-day profile (:func:`load_profile`) folds those hours onto the 24 hours of a day, working
days and weekends apart: a month of hourly points hides the shape of a day, and its minimum is 0
almost every hour, while "how many lines are busy at 11:00 on a working day, and at worst" is what
decides how many lines to rent.

Why an event sweep: every start is a +1 event, every end a −1 event, every hour boundary a 0
event; one sort and one cumulative sum give the load on every segment between consecutive events,
and no segment crosses an hour boundary.  A year of calls takes ~0.05 s this way; a loop per hour
is ~60× slower (docs/performance.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.metrics.calls import external
from atsnb.vectors import drop_unused


def _ns(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of tz-aware timestamps."""
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def hour_starts(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """The hours covering ``[start, end)``: their starts in the period's zone (DST-safe)."""
    first = start.floor("h")
    return pd.date_range(first, end, freq="h", inclusive="left")


def _sweep(
    starts: np.ndarray, ends: np.ndarray, groups: np.ndarray, n_groups: int, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """min / mean / max load per (group, hour), each an array of shape (n_groups, n_hours).

    ``starts``/``ends`` are the busy calls' ms since the period's first hour (clipped to the
    period, each end after its start), ``groups`` integer codes 0..n-1, ``edges`` the n_hours + 1
    hour boundaries in the same ms.
    """
    n_hours = len(edges) - 1
    # 41 bits of ms hold 60 years, so one int64 key (group, time, kind) sorts the events in a
    # single np.sort and decodes back with shifts.
    grid = (np.arange(n_groups, dtype=np.int64)[:, None] << 43 | edges[None, :] << 2 | 1).ravel()
    if n_groups > 1:  # calls come in start order: grouped stably, each group's starts stay one sorted run
        by_group = np.argsort(groups.astype(np.min_scalar_type(n_groups - 1)), kind="stable")
        group_bits = groups[by_group].astype(np.int64) << 43
        starts_key, ends_key = group_bits | starts[by_group] << 2 | 2, group_bits | ends[by_group] << 2
    else:
        starts_key, ends_key = starts << 2 | 2, ends << 2
    # kind 0 = end, 1 = hour boundary, 2 = start: at one instant ends go first (half-open intervals).
    # A stable sort exploits the runs already in order (starts, the hour grid): several times faster.
    keys = np.sort(np.concatenate([starts_key, ends_key, grid]), kind="stable")
    level = np.cumsum((keys & 3) - 1)  # every group's deltas sum to 0, so the sum restarts per group
    # The segment from an event to the next: its length in ms.  A group's events run from its first
    # hour boundary to its last, so the step to the next group's first event goes back in time:
    # counted as length 0, like the steps between events at one instant.
    length = np.diff((keys >> 2) & ((1 << 41) - 1), append=0)
    np.maximum(length, 0, out=length)
    # A (group, hour) cell's segments run from its hour boundary to the next cell's; every cell has
    # one of positive length.  The min skips the zero-length steps (within one instant the ends go
    # first and dip below the load held); the max need not: a step between events at one instant
    # never exceeds the load held just before or just after it, both in the same cell.
    cells = np.searchsorted(keys, grid.reshape(n_groups, n_hours + 1)[:, :-1].ravel())
    lo = np.minimum.reduceat(np.where(length > 0, level, np.iinfo(np.int64).max), cells)
    hi = np.maximum.reduceat(level, cells)
    area = np.add.reduceat(level * length, cells)
    mean = area.reshape(n_groups, n_hours) / np.diff(edges)
    return lo.reshape(n_groups, n_hours), mean, hi.reshape(n_groups, n_hours)


def _busy(calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> tuple[
    pd.DatetimeIndex, np.ndarray, np.ndarray, np.ndarray, np.ndarray
]:
    """The hours of ``[start, end)``, their boundaries, and the busy calls' starts and ends, all in
    ms since the first hour; and which calls are busy.

    Calls are clipped to the period; a call with ``end <= start`` occupies no line.
    """
    hours = hour_starts(start, end)
    bounds = np.append(_ns(hours), _ns(pd.DatetimeIndex([end]))[0])
    s = np.clip(_ns(calls["start"]), bounds[0], bounds[-1])
    e = np.clip(_ns(calls["end"]), bounds[0], bounds[-1])
    busy = external(calls).to_numpy() & (e > s)
    base = bounds[0]
    return hours, (bounds - base) // 1_000_000, (s[busy] - base) // 1_000_000, (e[busy] - base) // 1_000_000, busy


def line_codes(line: pd.Series, busy: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """Line code 0..n-1 of every call where ``busy`` holds and the n company numbers, sorted; calls
    without a line form a line "" of their own, last.  A categorical keeps its codes and its categories' order
    (the lines not used dropped by counting) rather than hashing a million strings."""
    if isinstance(line.dtype, pd.CategoricalDtype):
        used = drop_unused(line.array[busy])
        codes, names = used.codes, used.categories
    else:
        codes, names = pd.factorize(line[busy], sort=True)
    if (codes < 0).any():
        codes = np.where(codes < 0, len(names), codes.astype(np.int64))
        names = names.append(pd.Index([""]))
    return codes, names


def _per_hour(
    hours: pd.DatetimeIndex, edges: np.ndarray, starts: np.ndarray, ends: np.ndarray,
    codes: np.ndarray, lines: pd.Index | None,
) -> pd.DataFrame:
    """The frame of :func:`line_load_per_hour`, from :func:`_busy`'s and :func:`line_codes`'
    arrays (``lines`` None: overall)."""
    n_lines = 1 if lines is None else len(lines)
    if len(hours) == 0 or n_lines == 0:
        return pd.DataFrame(columns=["hour", "min", "mean", "max"] if lines is None else
                            ["hour", "line", "min", "mean", "max"])
    lo, mean, hi = _sweep(starts, ends, codes, n_lines, edges)
    out = pd.DataFrame({
        "hour": hours[np.tile(np.arange(len(hours)), n_lines)],
        "min": lo.ravel(),
        "mean": mean.ravel(),
        "max": hi.ravel(),
    })
    if lines is not None:
        # the numbers' column taken from the few names, typed as pandas types them: not built from
        # a row per (line, hour) of Python strings
        names = pd.Index(np.asarray(lines, dtype=object))
        out.insert(1, "line", names.take(np.repeat(np.arange(n_lines), len(hours))))
    return out


def line_load_per_hour(
    calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, *, by_line: bool = False
) -> pd.DataFrame:
    """Line load per hour of ``[start, end)``: columns ``hour``, (``line``,) ``min``, ``mean``, ``max``.

    Overall, or per company number with ``by_line`` (a row for every line and every hour).  Calls
    are clipped to the period; a call with ``end <= start`` occupies no line.
    """
    hours, edges, starts, ends, busy = _busy(calls, start, end)
    if by_line:
        return _per_hour(hours, edges, starts, ends, *line_codes(calls["line"], busy))
    return _per_hour(hours, edges, starts, ends, np.zeros(len(starts), np.int64), None)


def line_loads(calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`line_load_per_hour` overall and by line, the calls' times converted and clipped once
    for both (the dashboard shows both)."""
    hours, edges, starts, ends, busy = _busy(calls, start, end)
    return (_per_hour(hours, edges, starts, ends, np.zeros(len(starts), np.int64), None),
            _per_hour(hours, edges, starts, ends, *line_codes(calls["line"], busy)))


def line_load_by_line(calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per company number over the period: the lowest hourly min, the mean load, the peak and its first hour."""
    return summarise_by_line(line_load_per_hour(calls, start, end, by_line=True))


def summarise_by_line(hourly: pd.DataFrame) -> pd.DataFrame:
    """:func:`line_load_by_line` from an hourly per-line frame already computed."""
    if hourly.empty:
        return pd.DataFrame(columns=["line", "min", "mean", "max", "peak_hour"])
    grouped = hourly.groupby("line", sort=True)
    out = grouped.agg(min=("min", "min"), mean=("mean", "mean"), max=("max", "max"))
    out["peak_hour"] = hourly.loc[grouped["max"].idxmax(), ["line", "hour"]].set_index("line")["hour"]
    return out.reset_index()


def _period_starts(hours: pd.Series, freq: str) -> pd.Series:
    """The start of the day (or other ``freq`` period) of every hour, by its wall clock, naive."""
    return hours.dt.tz_localize(None).dt.to_period(freq).dt.start_time


def coarsen_load(hourly: pd.DataFrame, freq: str = "D") -> pd.DataFrame:
    """Hourly load rolled up to days (or another frequency): min of mins, mean of means, max of maxes.

    Charts of long periods use this so they stay at a few hundred points.
    """
    if hourly.empty:
        return hourly
    out = hourly.groupby(_period_starts(hourly["hour"], freq)).agg({"min": "min", "mean": "mean", "max": "max"})
    out.index = out.index.tz_localize(hourly["hour"].dt.tz) if hourly["hour"].dt.tz is not None else out.index
    return out.rename_axis("hour").reset_index()


def peak_per_line(hourly: pd.DataFrame, freq: str | None = None) -> pd.DataFrame:
    """The peak load of every line per hour, or per day (``freq``, the max of the hours' maxes):
    index ``hour``, a column per line in sorted order, from a non-empty
    ``line_load_per_hour(..., by_line=True)`` frame.

    That frame holds the same hours for every line, one line after another, so the peaks are a
    (line, hour) matrix reduced over each day's run of hours: no groupby per line and no pivot.
    """
    lines = pd.unique(hourly["line"])
    n_hours = len(hourly) // len(lines)
    hours = hourly["hour"].iloc[:n_hours]
    peaks = hourly["max"].to_numpy().reshape(len(lines), n_hours)
    if freq is not None:
        key = _period_starts(hours, freq).to_numpy()
        first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        peaks = np.maximum.reduceat(peaks, first, axis=1)
        days = pd.DatetimeIndex(key[first])
        hours = days.tz_localize(hours.dt.tz) if hours.dt.tz is not None else days
    order = np.argsort(np.asarray(lines, dtype=object), kind="stable")
    return pd.DataFrame(peaks[order].T, index=pd.Index(hours, name="hour"), columns=pd.Index(lines[order]))


WEEKEND_DAYS = (5, 6)  # Saturday and Sunday; the store knows no holiday calendar
DAY_TYPES = ("working", "weekend")
PROFILE_COLUMNS = ["day_type", "hour", "mean", "max", "days"]


def load_profile(hourly: pd.DataFrame, until: pd.Timestamp | None = None) -> pd.DataFrame:
    """The hour-of-day profile of an overall hourly load frame (:func:`line_load_per_hour`), per day
    type: columns ``day_type`` (``working``: Monday–Friday, ``weekend``: Saturday and Sunday),
    ``hour`` (0–23 by the wall clock), ``mean`` = the mean over the days of that type of the hour's
    time-weighted mean load, ``max`` = the highest load in that hour on any of those days, and
    ``days`` = how many days of that type the figures cover.

    Only hours that ended by ``until`` count (the rest of today is not a quiet afternoon), so a day
    type has 24 rows once it has a day, with blanks for hours none of its days has reached yet; a
    day type without days has no rows.  A day of a summer-time switch counts its doubled hour twice
    and its missing hour not at all.
    """
    hours = hourly["hour"]
    if until is not None:
        hours = hours[(hours + pd.Timedelta(hours=1) <= until).to_numpy()]
    if hours.empty:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    rows = hourly.loc[hours.index]
    weekend = hours.dt.day_of_week.isin(WEEKEND_DAYS).to_numpy()
    kind = np.where(weekend, DAY_TYPES[1], DAY_TYPES[0])
    of_day = hours.dt.hour.to_numpy()
    grouped = rows.groupby([kind, of_day])
    cells = pd.DataFrame({"mean": grouped["mean"].mean(), "max": grouped["max"].max()})
    days = pd.Series(hours.dt.tz_localize(None).dt.normalize().to_numpy()).groupby(kind).nunique()
    parts = []
    for day_type in (d for d in DAY_TYPES if d in days.index):
        part = cells.loc[day_type].reindex(range(24))
        parts.append(pd.DataFrame({"day_type": day_type, "hour": np.arange(24), "mean": part["mean"].to_numpy(),
                                   "max": part["max"].to_numpy(), "days": int(days[day_type])}))
    return pd.concat(parts, ignore_index=True)

