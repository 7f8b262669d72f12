"""Primary calls: the first call of each external number (docs/calls.md, Primary calls).

"First" means the earliest start, and between calls starting in the same second the smaller call
id.  Within one frame of records that is a per-number minimum; across history it also needs the
numbers seen before, which the store keeps per number as (first start, call id) — the
``seen_before`` that :func:`atsnb.reconstruct` accepts.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

SEEN_COLUMNS = ["number", "first_us", "call_id"]


def first_of_each(number: np.ndarray, start: np.ndarray, none: object) -> np.ndarray:
    """Mask of the first call (smallest ``start``, then the earlier position) of each ``number``;
    calls whose number is ``none`` are never first.  ``number`` may be codes or strings; ``start``
    NaN sorts last.  Calls come numbered in call-id order, and the sort is stable, so between calls
    of one second the smaller call id wins."""
    out = np.zeros(len(number), dtype=bool)
    has = np.flatnonzero(number != none)
    if not len(has):
        return out
    order = has[np.lexsort((start[has], number[has]))]
    first = np.r_[True, number[order][1:] != number[order][:-1]]
    out[order[first]] = True
    return out


def not_seen_later(number: np.ndarray, start_us: np.ndarray, call_id: np.ndarray,
                   seen_before: pd.DataFrame | Iterable[str]) -> np.ndarray:
    """Mask of the calls that stay first given the numbers seen before.

    ``seen_before`` is either the numbers alone (any call of them is not first) or a frame with
    :data:`SEEN_COLUMNS` (first start in UTC microseconds): a call stays first when it is that
    stored first call or earlier than it.
    """
    if not isinstance(seen_before, pd.DataFrame):
        return ~np.isin(number, np.asarray(list(seen_before), dtype=object))
    missing = [c for c in SEEN_COLUMNS if c not in seen_before.columns]
    if missing:
        raise ValueError(f"seen_before needs the columns {', '.join(SEEN_COLUMNS)}; missing: {', '.join(missing)}")
    stored = seen_before.drop_duplicates("number").set_index("number")
    known = pd.Index(stored.index).get_indexer(number)
    at = np.flatnonzero(known >= 0)
    out = np.ones(len(number), dtype=bool)
    first_us = stored["first_us"].to_numpy(dtype=float)[known[at]]
    first_id = stored["call_id"].astype(str).to_numpy(dtype=object)[known[at]]
    mine_us, mine_id = start_us[at].astype(float), call_id[at].astype(object)
    out[at] = (mine_us < first_us) | ((mine_us == first_us) & (mine_id <= first_id))
    return out
