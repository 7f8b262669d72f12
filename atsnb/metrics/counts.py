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


def time_key(when: pd.Series, scale: str) -> pd.Series:
    """The bucket of every timestamp: hour of day 0–23, weekday 0 (Monday)–6, or the start of its
    day / week (Monday) / month as a tz-aware timestamp."""
    if scale == "hour":
        return when.dt.hour.rename("hour")
    if scale == "weekday":
        return when.dt.day_of_week.rename("weekday")
    if scale == "day":
        return when.dt.normalize().rename("day")
    if scale == "week":
        day = when.dt.normalize()
        return (day - pd.to_timedelta(when.dt.day_of_week, unit="D")).rename("week")
    if scale == "month":
        day = when.dt.normalize()
        return (day - pd.to_timedelta(when.dt.day - 1, unit="D")).rename("month")
    raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")


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
) -> pd.DataFrame:
    """Calls per bucket: ``by`` is a time scale of :data:`SCALES` (of ``start``) or a column name.

    Without ``split``: columns ``<by>``, ``calls``, ``share_pct``.  With ``split`` (e.g.
    ``"direction"``) one count column per value of that column, plus ``calls`` (their sum).
    With ``start``/``end`` a time scale lists every bucket of the period, empty ones as 0.
    """
    key = time_key(calls["start"], by) if by in SCALES else calls[by].fillna("").rename(by)
    if split is None:
        out = key.value_counts(sort=False).rename("calls")
    else:
        out = pd.crosstab(key, calls[split].fillna("")).rename_axis(columns=None)
    if by in SCALES and start is not None and end is not None:
        out = out.reindex(full_range(by, start, end), fill_value=0)
    out = out.sort_index()
    if split is None:
        frame = out.rename_axis(by).reset_index()
        frame["share_pct"] = share_pct(frame["calls"]).to_numpy()
        return frame
    out["calls"] = out.sum(axis=1)
    return out.rename_axis(by).reset_index()


def daily_external(calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """External calls per day by direction (incoming, outgoing, mixed), one count per call however
    many times it was transferred: columns ``day``, ``incoming``, ``outgoing``, ``mixed``, ``calls``."""
    ext = calls[external(calls)]
    out = counts_by(ext, "day", split="direction", start=start, end=end)
    for column in ("incoming", "outgoing", "mixed"):
        if column not in out:
            out[column] = 0
    return out[["day", "incoming", "outgoing", "mixed", "calls"]]


def daily_unanswered_incoming(calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Incoming calls nobody answered per day: columns ``day``, ``missed``, ``dropped``, ``calls``."""
    frame = pd.DataFrame({
        "start": calls["start"],
        "kind": np.where(missed(calls), "missed", np.where(dropped(calls), "dropped", "")),
    })
    frame = frame[frame["kind"] != ""]
    out = counts_by(frame, "day", split="kind", start=start, end=end)
    for column in ("missed", "dropped"):
        if column not in out:
            out[column] = 0
    out["calls"] = out["missed"] + out["dropped"]
    return out[["day", "missed", "dropped", "calls"]]


def unanswered_rates(calls: pd.DataFrame) -> dict[str, float]:
    """``unanswered_pct`` = 100 × (missed + dropped) / incoming; ``dropped_pct`` = 100 × dropped / incoming."""
    incoming = int(inbound(calls).sum())
    if not incoming:
        return {"unanswered_pct": 0.0, "dropped_pct": 0.0}
    n_dropped = int(dropped(calls).sum())
    n_lost = int(missed(calls).sum()) + n_dropped
    return {"unanswered_pct": 100.0 * n_lost / incoming, "dropped_pct": 100.0 * n_dropped / incoming}
