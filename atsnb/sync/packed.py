"""Rows packed by the server: one text field per row instead of one per column.

Why: pymysql spends most of its time per *field* (length prefix, slice, decode, convert), so a
CDR row of 26 columns costs 26 trips through Python.  Asking MariaDB for
``CONCAT_WS(<US>, IFNULL(col, <RS>), …)`` sends one field per row; Arrow then splits all of a
batch's rows in C++.  Measured on the reference machine: about a third of the client CPU of a
plain ``SELECT`` of the same rows (docs/performance.md, "Sync").

The packing is exact: NULL travels as the record-separator character, and a batch in which any
row does not split into exactly one field per column (a value containing the unit separator)
is refused (:func:`unpack` returns None), and the caller reads it again the plain way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.sync.normalise import NOT_UTF8

SEPARATOR = "\x1f"  # ASCII unit separator
NULL = "\x1e"  # ASCII record separator: stands for SQL NULL


def packed_select(columns: list[str]) -> str:
    """The SELECT list that packs ``columns`` (already quoted) into one text field."""
    fields = ", ".join(f"IFNULL({c}, CHAR(30 USING utf8mb4))" for c in columns)
    return f"CONCAT_WS(CHAR(31 USING utf8mb4), {fields})"


def _texts(rows: list[tuple]) -> tuple[pa.Array, list[int]]:
    """The packed fields as Arrow text, and the rows whose bytes were not UTF-8 (their bad bytes
    replaced by U+FFFD, so the sync can say which rows it changed)."""
    values = next(zip(*rows, strict=True))
    try:  # a binary column makes the result binary: Arrow takes UTF-8 bytes as text all the same
        return pa.array(values, type=pa.large_string()), []
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # bytes that are not UTF-8
        texts, bad = [], []
        for pos, value in enumerate(values):
            if isinstance(value, bytes | bytearray):
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    value = value.decode("utf-8", "replace")
                    bad.append(pos)
            texts.append(value)
        return pa.array(texts, type=pa.large_string()), bad


def unpack(rows: list[tuple], names: list[str]) -> pd.DataFrame | None:
    """Packed rows → a frame of text columns named ``names`` (NaN for NULL), or None if not exact."""
    width = len(names)
    if not rows:
        return pd.DataFrame({n: pd.Series([], dtype="str") for n in names})
    texts, not_utf8 = _texts(rows)
    parts = pc.split_pattern(texts, SEPARATOR)
    lengths = pc.list_value_length(parts)
    if pc.min(lengths).as_py() != width or pc.max(lengths).as_py() != width:
        return None
    flat = parts.flatten()
    starts = np.arange(len(rows), dtype=np.int64) * width
    out = {}
    for i, name in enumerate(names):
        column = flat.take(pa.array(starts + i))
        column = pc.if_else(pc.equal(column, NULL), pa.scalar(None, pa.large_string()), column)
        out[name] = pd.Series(pd.array(column, dtype="str"))
    frame = pd.DataFrame(out)
    if not_utf8:
        frame.attrs[NOT_UTF8] = not_utf8
    return frame
