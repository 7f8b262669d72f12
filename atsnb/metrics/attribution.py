"""Calls per employee, following transfers (docs/glossary.md §14.2: a call transferred to an employee counts for them).

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
are looked at: every other call counts for its own employee with its own talk time.  Calls read
from the store carry those steps in their ``answers`` column (:mod:`atsnb.calls.answers_column`), so a
report reads no route at all.  That keeps a year of calls fast (docs/performance.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from atsnb.calls.answers_column import ANSWERS, shared_answer_steps, unpack_answers
from atsnb.metrics.counts import bucket_codes, tally
from atsnb.vectors import drop_unused

CALL_COLUMNS = ["call_id", "start", "direction", "status", "wait_s"]
EXTENSION = re.compile(r"\d{2,6}")  # what an extension looks like


def _codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a text column (-1 for empty or missing) and the distinct texts, in order of
    first appearance; a categorical is factorized by its codes, not by a million strings."""
    codes, names = pd.factorize(values if isinstance(values.dtype, pd.CategoricalDtype) else values.astype("str"))
    names = np.asarray(names, dtype=object)
    empty = np.flatnonzero(names == "")
    if len(empty):
        codes = np.where(codes == empty[0], -1, codes)
    return codes, names


def _distinct(values: pd.Series) -> set[str]:
    """The distinct texts of a column: a categorical's categories (the reports' calls hold only the
    used ones), else hashed."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return {str(v) for v in drop_unused(values.array).categories}
    return set(_codes(values)[1])


def _answer_rows(
    calls: pd.DataFrame, steps: pd.DataFrame, extensions: Iterable[str] | None, known: set[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(call position, employee name, talk) of the answer steps by employees, for calls that can
    have a second employee (:func:`shared_calls`): from the calls' own ``answers`` column when
    they were read from the store with it, else from ``steps``."""
    if ANSWERS in calls:
        pos, target, talk = unpack_answers(calls[ANSWERS])
    else:
        pos, target, talk = _route_answers(calls, steps)
    codes, names = pd.factorize(target)  # each distinct target (a few dozen) looked at once
    names = np.asarray(names, dtype=object)
    wanted = known | set(extensions or ())
    by_employee = np.array([bool(EXTENSION.fullmatch(str(n))) or n in wanted for n in names], dtype=bool)
    is_employee = by_employee[codes] if len(codes) else np.zeros(0, bool)
    return pos[is_employee], names[codes[is_employee]], talk[is_employee]


def _route_answers(calls: pd.DataFrame, steps: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(call position, target, duration) of the answer steps in ``steps`` of the calls that can be shared
    (:func:`~atsnb.calls.answers_column.shared_calls`)."""
    row, answers = shared_answer_steps(calls, steps)
    return row, answers["target"].astype("str").fillna("").to_numpy(dtype=object), \
        answers["duration_s"].to_numpy(dtype=float)


def _sum_by_key(key: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys, sorted, and each one's sum of ``values``.  The keys come nearly sorted
    (answer steps in call order), so a stable sort of them is cheap; a groupby hashed them."""
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
    sums = np.add.reduceat(np.asarray(values, float)[order], first) if len(key) else np.zeros(0, float)
    return key[first].astype(np.int64), sums


def _merge_keys(main_key: np.ndarray, own_key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted union of two sorted, distinct key arrays, and which of its keys are ``main_key``'s:
    the few route-only keys are inserted into the long main array instead of sorting both."""
    at = np.searchsorted(main_key, own_key)
    hit = main_key[np.minimum(at, max(len(main_key) - 1, 0))] == own_key if len(main_key) else at < 0
    new = ~hit
    keys = np.insert(main_key, at[new], own_key[new])
    is_main = np.insert(np.ones(len(main_key), bool), at[new], False)
    return keys, is_main


def employee_calls(
    calls: pd.DataFrame, steps: pd.DataFrame | None = None, extensions: Iterable[str] | None = None
) -> pd.DataFrame:
    """One row per (call, employee): columns of :data:`CALL_COLUMNS` (``call_id`` when the calls
    have it: a report reading the ``answers`` column may leave it out) plus ``employee`` (a
    categorical: a few dozen names over a million rows), ``role``, ``talk_s`` (this employee's) and
    ``status`` as the module docstring defines, and ``call``, the call's position in ``calls``; in
    call order.

    An answer step is an employee's when its target looks like an extension (2–6 digits), is an
    ``employee`` or ``answered_by`` of the calls, or is in ``extensions`` (e.g. the employees
    directory); anything else (a client's or a mobile number) is not.
    """
    codes, names = _codes(calls["employee"])
    n = len(calls)
    main_idx = np.flatnonzero(codes >= 0)
    known = set(names) | _distinct(calls["answered_by"])
    known.discard("")
    ans_idx, ans_name, ans_talk = _answer_rows(calls, steps, extensions, known)
    # one name space for both: the calls' employees first, then names only the route has
    # (each distinct route name looked up once: a year has ~150,000 route rows and a few dozen names)
    ans_codes, ans_names = pd.factorize(ans_name)
    extra = pd.Index(ans_names).difference(pd.Index(names)).to_numpy(dtype=object)
    names = np.concatenate([names, extra])
    # a row's key: its call's position, then its employee's code in the low bits
    bits = max(len(names) - 1, 0).bit_length()
    ans_code = pd.Index(names).get_indexer(ans_names)[ans_codes]
    main_key = main_idx << bits | codes[main_idx]
    own_key, own_talk = _sum_by_key(ans_idx << bits | ans_code, ans_talk)
    keys, is_main = _merge_keys(main_key, own_key)
    row_call = keys >> bits
    # a row's talk: its own answer steps' when the route has them, else the call's minus what the
    # others of the call talked (summed per call over the few rows with steps, not over every row)
    others = np.bincount(own_key >> bits, weights=own_talk, minlength=n)
    talk = np.maximum(calls["talk_s"].to_numpy(dtype=float)[row_call] - others[row_call], 0.0)
    talk[np.searchsorted(keys, own_key)] = own_talk
    out = {c: calls[c].array.take(row_call) for c in CALL_COLUMNS if c in calls}
    status = pd.Series(out["status"])
    if isinstance(status.dtype, pd.CategoricalDtype) and "answered" not in status.cat.categories:
        status = status.cat.add_categories(["answered"])
    out["status"] = status.where(talk <= 0, "answered").array
    return pd.DataFrame({
        **out,
        "employee": drop_unused(pd.Categorical.from_codes(keys & ((1 << bits) - 1), names.astype(str), validate=False)),
        # a categorical: a million "main"/"answered" strings cost 0.1 s to build as Arrow strings
        "role": pd.Categorical.from_codes(np.where(is_main, 0, 1).astype(np.int8), ["main", "answered"]),
        "talk_s": talk,
        "call": row_call,
    }, copy=False)


def calls_per_employee_per_day(attributed: pd.DataFrame, call_days: np.ndarray | None = None) -> float:
    """Mean calls per employee per day = (call, employee) rows / (employee, day) pairs with a call.
    ``call_days``: the wall-clock day (:func:`bucket_codes`) of every call of the calls frame the
    rows' ``call`` positions point into, when a report has them already.  NaN (no data) without rows."""
    if attributed.empty:
        return float("nan")
    employee = attributed["employee"]
    who = (employee.cat.codes.to_numpy().astype(np.int64) if isinstance(employee.dtype, pd.CategoricalDtype)
           else pd.factorize(employee)[0])
    day = (bucket_codes(attributed["start"], "day") if call_days is None
           else call_days[attributed["call"].to_numpy()])
    pairs = tally((day - day.min()) * (who.max() + 2) + who + 1)[0]  # counted, not sorted: days × employees is small
    return len(attributed) / len(pairs)
