"""Clients: the first-time callers of a period and the most active client numbers.

A **first-time caller** is an incoming (or mixed) call flagged ``primary``: the first call the PBX
ever saw of that number (docs/calls.md "Primary calls").  A number the company called first is not
a first-time caller when it rings back.  A client's **activity** counts their external calls of the
period in both directions, one per call however many times it was transferred.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.metrics.calls import external, inbound
from atsnb.vectors import text_codes

ACTIVITY_COLUMNS = ["number", "calls", "incoming", "outgoing", "answered", "unanswered", "talk_s", "last_call"]


def number_codes(calls: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Every call's client number as a code (-1: none) and the distinct numbers: the one pass over
    a year's million numbers that every figure of the clients report shares."""
    codes, names = text_codes(calls["external_number"])
    empty = np.flatnonzero(names == "")
    if len(empty):
        codes = np.where(codes == empty[0], -1, codes)
    return codes, names


def first_time_callers(calls: pd.DataFrame, codes: np.ndarray | None = None) -> np.ndarray:
    """Mask of the incoming and mixed calls with a number that are its first call (``primary``)."""
    codes = number_codes(calls)[0] if codes is None else codes
    primary = calls["primary"].fillna(False).to_numpy(dtype=bool)
    return primary & inbound(calls).to_numpy(dtype=bool) & (codes >= 0)


def client_activity(calls: pd.DataFrame, limit: int | None = 20,
                    numbers: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Per client number (:data:`ACTIVITY_COLUMNS`) over the external calls with a number: calls,
    incoming (incl. mixed), outgoing, answered, unanswered incoming (missed + dropped), talk time and
    the start of the last call; the ``limit`` most active first (more calls, then the later last call,
    then the number).  ``numbers``: the calls' :func:`number_codes`, when the caller has them."""
    codes, names = number_codes(calls) if numbers is None else numbers
    keep = external(calls).to_numpy(dtype=bool) & (codes >= 0)
    codes = codes[keep]
    k = len(names)
    is_in = inbound(calls).to_numpy(dtype=bool)[keep]
    answered = (calls["status"] == "answered").to_numpy(dtype=bool)[keep]
    start = calls["start"]
    utc = start.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy() if len(start) else np.empty(0, "datetime64[ns]")
    unit = np.datetime_data(utc.dtype)[0]
    ns = utc.view(np.int64)[keep]  # ticks of the column's own unit
    per = np.bincount(codes, minlength=k)
    last = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
    # the calls come in start order: the last of a number's assignments is its latest call
    order = np.arange(len(ns)) if len(ns) < 2 or (np.diff(ns) >= 0).all() else np.argsort(ns, kind="stable")
    last[codes[order]] = ns[order]
    present = np.flatnonzero(per > 0)
    if limit is not None and len(present) > limit:  # only the numbers that can be among the first
        present = present[per[present] >= np.partition(per[present], -limit)[-limit]]
    ranked = np.lexsort((names[present].astype(str), -last[present], -per[present]))
    chosen = present[ranked[:limit] if limit is not None else ranked]
    incoming = np.bincount(codes[is_in], minlength=k)
    table = pd.DataFrame({
        "number": names[chosen].astype(str),
        "calls": per[chosen],
        "incoming": incoming[chosen],
        "outgoing": per[chosen] - incoming[chosen],
        "answered": np.bincount(codes[answered], minlength=k)[chosen],
        "unanswered": np.bincount(codes[is_in & ~answered], minlength=k)[chosen],
        "talk_s": np.bincount(codes, weights=calls["talk_s"].to_numpy(dtype=float)[keep], minlength=k)[chosen],
        "last_call": pd.Series(last[chosen].astype(f"datetime64[{unit}]")).dt.tz_localize("UTC").dt.tz_convert(
            start.dt.tz),
    })
    return table.reset_index(drop=True)


def calls_by_region(regions: np.ndarray, calls: np.ndarray, top: int, other: str, unknown: str) -> pd.DataFrame:
    """Calls per region (``region``, ``calls``) from the ``calls`` of each number and its region
    ("" unknown): the ``top`` regions with the most calls, then the rest together as ``other`` and
    the numbers the registry does not know as ``unknown``."""
    counted = pd.Series(np.asarray(calls, dtype=np.int64)).groupby(np.asarray(regions, dtype=object)).sum()
    counted = counted[counted > 0]
    known = counted.drop("", errors="ignore")
    known = known.iloc[np.lexsort((known.index.astype(str), -known.to_numpy()))]
    rows = list(known.iloc[:top].items())
    rest = int(known.iloc[top:].sum())
    if rest:
        rows.append((other, rest))
    if "" in counted.index:
        rows.append((unknown, int(counted[""])))
    return pd.DataFrame(rows, columns=["region", "calls"]).astype({"calls": np.int64})
