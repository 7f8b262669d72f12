"""Per-employee and per-department summaries and time-scale pivots over an attribution frame.

The input has one row per (call, holder) — a holder being an employee, or a department an
employee's call rolls up to — with call_id, start, direction, status, wait_s, talk_s, role and
optionally ``effective`` (bool).  The rows of one call are adjacent, as
:func:`atsnb.metrics.attribution.employee_calls` returns them and a left merge keeps them.  A call
counts once per holder: two employees of one department on the same call make one call of that
department, their talk times added.

Per holder:
``calls`` = distinct calls; ``incoming`` (incoming + mixed), ``outgoing``, ``internal`` by direction;
``answered`` = calls the holder talked on; ``unanswered`` = calls − answered;
``talk_total_s`` = Σ talk; ``talk_mean_s`` = talk_total_s / answered;
``wait_total_s`` = Σ wait of the incoming calls; ``wait_mean_s`` = wait_total_s / incoming;
``effective`` = calls effective for the holder.

Everything runs on integer codes and ``np.bincount``: a year of a busy PBX is a million rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from atsnb.metrics.calls import INBOUND, call_runs, one_of
from atsnb.metrics.counts import bucket_codes, bucket_labels, dense, full_range

SUMMARY_COLUMNS = ["calls", "incoming", "outgoing", "internal", "answered", "unanswered", "talk_total_s",
                   "talk_mean_s", "wait_total_s", "wait_mean_s", "effective"]


def row_calls(rows: pd.DataFrame) -> np.ndarray:
    """:func:`~atsnb.metrics.calls.call_runs` of the rows, from the attribution's integer ``call``
    positions when the frame has them (a million integers compare ten times faster than call ids)."""
    if "call" not in rows:
        return call_runs(rows["call_id"])
    call = rows["call"].to_numpy()
    return np.concatenate([[0], np.cumsum(call[1:] != call[:-1])]).astype(np.int64) if len(call) else \
        np.zeros(0, np.int64)


def shared_rows(rows: pd.DataFrame, runs: np.ndarray) -> np.ndarray:
    """Rows of calls that reached a second employee (a row of role ``answered``): only those can
    give one holder two rows of the same call.  ``runs``: the rows' :func:`row_calls`."""
    if "role" not in rows:
        return np.ones(len(rows), bool)
    second = rows["role"].eq("answered").to_numpy(dtype=bool)
    if not len(runs):
        return second
    reached = np.zeros(int(runs[-1]) + 1, bool)  # runs count up from 0
    reached[runs[second]] = True
    return reached[runs]


@dataclass
class HolderCalls:
    """One entry per (holder, call): the holder's code, a representative row of the call (for the
    call's own columns: start, direction, wait), and the holder's talk / answered / effective."""

    codes: np.ndarray
    names: pd.Index
    row: np.ndarray
    talk_s: np.ndarray
    answered: np.ndarray
    effective: np.ndarray


def holder_calls(rows: pd.DataFrame, holders: pd.Series, index: np.ndarray | None = None) -> HolderCalls:
    """Collapse rows to one entry per (holder, call), in row order.

    ``holders`` names each entry's holder; ``index`` (non-decreasing) says which row of ``rows``
    each entry is — a roll-up lists a row once per department above its employee without copying
    the frame.  Only :func:`shared_rows` can collapse: a holder's rows of one such call are summed
    into the first of them and the others dropped, so a year's million other rows are only copied
    once, not sorted.
    """
    codes, names = pd.factorize(holders)
    talk = rows["talk_s"].to_numpy(dtype=float, copy=True)  # copies: the collapsed calls are written in
    answered = rows["status"].eq("answered").to_numpy(dtype=bool, copy=True)
    effective = (rows["effective"].to_numpy(dtype=bool, copy=True) if "effective" in rows
                 else np.zeros(len(rows), bool))
    runs = row_calls(rows)
    shared = shared_rows(rows, runs)
    row = np.arange(len(rows))
    if index is not None:
        talk, answered, effective, runs, shared, row = (a[index] for a in (talk, answered, effective, runs, shared, row))
    idx = np.flatnonzero(shared)
    if not len(idx):
        return HolderCalls(codes, pd.Index(names), row, talk, answered, effective)
    key = runs[idx] * max(len(names), 1) + codes[idx]
    order = np.argsort(key, kind="stable")  # a holder's rows of a call together, the first one leading
    idx, key = idx[order], key[order]
    leads = np.r_[True, key[1:] != key[:-1]]
    first = np.flatnonzero(leads)
    head = idx[first]
    talk[head] = np.add.reduceat(talk[idx], first)
    answered[head] = np.logical_or.reduceat(answered[idx], first)
    effective[head] = np.logical_or.reduceat(effective[idx], first)
    if leads.all():
        return HolderCalls(codes, pd.Index(names), row, talk, answered, effective)
    keep = np.ones(len(row), bool)
    keep[idx[~leads]] = False
    return HolderCalls(codes[keep], pd.Index(names), row[keep], talk[keep], answered[keep], effective[keep])


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
        "effective": total(calls.effective).astype(int),
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
