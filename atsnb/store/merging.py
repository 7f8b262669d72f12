"""Merging new rows into a month file: which stored rows they replace, whether anything changes.

Every write of the store rewrites a whole month file, so a year's first import and every
``--follow`` cycle are mostly this merge (docs/performance.md, "Sync").  The rule is the one
:meth:`atsnb.store.PartitionedTable.upsert` has always had — the stored rows minus the replaced
ones, then the new ones, in time order, ties in that order — and these helpers only make it cheap:

* rows are grouped by month on integer times, not on formatted text;
* keys are looked up by an Arrow hash of the first key column (call ids, ``_key``), the whole
  key only for the few rows that share it;
* :func:`unchanged` tells from the time column alone, and a comparison of just the rows written,
  that a merge would give the file back as it is — a call re-derived the same by the next month's
  slice, or rows re-read by the sync's overlap — so the file is not written again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def month_groups(times: pd.Series) -> list[tuple[str, np.ndarray]]:
    """``(YYYY-MM, row positions)`` for every month of ``times`` (naive or tz-aware, taken in its
    own zone), in month order, the positions in row order; missing times belong to no month."""
    wall = times.dt.tz_localize(None) if times.dt.tz is not None else times
    months = wall.to_numpy().astype("datetime64[M]")
    codes = months.view(np.int64)
    valid = ~np.isnat(months)
    return [(str(np.datetime64(int(code), "M")), np.flatnonzero(valid & (codes == code)))
            for code in np.unique(codes[valid])]


def ticks(times: pd.Series | pa.ChunkedArray) -> np.ndarray:
    """Times as int64 nanoseconds since the epoch (UTC for tz-aware ones), to order and compare."""
    if isinstance(times, pa.ChunkedArray):
        return pc.cast(times, pa.timestamp("ns", times.type.tz)).to_numpy().view(np.int64)
    return pd.DatetimeIndex(times).as_unit("ns").asi8


def time_order(df: pd.DataFrame, time_col: str) -> pd.DataFrame:
    """``df`` sorted by ``time_col``, ties in their order (``sort_values(kind="stable")``), without
    a copy when it is sorted already."""
    times = df[time_col]
    if times.isna().any():
        return df.sort_values(time_col, kind="stable")
    at = ticks(times)
    if bool((at[1:] >= at[:-1]).all()):
        return df
    return df.take(np.argsort(at, kind="stable"))


def among(values: pd.Series | pa.ChunkedArray, wanted: pd.Series | pa.Array) -> np.ndarray:
    """Mask of the text ``values`` found in ``wanted``, by one Arrow hash lookup."""
    wanted = wanted if isinstance(wanted, pa.Array) else pa.array(wanted.astype(str))
    values = values if isinstance(values, pa.ChunkedArray) else pa.array(values.astype(str))
    found = pc.is_in(values, value_set=wanted.cast(values.type))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def distinct_keys(df: pd.DataFrame, key: list[str]) -> bool:
    """Whether no two rows of ``df`` share a key, checked on integer codes of the key columns."""
    combined = np.zeros(len(df), np.int64)
    for column in key:
        codes, uniques = pd.factorize(df[column])
        if len(uniques) and combined.max(initial=0) > np.iinfo(np.int64).max // (len(uniques) + 1):
            return not df.duplicated(key).any()  # too many combinations for one integer
        combined = combined * (len(uniques) + 1) + codes + 1
    return pd.Index(combined).is_unique


def month_parts(df: pd.DataFrame, time_col: str, key: list[str]) -> dict[str, pd.DataFrame]:
    """The rows of ``df`` for each month, in time order (ties in their order), a repeated key only
    once (its last row in that month).

    Keys are nearly always unique: then ``df`` is sorted once and each month is a slice of it, not
    a copy.  Otherwise each month is picked and de-duplicated on its own, as rows of one key in two
    months are two rows."""
    if not len(df):
        return {}
    if not distinct_keys(df, key):
        return {month: time_order(df.iloc[rows].drop_duplicates(key, keep="last"), time_col)
                for month, rows in month_groups(df[time_col])}
    df = time_order(df, time_col)
    parts = {}
    for month, rows in month_groups(df[time_col]):
        contiguous = rows[-1] - rows[0] + 1 == len(rows)  # not across a DST change at midnight
        parts[month] = df.iloc[rows[0]:rows[-1] + 1] if contiguous else df.iloc[rows]
    return parts


def keys_in(old: pa.Table, part: pd.DataFrame, key: list[str], rows: np.ndarray) -> np.ndarray:
    """Mask of the ``rows`` of ``old`` whose key is in ``part``: the first key column by a hash
    lookup, the whole key only for the few rows that share it."""
    hit = rows & among(old[key[0]], part[key[0]])
    if len(key) > 1 and hit.any():
        at = np.flatnonzero(hit)
        found = old.select(key).take(pa.array(at)).to_pandas()
        hit[at] = pd.MultiIndex.from_frame(found).isin(pd.MultiIndex.from_frame(part[key]))
    return hit


def unchanged(old: pa.Table, drop: np.ndarray, part: pd.DataFrame, time_col: str) -> bool:
    """Whether removing the ``drop`` rows of ``old`` (time-ordered) and adding ``part`` in time
    order, ties after the kept rows, gives ``old`` back exactly: ``part``'s rows would land where
    the dropped ones are, and are equal to them.  Only the time column and the dropped rows are
    compared, not the whole month."""
    gone = np.flatnonzero(drop)
    if len(gone) != len(part) or part[time_col].isna().any() or old[time_col].null_count:
        return False
    stored = ticks(old[time_col])
    if not bool((stored[1:] >= stored[:-1]).all()):  # a file out of time order: the merge would sort it
        return False
    new = ticks(part[time_col])
    order = np.argsort(new, kind="stable")
    landing = np.searchsorted(stored[~drop], new[order], side="right") + np.arange(len(part))
    if not np.array_equal(landing, gone):
        return False
    return old.take(pa.array(gone)).to_pandas().equals(part.iloc[order].reset_index(drop=True))
