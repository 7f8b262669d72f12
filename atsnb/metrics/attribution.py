"""Calls per employee, following transfers (SPEC §5.2: a call transferred to an employee counts for them).

The calls frame names one employee per call (who answered an incoming call, who dialled an
outgoing one).  The route (``steps``) names everyone who answered: an ``answer`` step's
``target`` is who talked, for ``duration_s`` seconds — an employee when it is an extension (an
outgoing call's answer step names the client's number instead).  The attribution frame has one
row per (call, employee):

- the call's own ``employee`` (role ``main``), and every other extension with an ``answer`` step
  (role ``answered``: whoever a call was transferred to, and the callee of an internal call);
- ``talk_s`` of a row = the employee's own answer-step durations when the route has them; for the
  main employee without answer steps (e.g. the dialler of an outgoing call) the call's talk
  minus what the others talked, never below 0;
- ``status`` = answered when the row's talk_s > 0, else the call's status.

So per-employee counts add up to more than the number of calls by the calls that reached a
second employee: transfers, and internal calls (which count for caller and callee).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

CALL_COLUMNS = ["call_id", "start", "direction", "status", "wait_s", "line", "external_number"]


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").astype(str)


def employee_calls(
    calls: pd.DataFrame, steps: pd.DataFrame | None = None, extensions: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per (call, employee): columns of :data:`CALL_COLUMNS` plus ``employee``, ``role``,
    ``talk_s`` (this employee's) and ``status`` as the module docstring defines.

    An answer step is an employee's when its target looks like an extension (2–6 digits), is an
    ``employee`` or ``answered_by`` of the calls, or is in ``extensions`` (e.g. the employees
    directory); anything else (a client's or a mobile number) is not.
    """
    base = calls[CALL_COLUMNS].copy()
    base["employee"] = _text(calls["employee"])
    base["call_talk_s"] = calls["talk_s"].astype(float)
    main = base[base["employee"] != ""]
    if steps is None or steps.empty:
        answers = pd.DataFrame({"call_id": pd.Series(dtype=object), "employee": pd.Series(dtype=str),
                                "own_talk_s": pd.Series(dtype=float)})
    else:
        known = set(extensions or ()) | set(base["employee"]) | set(_text(calls["answered_by"]))
        known.discard("")
        picked = steps[steps["kind"].eq("answer") & steps["call_id"].isin(calls["call_id"])]
        target = _text(picked["target"])
        is_employee = target.isin(known) | target.str.fullmatch(r"\d{2,6}")
        answers = (picked[is_employee]
                   .assign(employee=target[is_employee], own_talk_s=picked["duration_s"][is_employee].astype(float))
                   .groupby(["call_id", "employee"], as_index=False, sort=False)["own_talk_s"].sum())
    rows = main.merge(answers, on=["call_id", "employee"], how="outer", indicator=True)
    extra = rows["_merge"].eq("right_only")
    if extra.any():
        info = base.drop(columns="employee").set_index("call_id")
        filled = info.reindex(rows.loc[extra, "call_id"])
        for column in info.columns:
            rows.loc[extra, column] = filled[column].to_numpy()
    rows["role"] = np.where(extra, "answered", "main")
    others = rows.groupby("call_id")["own_talk_s"].transform("sum") - rows["own_talk_s"].fillna(0)
    residual = (rows["call_talk_s"] - others).clip(lower=0)
    rows["talk_s"] = rows["own_talk_s"].where(rows["own_talk_s"].notna(), residual)
    rows["status"] = rows["status"].where(rows["talk_s"] <= 0, "answered")
    out = rows[[*CALL_COLUMNS, "employee", "role", "talk_s"]]
    return out.sort_values(["start", "call_id", "role"], kind="stable").reset_index(drop=True)


def calls_per_employee_per_day(attributed: pd.DataFrame) -> float:
    """Mean calls per employee per day = (call, employee) rows / (employee, day) pairs with a call."""
    if attributed.empty:
        return 0.0
    pairs = pd.DataFrame({"e": attributed["employee"], "d": attributed["start"].dt.normalize()}).drop_duplicates()
    return len(attributed) / len(pairs)
