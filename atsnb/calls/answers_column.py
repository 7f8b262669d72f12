"""Who else talked on a call: the answer steps of the calls that can count for a second employee,
kept beside the call in the store.

A call counts for its own employee and, when it was transferred or is internal, for everyone else
who answered it (docs/glossary.md §14.2).  Finding those people means reading the route: a year of a busy PBX
has ~0.9 M answer steps to read and match to their calls by call id, which took a year's report
more time than its figures (docs/performance.md).  Only transferred and internal calls
(:func:`shared_calls`, ~15 % of calls) can have a second person, so the derivation writes their
answer steps into one text column of the stored calls, ``answers`` (empty for every other call),
and a report reads it with the calls: no route read, no matching, the rows already aligned.

The text is ``target US duration_s`` per answer step, joined by RS (the ASCII unit and record
separators, which neither an extension, a phone number nor a number's text contains); durations
are written as the shortest text that reads back to the same float.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.vectors import text_positions

ANSWERS = "answers"  # the stored calls' column
ANSWER_STEP_COLUMNS = ["call_id", "seq", "kind", "target", "duration_s"]  # what of the steps it is made of
UNIT, RECORD = "\x1f", "\x1e"


def shared_calls(calls: pd.DataFrame) -> np.ndarray:
    """The calls that can have a second employee: transferred (``transfers`` > 0) or internal."""
    return (calls["transfers"].to_numpy() > 0) | calls["direction"].eq("internal").to_numpy(dtype=bool)


def shared_answer_steps(calls: pd.DataFrame, steps: pd.DataFrame | None) -> tuple[np.ndarray, pd.DataFrame]:
    """The answer steps in ``steps`` of the :func:`shared_calls` among ``calls``, and each one's
    call as its row in ``calls`` (only those few calls' ids are hashed)."""
    shared = np.flatnonzero(shared_calls(calls))
    if not len(shared) or steps is None or steps.empty:
        return np.empty(0, np.int64), pd.DataFrame(columns=ANSWER_STEP_COLUMNS)
    call = text_positions(steps["call_id"], calls["call_id"].iloc[shared])  # -1: not a shared call's step
    keep = (call >= 0) & steps["kind"].eq("answer").to_numpy(dtype=bool)
    return shared[call[keep]], steps[keep]


def pack_answers(calls: pd.DataFrame, steps: pd.DataFrame) -> pd.Series:
    """The ``answers`` column for ``calls``: their answer steps (in route order) when they are
    :func:`shared_calls`, else ``""``.  ``steps`` holds the calls' whole routes."""
    values = np.full(len(calls), "", dtype=object)
    row, answers = shared_answer_steps(calls, steps)
    if len(row):
        order = np.lexsort((answers["seq"].to_numpy(), row))  # each call's steps together, in route order
        row = row[order]
        durations = pa.array(answers["duration_s"].to_numpy(dtype=float)[order]).cast(pa.large_string())
        targets = pa.array(answers["target"].astype(str), type=pa.large_string()).take(pa.array(order))
        pairs = pc.binary_join_element_wise(targets, durations, pa.scalar(UNIT, pa.large_string()))
        starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
        per_call = pa.LargeListArray.from_arrays(pa.array(np.r_[starts, len(row)], pa.int64()), pairs)
        joined = pc.binary_join(per_call, pa.scalar(RECORD, pa.large_string()))
        values[row[starts]] = joined.to_numpy(zero_copy_only=False)
    return pd.Series(values, index=calls.index, dtype="str", name=ANSWERS)


def unpack_answers(column: pd.Series) -> tuple[np.ndarray, pd.Categorical, np.ndarray]:
    """(position in ``column``, target, duration_s) of every answer step an ``answers`` column holds;
    ``column`` is aligned with its calls, so a position is the call's row.  The targets (a few
    dozen people over a year's ~150,000 steps) come as a categorical."""
    text = pa.array(column.to_numpy(dtype=object) if column.dtype == object else column, type=pa.large_string())
    rows = np.flatnonzero(pc.binary_length(text).to_numpy(zero_copy_only=False) > 0)
    if not len(rows):
        return np.empty(0, np.int64), pd.Categorical([]), np.empty(0, float)
    shared = text.take(pa.array(rows))
    shared = shared.combine_chunks() if isinstance(shared, pa.ChunkedArray) else shared
    steps = pc.split_pattern(shared, RECORD)
    parent = rows[pc.list_parent_indices(steps).to_numpy()]
    pairs = pc.split_pattern(pc.list_flatten(steps), UNIT, max_splits=1)
    target = pc.list_element(pairs, 0).dictionary_encode()
    duration = pc.list_element(pairs, 1).cast(pa.float64()).to_numpy()
    names = target.dictionary.to_numpy(zero_copy_only=False).astype(object)
    return parent.astype(np.int64), pd.Categorical.from_codes(target.indices.to_numpy(), names), duration
