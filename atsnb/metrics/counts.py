"""Counts and shares of calls by time (hour, day, weekday, week, month) or by any column.

Formulas: ``calls`` = number of rows (one row = one call, or one call per employee in an
attribution frame); ``share_pct`` = 100 × calls / all calls of the frame.  Time keys are taken
in the PBX zone the timestamps carry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.metrics.calls import dropped, external, inbound, missed

SCALES = ("hour", "day", "weekday", "week", "month")


def dense(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(uniques, inverse, counts)`` of integer codes spanning a small range (days, hours, factor
    codes) by counting, where ``np.unique`` would hash or sort a million values."""
    if len(codes) == 0:
        return codes, codes, codes
    lo = codes.min()
    offsets = codes - lo  # once for the count and the mapping: a pass over the million codes each
    counts = np.bincount(offsets)
    present = counts > 0
    remap = np.cumsum(present) - 1
    return np.flatnonzero(present) + lo, remap[offsets], counts[present]


def tally(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(uniques, counts)`` of :func:`dense`, without the inverse it would map every code to."""
    if len(codes) == 0:
        return codes, codes
    lo = codes.min()
    counts = np.bincount(codes - lo)
    present = counts > 0
    return np.flatnonzero(present) + lo, counts[present]


def bucket_codes(when: pd.Series, scale: str) -> np.ndarray:
    """Integer bucket of every timestamp, by its wall clock in its own zone: hour 0–23, weekday
    0 (Monday)–6, or the day / week's Monday / month as days (months) since 1970.

    Integers because a year of calls is a million timestamps: grouping by integers takes
    milliseconds where grouping by tz-aware timestamps takes tenths of seconds.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    wall = when.dt.tz_localize(None) if isinstance(when.dtype, pd.DatetimeTZDtype) else when
    if scale == "month":
        return wall.to_numpy(dtype="datetime64[M]").astype(np.int64)
    # ticks since 1970 by the wall clock, divided as integers (a datetime64 cast per row costs 3x more)
    ticks = wall.to_numpy()
    per_second = np.timedelta64(1, "s") // np.timedelta64(1, np.datetime_data(ticks.dtype)[0])
    ticks = ticks.view(np.int64)
    if scale == "hour":
        return ticks // (3600 * per_second) % 24
    return from_days(ticks // (86400 * per_second), scale)


def from_days(days: np.ndarray, scale: str) -> np.ndarray:
    """The ``scale`` (day, weekday or week) bucket codes of day codes (days since 1970 by the wall
    clock): a report that has its calls' days derives the weekdays from them instead of reading
    the million timestamps again."""
    if scale == "day":
        return days
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    return weekday if scale == "weekday" else days - weekday


def bucket_labels(codes: np.ndarray, scale: str, tz: object) -> pd.Index:
    """What :func:`bucket_codes` stand for: the hour or weekday number, or the local midnight
    starting the day / week / month as a tz-aware timestamp."""
    if scale in ("hour", "weekday"):
        return pd.Index(codes, name=scale)
    unit = "datetime64[M]" if scale == "month" else "datetime64[D]"
    stamps = pd.DatetimeIndex(np.asarray(codes, dtype=np.int64).astype(unit).astype("datetime64[s]"))
    return (stamps.tz_localize(tz) if tz is not None else stamps).rename(scale)


def time_key(when: pd.Series, scale: str) -> pd.Series:
    """The bucket of every timestamp: hour of day 0–23, weekday 0 (Monday)–6, or the start of its
    day / week (Monday) / month as a tz-aware timestamp."""
    codes = bucket_codes(when, scale)
    uniques, inverse, _ = dense(codes)
    labels = bucket_labels(uniques, scale, getattr(when.dt, "tz", None))
    return pd.Series(labels[inverse], index=when.index, name=scale)


def full_range(scale: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.Index:
    """Every bucket of ``scale`` touched by ``[start, end)``, so empty days still show as 0."""
    if scale == "hour":
        return pd.Index(range(24), name="hour")
    if scale == "weekday":
        return pd.Index(range(7), name="weekday")
    last = end - pd.Timedelta(microseconds=1)
    days = pd.date_range(start.normalize(), last.normalize(), freq="D")
    return pd.Index(time_key(days.to_series(), scale).unique(), name=scale)


def share_pct(counts: pd.Series) -> pd.Series:
    """100 × each count / the sum (0 where the sum is 0)."""
    total = counts.sum()
    return counts * (100.0 / total) if total else counts * 0.0


def counts_by(
    calls: pd.DataFrame,
    by: str,
    *,
    split: str | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    codes: np.ndarray | None = None,
) -> pd.DataFrame:
    """Calls per bucket: ``by`` is a time scale of :data:`SCALES` (of ``start``) or a column name.

    Without ``split``: columns ``<by>``, ``calls``, ``share_pct``.  With ``split`` (e.g.
    ``"direction"``) one count column per value of that column, plus ``calls`` (their sum).
    With ``start``/``end`` a time scale lists every bucket of the period, empty ones as 0.
    ``codes``: the calls' :func:`bucket_codes` of the time scale ``by``, when the caller has them.
    """
    if by in SCALES:
        codes = bucket_codes(calls["start"], by) if codes is None else codes
        tz = getattr(calls["start"].dt, "tz", None)
    else:
        codes, names = pd.factorize(calls[by].fillna(""), sort=True)
    if split is None:
        uniques, n = tally(codes)
        out = pd.Series(n, index=uniques, name="calls")
    else:
        parts, kinds = pd.factorize(calls[split].fillna(""))
        uniques, inverse, _ = dense(codes)
        width = max(len(kinds), 1)
        table = np.bincount(inverse * width + parts, minlength=len(uniques) * width).reshape(-1, width)
        out = pd.DataFrame(table[:, : len(kinds)], index=uniques, columns=list(kinds))
    out.index = bucket_labels(out.index.to_numpy(), by, tz) if by in SCALES else pd.Index(
        np.asarray(names, dtype=object)[out.index.to_numpy()], name=by)
    if by in SCALES and start is not None and end is not None:
        out = out.reindex(full_range(by, start, end), fill_value=0)
    out = out.sort_index()
    if split is None:
        frame = out.rename_axis(by).reset_index()
        frame["share_pct"] = share_pct(frame["calls"]).to_numpy()
        return frame
    out["calls"] = out.sum(axis=1)
    return out.rename_axis(by).reset_index()


def per_weekday(
    calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, days: np.ndarray | None = None,
    until: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Calls per day of each weekday: columns ``weekday`` (0 Monday – 6), ``days`` = the whole
    dates of that weekday in ``[start, end)`` that are over by ``until`` (today, still under way,
    is not one: its few calls so far would pull its weekday down), ``calls`` on those dates,
    ``per_day`` = calls / days — only the weekdays with at least one such date.

    A mean, not a total: thirty days hold five Mondays and four Tuesdays, and Monday's total would
    look a quarter busier than Tuesday's for that alone.  ``days``: the calls' day
    :func:`bucket_codes`, when the caller has them."""
    days = bucket_codes(calls["start"], "day") if days is None else np.asarray(days, dtype=np.int64)
    wall = [ts.tz_localize(None) if ts.tzinfo else ts for ts in (start, end if until is None else min(end, until))]
    first = wall[0].normalize()
    # the day after the last whole date: ``end`` itself when it is a midnight, else the day it falls in
    stop = wall[1].normalize() if until is not None or wall[1] == wall[1].normalize() else \
        wall[1].normalize() + pd.Timedelta(days=1)
    dates = pd.date_range(first, stop - pd.Timedelta(days=1), freq="D") if stop > first else pd.DatetimeIndex([])
    epoch = pd.Timestamp("1970-01-01")
    counted = (days >= (first - epoch).days) & (days < (stop - epoch).days)
    calls_on = np.bincount(from_days(days[counted], "weekday"), minlength=7)[:7]
    on_dates = np.bincount(dates.day_of_week.to_numpy(dtype=np.int64), minlength=7)[:7]
    out = pd.DataFrame({"weekday": np.arange(7), "days": on_dates, "calls": calls_on})
    out = out[out["days"] > 0].reset_index(drop=True)
    out["per_day"] = out["calls"] / out["days"]
    return out


def daily_external(
    calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, days: np.ndarray | None = None
) -> pd.DataFrame:
    """External calls per day by direction (incoming, outgoing, mixed), one count per call however
    many times it was transferred: columns ``day``, ``incoming``, ``outgoing``, ``mixed``, ``calls``.
    ``days``: the calls' day :func:`bucket_codes`, when the caller has them."""
    is_external = external(calls).to_numpy()
    # from the columns' arrays: a filtered frame would also build an index of the rows kept
    ext = pd.DataFrame({"start": calls["start"].array[is_external], "direction": calls["direction"].array[is_external]})
    out = counts_by(ext, "day", split="direction", start=start, end=end,
                    codes=None if days is None else days[is_external])
    for column in ("incoming", "outgoing", "mixed"):
        if column not in out:
            out[column] = 0
    return out[["day", "incoming", "outgoing", "mixed", "calls"]]


def daily_unanswered_incoming(
    calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, days: np.ndarray | None = None
) -> pd.DataFrame:
    """Incoming calls nobody answered per day: columns ``day``, ``missed``, ``dropped``, ``calls``.
    ``days``: the calls' day :func:`bucket_codes`, when the caller has them."""
    is_missed, is_dropped = missed(calls).to_numpy(), dropped(calls).to_numpy()
    lost = is_missed | is_dropped
    kind = pd.Categorical.from_codes(is_dropped[lost].astype(np.int8), ["missed", "dropped"])
    frame = pd.DataFrame({"start": calls["start"].array[lost], "kind": kind})
    out = counts_by(frame, "day", split="kind", start=start, end=end, codes=None if days is None else days[lost])
    for column in ("missed", "dropped"):
        if column not in out:
            out[column] = 0
    out["calls"] = out["missed"] + out["dropped"]
    return out[["day", "missed", "dropped", "calls"]]


def unanswered_rates(calls: pd.DataFrame) -> dict[str, float]:
    """``unanswered_pct`` = 100 × (missed + dropped) / incoming; ``dropped_pct`` = 100 × dropped / incoming
    (both NaN — no data — without incoming calls), and the counts they are taken of: ``incoming``,
    ``unanswered`` (missed + dropped), ``dropped``."""
    incoming = int(inbound(calls).sum())
    n_dropped = int(dropped(calls).sum())
    n_lost = int(missed(calls).sum()) + n_dropped
    share = (lambda n: 100.0 * n / incoming) if incoming else (lambda n: float("nan"))
    return {"unanswered_pct": share(n_lost), "dropped_pct": share(n_dropped),
            "incoming": incoming, "unanswered": n_lost, "dropped": n_dropped}
