"""Effective calls against the efficiency panels' daily targets (docs/glossary.md §8, docs/directories.md).

A call is **effective** for an employee when it is answered, external, of a direction the
employee's panel counts (incoming — mixed counts as incoming — and/or outgoing) and its talk
time for that employee reaches the panel's ``min_talk_s``.

**Effective calls of a holder** (:func:`effective_calls`, the one count every table shows — the
efficiency tables and the summaries alike): the distinct calls effective for the holder.  For an
employee, a call effective by their own panel; for a department, a call effective for at least one
of its employees (each by their own panel), counted once however many of them made it effective.
So a department's figure is below the sum of its employees' by the calls two of its employees
both made effective (a transfer inside the department).

Per employee over a period:
``days`` = days on which the employee had at least one call;
``target`` = daily_target × days;
``per_day`` = effective / days;
``target_pct`` = 100 × effective / target (empty when there is no target).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from atsnb.metrics.calls import inbound
from atsnb.metrics.counts import bucket_codes
from atsnb.metrics.holders import HolderCalls, holder_calls


def _direction_set(spec: Iterable[str] | str) -> set[str]:
    items = spec.split(",") if isinstance(spec, str) else spec
    return {d.strip() for d in items}


def _directions(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which rows a panel's ``incoming`` counts (the calls layer's :func:`inbound`: mixed counts as
    incoming) and which its ``outgoing`` counts."""
    return inbound(frame).to_numpy(dtype=bool), frame["direction"].eq("outgoing").to_numpy(dtype=bool)


def effective_mask(
    frame: pd.DataFrame, min_talk_s: pd.Series | float, directions: pd.Series | Iterable[str] | str
) -> pd.Series:
    """Which rows are effective calls.  ``min_talk_s`` and ``directions`` (a set, or comma-separated
    text such as ``"incoming,outgoing"``) are one value for all rows or a per-row Series aligned on
    ``frame``."""
    incoming, outgoing = _directions(frame)

    def counted(spec: Iterable[str] | str) -> np.ndarray:
        wanted = _direction_set(spec)
        return (incoming & ("incoming" in wanted)) | (outgoing & ("outgoing" in wanted))

    if not isinstance(directions, pd.Series):
        allowed = counted(directions)
    else:
        codes, specs = pd.factorize(directions)
        allowed = np.zeros(len(frame), bool)
        for code, spec in enumerate(specs):
            allowed |= (codes == code) & counted(spec)
    answered = frame["status"].eq("answered").to_numpy(dtype=bool)
    long_enough = (frame["talk_s"] >= min_talk_s).to_numpy(dtype=bool)
    return pd.Series(answered & allowed & long_enough, index=frame.index)


def _wants(spec: object, direction: str) -> bool:
    """Whether a panel's ``directions`` (a set, comma-separated text, or missing) counts ``direction``."""
    if spec is None or spec is pd.NA or (isinstance(spec, float) and np.isnan(spec)):
        return False
    return direction in _direction_set(spec)  # type: ignore[arg-type]


def effective_by_panel(frame: pd.DataFrame, panels: pd.DataFrame) -> pd.Series:
    """:func:`effective_mask` of every row by its own employee's panel (``panels`` indexed by
    employee; rows of an employee without a panel are not effective).  The panel is looked up once
    per distinct employee and spread over the rows by code: a per-row lookup copies a year's million
    panel cells and hashes as many sets."""
    codes, names = pd.factorize(frame["employee"])
    own = panels.reindex(pd.Index(np.asarray(names, dtype=object)))
    specs = own["directions"].tolist()
    # one entry per distinct employee, and a last one (not effective) for rows without an employee
    min_talk = np.append(own["min_talk_s"].to_numpy(dtype=float), np.nan)
    wants_in = np.array([_wants(spec, "incoming") for spec in specs] + [False])
    wants_out = np.array([_wants(spec, "outgoing") for spec in specs] + [False])
    incoming, outgoing = _directions(frame)
    allowed = (incoming & np.take(wants_in, codes)) | (outgoing & np.take(wants_out, codes))
    answered = frame["status"].eq("answered").to_numpy(dtype=bool)
    long_enough = frame["talk_s"].to_numpy(dtype=float) >= np.take(min_talk, codes)
    return pd.Series(answered & allowed & long_enough, index=frame.index)


def _employee_codes(employees: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of the employees (-1: none) and the index they stand for, in the order a
    ``groupby("employee", sort=True)`` lists them: a categorical's category order, else sorted."""
    if isinstance(employees.dtype, pd.CategoricalDtype):
        categories = employees.cat.categories
        return employees.cat.codes.to_numpy().astype(np.int64), pd.CategoricalIndex(
            categories, categories=categories, ordered=employees.cat.ordered, name="employee")
    codes, names = pd.factorize(employees, sort=True)
    return codes.astype(np.int64), pd.Index(names, name="employee")


def effective_calls(calls: HolderCalls) -> pd.Series:
    """Effective calls per holder (module docstring): holder → distinct calls effective for them,
    from the (holder, call) entries of :func:`~atsnb.metrics.holders.holder_calls`."""
    counts = np.bincount(calls.codes, weights=calls.effective, minlength=len(calls.names)).astype(np.int64)
    return pd.Series(counts, index=pd.Index(np.asarray(calls.names, dtype=object)), name="effective")


def effective_by_employee(frame: pd.DataFrame, panels: pd.DataFrame, calls: HolderCalls | None = None) -> pd.DataFrame:
    """Effective calls per employee against target.

    ``frame``: one row per (call, employee) — columns call_id (or the attribution's ``call``),
    employee, start, direction, status, talk_s, and ``effective`` when the flags of
    :func:`effective_by_panel` are computed already.  ``panels``: indexed by employee with
    min_talk_s, directions, daily_target.  ``calls``: the frame's :func:`holder_calls` per
    employee when the caller has it (a report's summary counts the same entries).
    Returns employee, min_talk_s, directions, daily_target, days, effective, per_day, target,
    target_pct (see the module docstring).
    """
    if "effective" not in frame:
        frame = frame.assign(effective=effective_by_panel(frame, panels))
    who, employees = _employee_codes(frame["employee"])
    known = who >= 0
    who = who[known]
    out = pd.DataFrame(index=employees)
    if len(who):
        day = bucket_codes(frame["start"], "day")[known]  # integers: only how many distinct days counts
        day = day - day.min()
        span = int(day.max()) + 1
        # an employee's days = the (employee, day) cells holding a call, counted in an employees × days grid
        busy = np.bincount(who * span + day, minlength=len(employees) * span).reshape(len(employees), span) > 0
        out["days"] = busy.sum(axis=1).astype(np.int64)
        out = out[np.bincount(who, minlength=len(employees)) > 0]
    else:  # no call of a known employee (a filter nobody meets): no rows, whatever the categories
        out = out.iloc[:0].copy()
        out["days"] = np.zeros(0, np.int64)
    if calls is None:
        rows = frame[known] if not known.all() else frame
        calls = holder_calls(rows, rows["employee"])
    effective = effective_calls(calls)
    out["effective"] = effective.reindex(np.asarray(out.index, dtype=object), fill_value=0).to_numpy(dtype=np.int64)
    out = panels.reindex(out.index)[["min_talk_s", "directions", "daily_target"]].join(out)
    out["per_day"] = out["effective"] / out["days"]
    out["target"] = out["daily_target"].fillna(0) * out["days"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(out["target"] > 0, 100.0 * out["effective"] / out["target"], np.nan)
    out["target_pct"] = pct
    return out.rename_axis("employee").reset_index()
