"""Legs as column arrays, and per-call reductions over them: the numpy ``reduceat`` idiom.

Legs stay in the order they came; :class:`Runs` holds the permutation that puts them in call
order (call, then time).  A reduction takes the one numeric column it needs through that
permutation and runs one ``ufunc.reduceat`` over every call at once; "the first leg where …" is
the smallest position in call order among the legs where it holds.  Text columns are integer
codes (:mod:`atsnb.calls.vocabulary`), so picking and moving them costs what numbers cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.vocabulary import CODE, EMPTY, Vocabulary

NO_ROW = np.iinfo(np.int64).max


class Legs:
    """Named numpy columns of equal length; text columns are codes into ``vocab``.

    ``uniqueid`` (Arrow) stays out of the columns: it is unique per leg, so it is read only for the
    few legs that need it; ``call_ids`` (Arrow) is the id of each call, in call-index order;
    ``texts`` are the text columns read only at a few legs per call (Arrow, coded on demand).
    """

    def __init__(self, columns: dict[str, np.ndarray], vocab: Vocabulary, uniqueid: pa.Array, call_ids: pa.Array,
                 texts: dict[str, pa.Array]):
        self.columns = columns
        self.vocab = vocab
        self.uniqueid = uniqueid
        self.call_ids = call_ids
        self.texts = texts

    def filled(self, name: str) -> np.ndarray:
        """Mask of the legs whose text column ``name`` is not empty."""
        return np.asarray(pc.binary_length(self.texts[name]), dtype=np.int64) > 0

    def picked(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Codes of text column ``name`` at ``rows`` (the code of '' where a row is NO_ROW or -1)."""
        ok = (rows >= 0) & (rows != NO_ROW)
        out = np.full(len(rows), EMPTY, dtype=CODE)
        out[ok] = self.vocab.encode_arrow(self.texts[name].take(pa.array(rows[ok])))
        return out

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def empty(self) -> bool:
        return len(self) == 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self.columns[name] = np.asarray(values)

    def frame(self, names: list[str], mask: np.ndarray | None = None) -> pd.DataFrame:
        """A small DataFrame of some columns (of the rows where ``mask`` holds)."""
        return pd.DataFrame({n: self[n][mask] if mask is not None else self[n] for n in names})


class Runs:
    """Calls as runs of legs: ``cidx`` (call index of each leg, 0..n-1) and ``order`` (legs in call
    order: by call, then start time, then CDR sequence)."""

    def __init__(self, cidx: np.ndarray, order: np.ndarray):
        self.call_index = cidx
        self.order = order
        self.size = len(cidx)
        sorted_cidx = cidx[order]
        self.starts = (np.flatnonzero(np.r_[True, sorted_cidx[1:] != sorted_cidx[:-1]]) if self.size
                       else np.array([], int))
        self.n = len(self.starts)
        self._sorted_cidx = sorted_cidx

    def _reduce(self, ufunc: np.ufunc, values: np.ndarray, empty: object) -> np.ndarray:
        return ufunc.reduceat(values[self.order], self.starts) if self.n else np.array([], dtype=type(empty))

    def _reduce_where(self, ufunc: np.ufunc, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """``ufunc`` over the legs where ``mask`` holds, per call (NaN where none does).

        Only those legs are gathered and reduced: the masks are a fifth of the legs or fewer, which
        halves the cost of reducing every leg with NaN standing in for the others.
        """
        at, rows = self.in_order(mask)
        calls = self._sorted_cidx[at]
        out = np.full(self.n, np.nan)
        if len(rows):
            starts = np.flatnonzero(np.r_[True, calls[1:] != calls[:-1]])
            out[calls[starts]] = ufunc.reduceat(values[rows], starts)
        return out

    def any(self, mask: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        out[self.call_index[np.flatnonzero(mask)]] = True
        return out

    def count(self, mask: np.ndarray | None = None) -> np.ndarray:
        if mask is None:  # the lengths of the runs
            return np.diff(np.r_[self.starts, self.size]).astype(np.int64)
        return np.bincount(self.call_index[np.flatnonzero(mask)], minlength=self.n).astype(np.int64)

    def min(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Smallest value per call (NaN where no leg qualifies)."""
        return self._reduce(np.fmin, values, 0.0) if mask is None else self._reduce_where(np.fmin, values, mask)

    def max(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        return self._reduce(np.fmax, values, 0.0) if mask is None else self._reduce_where(np.fmax, values, mask)

    def in_order(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The legs where ``mask`` holds in call order: their positions there (ascending, each leg's
        rank in call order) and their rows."""
        at = np.flatnonzero(mask[self.order])
        return at, self.order[at]

    def first_row(self, mask: np.ndarray) -> np.ndarray:
        """The first leg (in call order) where ``mask`` holds, per call: its row (NO_ROW if none)."""
        hits = np.flatnonzero(mask[self.order])  # positions in call order, ascending
        calls = self._sorted_cidx[hits]
        first = np.r_[True, calls[1:] != calls[:-1]] if len(hits) else np.zeros(0, bool)
        out = np.full(self.n, NO_ROW, dtype=np.int64)
        out[calls[first]] = self.order[hits[first]]
        return out

    def last_row(self, mask: np.ndarray) -> np.ndarray:
        """The last leg (in call order) where ``mask`` holds, per call: its row (-1 if none)."""
        hits = np.flatnonzero(mask[self.order])
        calls = self._sorted_cidx[hits]
        last = np.r_[calls[1:] != calls[:-1], True] if len(hits) else np.zeros(0, bool)
        out = np.full(self.n, -1, dtype=np.int64)
        out[calls[last]] = self.order[hits[last]]
        return out

    def first_row_by(self, key: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The leg with the smallest ``key`` among those where ``mask`` holds (the first on ties)."""
        return self._row_by(np.fmin, key, mask, last=False)

    def last_row_by(self, key: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The leg with the largest ``key`` where ``mask`` holds (the last on ties)."""
        return self._row_by(np.fmax, key, mask, last=True)

    def _row_by(self, ufunc: np.ufunc, key: np.ndarray, mask: np.ndarray, last: bool) -> np.ndarray:
        """The best and its leg are both found among the masked legs alone, in call order (no
        per-call best spread back over every leg); a call whose keys are all NaN has none."""
        out = np.full(self.n, -1 if last else NO_ROW, dtype=np.int64)
        at, rows = self.in_order(mask)
        if not len(rows):
            return out
        calls, values = self._sorted_cidx[at], key[rows]
        starts = np.flatnonzero(np.r_[True, calls[1:] != calls[:-1]])
        best = np.repeat(ufunc.reduceat(values, starts), np.diff(np.r_[starts, len(rows)]))
        win = np.flatnonzero(values == best)
        if not len(win):
            return out
        won = calls[win]
        edge = np.r_[won[1:] != won[:-1], True] if last else np.r_[True, won[1:] != won[:-1]]
        out[won[edge]] = rows[win[edge]]
        return out

    def broadcast(self, per_call: np.ndarray) -> np.ndarray:
        return per_call[self.call_index]

    def first_of_call(self, values: np.ndarray) -> np.ndarray:
        """The value of each call's first leg (in call order)."""
        return values[self.order[self.starts]] if self.n else values[:0]


def call_time_order(c: np.ndarray, at: np.ndarray, minor: np.ndarray) -> np.ndarray:
    """``np.lexsort((minor, at, c))``: by call, then time, then ``minor`` (an integer key).

    When every time is a whole second (PBX times are) call and time are folded into one integer
    key, which saves one of the three sorting passes.
    """
    if len(at) and c.max() < 2 ** 31:
        low, high = at.min(), at.max()
        if np.isfinite(high - low) and high - low < 2 ** 32 and (at == np.floor(at)).all():
            return np.lexsort((minor, (c.astype(np.int64) << 32) | (at - low).astype(np.int64)))
    return np.lexsort((minor, at, c))


def pick(values: np.ndarray, rows: np.ndarray, default: int = EMPTY) -> np.ndarray:
    """``values[rows]`` with ``default`` (the code of '') where the row is missing (NO_ROW or -1)."""
    ok = (rows >= 0) & (rows != NO_ROW)
    out = np.full(len(rows), default, dtype=values.dtype)
    out[ok] = values[rows[ok]]
    return out
