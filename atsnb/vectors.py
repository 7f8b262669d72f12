"""Fast text columns outside the legs (topology inference, witnesses, output frames): the PBX's
text repeats (contexts, apps, peers), so work on distinct values.

pandas 3 keeps text in Arrow; turning a million Arrow strings into Python objects one by one, or
running a Python string method per row, costs more than the whole reconstruction.  Factorising first
and touching each distinct value once keeps it cheap.  The legs themselves hold text as codes of
:mod:`atsnb.calls.vocabulary`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def text_mask(values: pd.Series | np.ndarray, predicate: Callable[[str], bool]) -> np.ndarray:
    """``predicate`` of every value, evaluated once per distinct value."""
    codes, uniques = _factorize(values)
    table = np.array([bool(predicate(str(u))) for u in uniques] + [False], dtype=bool)
    return table[codes]


def text_map(values: pd.Series | np.ndarray, fn: Callable[[str], str]) -> np.ndarray:
    """``fn`` of every value as an object array, evaluated once per distinct value."""
    codes, uniques = _factorize(values)
    table = np.array([fn(str(u)) for u in uniques] + [fn("")], dtype=object)
    return table[codes]


def first_field(values: pd.Series | np.ndarray, sep: str) -> np.ndarray:
    """The text before the first ``sep`` (``"700,t,,,240"`` → ``"700"``)."""
    return text_map(values, lambda v: v.split(sep, 1)[0])


def arrow_column(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A column as ``values.astype(str)`` in Arrow, in the chunks it came in (missing values stay
    missing, so they equal nothing)."""
    return pa.array(values.astype(str))


def equals(values: pa.Array | pa.ChunkedArray, text: str) -> np.ndarray:
    """Mask of the values equal to ``text`` (missing values are not)."""
    return np.asarray(pc.equal(values, text).fill_null(False), dtype=bool)


def is_in(values: pa.Array | pa.ChunkedArray, wanted: pa.Array) -> np.ndarray:
    """Mask of the values found in ``wanted`` by one Arrow hash lookup (missing values are not)."""
    return np.asarray(pc.is_in(values, value_set=wanted.cast(values.type)).fill_null(False), dtype=bool)


def object_frame(columns: dict[str, np.ndarray | pd.Series], index: pd.Index | None = None) -> pd.DataFrame:
    """A DataFrame that keeps object arrays as objects (pandas 3 would convert them to Arrow) and
    takes every array as it is, without gathering same-typed columns into one block."""
    return pd.DataFrame({k: pd.Series(v, index=index, dtype=object if _is_text(v) else None, copy=False)
                         if isinstance(v, np.ndarray) else v for k, v in columns.items()}, index=index, copy=False)


def _is_text(v: np.ndarray | pd.Series) -> bool:
    return isinstance(v, np.ndarray) and v.dtype == object


def _factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values; numpy object arrays stay numpy (a Series would re-encode to Arrow)."""
    if isinstance(values, pd.Series) and values.dtype == object:
        values = values.to_numpy()
    return pd.factorize(values, use_na_sentinel=True)


def isin(values: pd.Series, among: pd.Series) -> np.ndarray:
    """``values.isin(among)`` for call ids, hashed in Arrow (pandas' own iterates Arrow strings in Python)."""
    found = pc.is_in(pa.array(values.astype("string")), value_set=pa.array(among.astype("string")))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def positions(values: pd.Series, among: pd.Series) -> np.ndarray:
    """Index in ``among`` of every value (-1 where absent), for call ids: hashed in Arrow."""
    found = pc.index_in(pa.array(values.astype("str")), value_set=pa.array(among.astype("str")))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
