"""Per-call reductions over legs sorted by call: the numpy ``reduceat`` idiom behind every column.

Legs arrive sorted by call (then time), so each call is one contiguous run starting at
``starts[i]``; a reduction is one ``ufunc.reduceat`` over the whole column, and "the first leg
where …" is the minimum row number among the legs where it holds.
"""

from __future__ import annotations

import numpy as np

NO_ROW = np.iinfo(np.int64).max


class Runs:
    """The runs of one sorted call-index column ``cidx`` (values 0..n-1, contiguous)."""

    def __init__(self, cidx: np.ndarray):
        self.cidx = cidx
        self.size = len(cidx)
        self.starts = np.flatnonzero(np.r_[True, cidx[1:] != cidx[:-1]]) if len(cidx) else np.array([], int)
        self.n = len(self.starts)
        self.rows = np.arange(self.size, dtype=np.int64)

    def any(self, mask: np.ndarray) -> np.ndarray:
        return np.logical_or.reduceat(mask, self.starts) if self.n else np.array([], bool)

    def count(self, mask: np.ndarray | None = None) -> np.ndarray:
        ones = np.ones(self.size, np.int64) if mask is None else mask.astype(np.int64)
        return np.add.reduceat(ones, self.starts) if self.n else np.array([], np.int64)

    def min(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Smallest value per call (NaN where no leg qualifies)."""
        v = values if mask is None else np.where(mask, values, np.nan)
        return np.fmin.reduceat(v, self.starts) if self.n else np.array([], float)

    def max(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        v = values if mask is None else np.where(mask, values, np.nan)
        return np.fmax.reduceat(v, self.starts) if self.n else np.array([], float)

    def first_row(self, mask: np.ndarray) -> np.ndarray:
        """Row number of the first leg where ``mask`` holds, per call (NO_ROW if none)."""
        if not self.n:
            return np.array([], np.int64)
        return np.minimum.reduceat(np.where(mask, self.rows, NO_ROW), self.starts)

    def last_row(self, mask: np.ndarray) -> np.ndarray:
        """Row number of the last leg where ``mask`` holds, per call (-1 if none)."""
        if not self.n:
            return np.array([], np.int64)
        return np.maximum.reduceat(np.where(mask, self.rows, -1), self.starts)

    def first_row_by(self, key: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Row number of the leg with the smallest ``key`` among those where ``mask`` holds."""
        best = self.min(key, mask)
        return self.first_row(mask & (key == best[self.cidx]))

    def last_row_by(self, key: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Row number of the leg with the largest ``key`` where ``mask`` holds (the last on ties)."""
        best = self.max(key, mask)
        return self.last_row(mask & (key == best[self.cidx]))

    def broadcast(self, per_call: np.ndarray) -> np.ndarray:
        return per_call[self.cidx]


def pick(values: np.ndarray, rows: np.ndarray, default: object = "") -> np.ndarray:
    """``values[rows]`` with ``default`` where the row is missing (NO_ROW or -1)."""
    ok = (rows >= 0) & (rows != NO_ROW)
    out = np.full(len(rows), default, dtype=values.dtype if values.dtype != object else object)
    out[ok] = values[rows[ok]]
    return out
