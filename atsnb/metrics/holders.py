"""One entry per (holder, call): the collapse every per-employee and per-department count starts from.

A holder is an employee, or a department an employee's call rolls up to.  The input has one row
per (call, employee) — :func:`atsnb.metrics.attribution.employee_calls`, with ``effective`` flags
when they are computed (:func:`atsnb.metrics.effective.effective_by_panel`) — and the rows of one
call are adjacent.  Two employees of one department on the same call make one entry of that
department: talk times added, answered and effective when either was.  The summary
(:mod:`atsnb.metrics.summary`) and the efficiency tables (:mod:`atsnb.metrics.effective`) count
these same entries, so a holder's "calls" and "effective calls" mean one thing in every table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from atsnb.metrics.calls import call_runs


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
