"""Per-employee and per-department summaries and time-scale pivots over an attribution frame.

The input has one row per (call, holder) — a holder being an employee, or a department an
employee's call rolls up to — with call_id, start, direction, status, wait_s, talk_s, role and
optionally ``effective`` (bool).  A call counts once per holder (:mod:`atsnb.metrics.holders`): two
employees of one department on the same call make one call of that department, their talk times
added.

Per holder:
``calls`` = distinct calls; ``incoming`` (incoming + mixed), ``outgoing``, ``internal`` by direction;
``answered`` = calls the holder talked on; ``unanswered`` = calls − answered;
``talk_total_s`` = Σ talk; ``talk_mean_s`` = talk_total_s / answered;
``wait_total_s`` = Σ wait of the incoming calls; ``wait_mean_s`` = wait_total_s / incoming;
``effective`` = calls effective for the holder (:func:`atsnb.metrics.effective.effective_calls`, the
one count every table shows).

Everything runs on integer codes and ``np.bincount``: a year of a busy PBX is a million rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.metrics.calls import INBOUND, one_of
from atsnb.metrics.counts import bucket_codes, bucket_labels, dense, full_range
from atsnb.metrics.effective import effective_calls
from atsnb.metrics.holders import HolderCalls, holder_calls

SUMMARY_COLUMNS = ["calls", "incoming", "outgoing", "internal", "answered", "unanswered", "talk_total_s",
                   "talk_mean_s", "wait_total_s", "wait_mean_s", "effective"]


def distinct_calls_by(rows: pd.DataFrame, holders: pd.Series, index: np.ndarray | None = None) -> pd.Series:
    """Distinct calls per holder (holder → count)."""
    calls = holder_calls(rows, holders, index)
    counts = np.bincount(calls.codes, minlength=len(calls.names))
    return pd.Series(counts, index=calls.names.rename(holders.name), name="calls")


def summary_by(rows: pd.DataFrame, holders: pd.Series, index: np.ndarray | None = None,
               calls: HolderCalls | None = None) -> pd.DataFrame:
    """The summary table per holder (module docstring): a column named like ``holders``, then
    :data:`SUMMARY_COLUMNS`, sorted by holder.  ``calls``: the :func:`holder_calls` of the same
    arguments, when computed already (a report's summary and pivot collapse the same rows)."""
    key = str(holders.name)
    calls = holder_calls(rows, holders, index) if calls is None else calls
    n = len(calls.names)
    direction = rows["direction"]
    incoming = one_of(direction, INBOUND).to_numpy(dtype=bool)[calls.row]

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(calls.codes, weights=weights, minlength=n)

    wait = rows["wait_s"].to_numpy(dtype=float)[calls.row]
    out = pd.DataFrame({
        key: calls.names,
        "calls": np.bincount(calls.codes, minlength=n),
        "incoming": total(incoming).astype(int),
        "outgoing": total(one_of(direction, ["outgoing"]).to_numpy(dtype=bool)[calls.row]).astype(int),
        "internal": total(one_of(direction, ["internal"]).to_numpy(dtype=bool)[calls.row]).astype(int),
        "answered": total(calls.answered).astype(int),
        "talk_total_s": total(calls.talk_s),
        "wait_total_s": total(np.where(incoming, wait, 0.0)),
        "effective": effective_calls(calls).to_numpy(),
    })
    out["unanswered"] = out["calls"] - out["answered"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["talk_mean_s"] = np.where(out["answered"] > 0, out["talk_total_s"] / out["answered"], 0.0)
        out["wait_mean_s"] = np.where(out["incoming"] > 0, out["wait_total_s"] / out["incoming"], 0.0)
    return out.sort_values(key, kind="stable").reset_index(drop=True)[[key, *SUMMARY_COLUMNS]]


def pivot_by_time(
    rows: pd.DataFrame, holders: pd.Series, scale: str, start: pd.Timestamp, end: pd.Timestamp,
    index: np.ndarray | None = None, calls: HolderCalls | None = None,
) -> pd.DataFrame:
    """Distinct calls per holder (rows) and time bucket (columns: hour 0–23, or the start of each
    day / week / month of the period, empty buckets as 0), plus a ``calls`` total column.
    ``calls`` as in :func:`summary_by`."""
    calls = holder_calls(rows, holders, index) if calls is None else calls
    buckets, inverse, _ = dense(bucket_codes(rows["start"], scale)[calls.row])
    width = max(len(buckets), 1)
    table = np.bincount(calls.codes * width + inverse, minlength=len(calls.names) * width)
    table = table.reshape(len(calls.names), width)[:, : len(buckets)]
    labels = bucket_labels(buckets, scale, getattr(rows["start"].dt, "tz", None))
    out = pd.DataFrame(table, index=calls.names, columns=labels)
    out = out.reindex(columns=full_range(scale, start, end), fill_value=0)
    out.columns.name = None
    out["calls"] = out.sum(axis=1)
    return out.rename_axis(str(holders.name)).sort_index().reset_index()
