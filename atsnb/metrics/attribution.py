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

Only such calls (``transfers`` > 0, or internal) can have a second employee, so only their steps
are looked at: every other call counts for its own employee with its own talk time.  That keeps
a year of calls fast (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.metrics.counts import bucket_codes

CALL_COLUMNS = ["call_id", "start", "direction", "status", "wait_s", "line", "external_number"]
ANSWER_STEP_COLUMNS = ["call_id", "kind", "target", "duration_s"]


def _text(values: pd.Series) -> np.ndarray:
    return values.astype("string").fillna("").to_numpy(dtype=object)


def _positions(values: pd.Series, among: pd.Series) -> np.ndarray:
    """Index in ``among`` of every value (-1 where absent), hashed in Arrow."""
    found = pc.index_in(pa.array(values.astype("string")), value_set=pa.array(among.astype("string")))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def employee_calls(
    calls: pd.DataFrame, steps: pd.DataFrame | None = None, extensions: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per (call, employee): columns of :data:`CALL_COLUMNS` plus ``employee``, ``role``,
    ``talk_s`` (this employee's) and ``status`` as the module docstring defines, in call order.

    An answer step is an employee's when its target looks like an extension (2–6 digits), is an
    ``employee`` or ``answered_by`` of the calls, or is in ``extensions`` (e.g. the employees
    directory); anything else (a client's or a mobile number) is not.
    """
    employee = _text(calls["employee"])
    call_talk = calls["talk_s"].to_numpy(dtype=float)
    n = len(calls)
    main_idx = np.flatnonzero(employee != "")
    ans_idx = np.empty(0, np.int64)
    ans_emp = np.empty(0, object)
    ans_talk = np.empty(0, float)
    shared = (calls["transfers"].to_numpy() > 0) | calls["direction"].eq("internal").to_numpy()
    if steps is not None and not steps.empty and shared.any():
        answers = steps[steps["kind"].eq("answer").to_numpy()]
        pos = _positions(answers["call_id"], calls["call_id"])
        keep = pos >= 0
        keep[keep] = shared[pos[keep]]
        target = _text(answers["target"])
        known = set(extensions or ()) | set(employee) | set(_text(calls["answered_by"]))
        known.discard("")
        looks = pd.Series(target).str.fullmatch(r"\d{2,6}").to_numpy(dtype=bool)
        keep &= looks | pd.Series(target).isin(known).to_numpy()
        ans_idx, ans_emp = pos[keep], target[keep]
        ans_talk = answers["duration_s"].to_numpy(dtype=float)[keep]
    codes, names = pd.factorize(np.concatenate([employee[main_idx], ans_emp]))
    width = max(len(names), 1)
    main_key = main_idx * width + codes[: len(main_idx)]
    ans_key = ans_idx * width + codes[len(main_idx):]
    own = pd.Series(ans_talk).groupby(ans_key).sum() if len(ans_key) else pd.Series(dtype=float)
    keys = np.union1d(main_key, own.index.to_numpy(dtype=np.int64))
    own_talk = own.reindex(keys).to_numpy(dtype=float)
    is_main = np.isin(keys, main_key)
    row_call = keys // width
    own0 = np.nan_to_num(own_talk)
    others = np.bincount(row_call, weights=own0, minlength=n)[row_call] - own0
    talk = np.where(np.isnan(own_talk), np.maximum(call_talk[row_call] - others, 0.0), own_talk)
    out = calls[CALL_COLUMNS].take(row_call).reset_index(drop=True)
    out["employee"] = pd.array(np.asarray(names, dtype=object)[keys % width] if len(keys) else [], dtype="str")
    out["role"] = np.where(is_main, "main", "answered")
    out["talk_s"] = talk
    out["status"] = out["status"].where(talk <= 0, "answered")
    return out


def calls_per_employee_per_day(attributed: pd.DataFrame) -> float:
    """Mean calls per employee per day = (call, employee) rows / (employee, day) pairs with a call."""
    if attributed.empty:
        return 0.0
    who, _ = pd.factorize(attributed["employee"])
    day = bucket_codes(attributed["start"], "day")
    pairs = np.unique((day - day.min()) * (who.max() + 1) + who)
    return len(attributed) / len(pairs)
