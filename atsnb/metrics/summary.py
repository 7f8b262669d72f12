"""Per-employee and per-department summaries and time-scale pivots over an attribution frame.

The input has one row per (call, holder) — a holder being an employee, or a department an
employee's call rolls up to — with call_id, start, direction, status, wait_s, talk_s, role and
optionally ``effective`` (bool); the rows of one call are adjacent, as
:func:`atsnb.metrics.attribution.employee_calls` returns them and a left merge keeps them.  A call appears once per holder: two employees of one department
on the same call make one call of that department, their talk times added.

Per holder:
``calls`` = distinct calls; ``incoming`` (incoming + mixed), ``outgoing``, ``internal`` by direction;
``answered`` = calls the holder talked on; ``unanswered`` = calls − answered;
``talk_total_s`` = Σ talk; ``talk_mean_s`` = talk_total_s / answered;
``wait_total_s`` = Σ wait of the incoming calls; ``wait_mean_s`` = wait_total_s / incoming;
``effective`` = calls effective for the holder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.metrics.calls import INBOUND, call_runs
from atsnb.metrics.counts import distinct, full_range, time_key

SUMMARY_COLUMNS = ["calls", "incoming", "outgoing", "internal", "answered", "unanswered", "talk_total_s",
                   "talk_mean_s", "wait_total_s", "wait_mean_s", "effective"]


def shared_rows(rows: pd.DataFrame) -> np.ndarray:
    """Rows of calls that reached a second employee (a row of role ``answered``): only those can
    give one holder two rows of the same call.  Rows of a call must be adjacent (module docstring)."""
    if "role" not in rows:
        return np.ones(len(rows), bool)
    runs = call_runs(rows["call_id"])
    second = rows["role"].eq("answered").to_numpy(dtype=bool)
    return np.bincount(runs, weights=second)[runs] > 0 if len(runs) else second


def per_call(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per (holder, call): direction, start and wait of the call, talk summed, answered and
    effective if any of the holder's rows is.  Only :func:`shared_rows` need grouping; the rest
    pass through as they are."""
    frame = pd.DataFrame({  # .array, not .to_numpy(): tz-aware times must not become Python objects
        key: rows[key].array, "call_id": rows["call_id"].array, "start": rows["start"].array,
        "direction": rows["direction"].array, "wait_s": rows["wait_s"].array, "talk_s": rows["talk_s"].array,
        "answered": rows["status"].eq("answered").array,
        "effective": rows["effective"].astype(bool).array if "effective" in rows else False,
    })
    shared = shared_rows(rows)
    if not shared.any():
        return frame
    grouped = frame[shared].groupby([key, "call_id"], as_index=False, sort=False, observed=True).agg(
        start=("start", "first"), direction=("direction", "first"), wait_s=("wait_s", "first"),
        talk_s=("talk_s", "sum"), answered=("answered", "any"), effective=("effective", "any"),
    )
    return pd.concat([frame[~shared], grouped], ignore_index=True)


def distinct_calls_by(rows: pd.DataFrame, holders: pd.Series) -> pd.Series:
    """Distinct calls per holder (holder → count) where ``holders`` names each row's holder: the
    counting part of :func:`per_call` alone, on integer codes."""
    codes, names = pd.factorize(holders)
    shared = shared_rows(rows)
    counts = np.bincount(codes[~shared], minlength=len(names))
    if shared.any():
        runs = call_runs(rows["call_id"])[shared]
        pairs = distinct(runs * max(len(names), 1) + codes[shared])
        counts = counts + np.bincount(pairs % max(len(names), 1), minlength=len(names))
    return pd.Series(counts, index=pd.Index(names, name=holders.name), name="calls")


def summary_by(rows: pd.DataFrame, key: str) -> pd.DataFrame:
    """The summary table per holder (module docstring): ``key`` then :data:`SUMMARY_COLUMNS`."""
    calls = per_call(rows, key)
    incoming = calls["direction"].isin(INBOUND)
    frame = pd.DataFrame({
        key: calls[key],
        "calls": 1,
        "incoming": incoming.astype(int),
        "outgoing": calls["direction"].eq("outgoing").astype(int),
        "internal": calls["direction"].eq("internal").astype(int),
        "answered": calls["answered"].astype(int),
        "talk_total_s": calls["talk_s"].astype(float),
        "wait_total_s": calls["wait_s"].where(incoming, 0.0).astype(float),
        "effective": calls["effective"].astype(int),
    })
    out = frame.groupby(key, sort=True).sum()
    out["unanswered"] = out["calls"] - out["answered"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["talk_mean_s"] = np.where(out["answered"] > 0, out["talk_total_s"] / out["answered"], 0.0)
        out["wait_mean_s"] = np.where(out["incoming"] > 0, out["wait_total_s"] / out["incoming"], 0.0)
    return out.reset_index()[[key, *SUMMARY_COLUMNS]]


def pivot_by_time(
    rows: pd.DataFrame, key: str, scale: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Distinct calls per holder (rows) and time bucket (columns: hour 0–23, or the start of each
    day / week / month of the period, empty buckets as 0), plus a ``calls`` total column."""
    calls = per_call(rows, key)
    bucket = time_key(calls["start"], scale)
    table = pd.crosstab(calls[key], bucket)
    table = table.reindex(columns=full_range(scale, start, end), fill_value=0)
    table.columns.name = None
    table["calls"] = table.sum(axis=1)
    return table.rename_axis(key).reset_index()
