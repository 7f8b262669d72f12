"""Column operations at numpy/Arrow speed, shared by the layers that work on a million rows
(calls, metrics, reports): text by its distinct values, call ids hashed in Arrow, categoricals
without their unused categories.

The PBX's text repeats (contexts, apps, peers), so work on distinct values.

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


def text_in(values: pd.Series, among: pd.Series) -> np.ndarray:
    """``values.isin(among)`` for text (call ids, phone numbers), hashed in Arrow: pandas' own
    iterates Arrow strings in Python, most of a second for a year's calls."""
    found = pc.is_in(pa.array(values.astype("string")), value_set=pa.array(among.astype("string")))
    return found.fill_null(False).to_numpy(zero_copy_only=False)


def text_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What ``pd.factorize`` gives for a text column — codes in order of first appearance, -1 for
    a missing value, and the distinct values as an object array — hashed once in Arrow: a year's
    million client numbers as Python objects cost three times as much.  A categorical gives its
    codes and categories as they are."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy().astype(np.int64), np.asarray(values.cat.categories, dtype=object)
    column = pa.array(values, pa.large_string()) if isinstance(values, np.ndarray) else pa.array(values)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.large_string())
    if pa.types.is_null(column.type):  # nothing but missing values
        column = column.cast(pa.large_string())
    encoded = column.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary.to_numpy(zero_copy_only=False).astype(object)


def text_positions(values: pd.Series, among: pd.Series) -> np.ndarray:
    """Index in ``among`` of every value (-1 where absent), for text such as call ids: hashed in Arrow."""
    found = pc.index_in(pa.array(values.astype("str")), value_set=pa.array(among.astype("str")))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


FEW_CATEGORIES = 64  # up to this many, drop_unused compares rather than counts


def drop_unused(values: pd.Categorical, *, sort: bool = False) -> pd.Categorical:
    """``values`` without the categories that do not occur, the others in their order (sorted with
    ``sort``): what ``remove_unused_categories`` (then ``reorder_categories``) gives, by counting the
    codes where pandas sorts a million of them, and recoding them once."""
    codes = values.codes
    if len(values.categories) <= FEW_CATEGORIES:
        # a comparison of the small codes with each category is a fraction of a millisecond per
        # million; a count first widens every code to 64 bits (~5 ms per million)
        used = np.array([c for c in range(len(values.categories)) if (codes == c).any()], dtype=np.int64)
    elif codes.dtype.itemsize <= 2:  # up to 32,767 categories: code -1 counts in the last bin of the unsigned view
        counts = np.bincount(codes.view(np.uint8 if codes.dtype.itemsize == 1 else np.uint16))
        used = np.flatnonzero(counts[: len(values.categories)])
    else:
        used = np.flatnonzero(np.bincount(codes[codes >= 0])[: len(values.categories)])
    if sort:
        used = used[values.categories[used].argsort()]
    if np.array_equal(used, np.arange(len(values.categories))):
        return values
    recode = np.full(len(values.categories) + 1, -1, dtype=codes.dtype)  # the last entry serves code -1
    recode[used] = np.arange(len(used))
    return pd.Categorical.from_codes(np.take(recode, codes), values.categories[used], validate=False)
