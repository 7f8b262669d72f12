"""Phone numbers in one form, so the same client is the same key whatever the PBX wrote.

The one rule every layer uses (calls, reference data, directories, the simulator):

* Russian numbers become 11 digits starting with 7: ``+7 916 123-45-67``, ``89161234567`` and
  ``9161234567`` are all ``79161234567``.  Only ten-digit numbers whose first digit opens a
  Russian numbering zone (3xx/4xx/8xx landlines and non-geographic, 9xx mobiles) get the 7, so a
  ten-digit foreign number dialled without its prefix is not mistaken for a Russian one.
* ``810…`` (the old international prefix) and ``00…`` are cut to the country code; a number
  written with ``+`` already starts with its country code and keeps its digits.
* Short numbers (extensions, services) and foreign numbers keep their digits.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_RUSSIAN_NATIONAL_DIGITS = 10
_RUSSIAN_ZONES = "3489"


def normalize_number(raw: object) -> str:
    """One number in canonical form ('' for nothing usable)."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ""
    text = str(raw).strip()
    digits = "".join(ch for ch in text if "0" <= ch <= "9")
    if not digits or text.startswith("+"):
        return digits
    if len(digits) == 11 and digits[0] == "8":
        return "7" + digits[1:]
    if len(digits) == _RUSSIAN_NATIONAL_DIGITS and digits[0] in _RUSSIAN_ZONES:
        return "7" + digits
    if digits.startswith("810") and len(digits) > 11:
        return digits[3:]
    if digits.startswith("00") and len(digits) > 10:
        return digits[2:]
    return digits


def normalize_numbers(values: pd.Series) -> pd.Series:
    """:func:`normalize_number` over a column: the same rules as column operations in Arrow, on the
    distinct values only (columns repeat a lot; a first import has a million distinct clients)."""
    if values.empty:
        return pd.Series("", index=values.index, dtype=object)
    column = pa.array(values.fillna("").astype(str), type=pa.large_string())
    # a column read from several Parquet files arrives in chunks: one dictionary over all of them
    encoded = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
    text = pc.utf8_trim_whitespace(encoded.dictionary)
    digits = pc.replace_substring_regex(text, r"[^0-9]+", "")
    length = pc.binary_length(digits)

    def tail(start: int) -> pa.Array:
        return pc.utf8_slice_codeunits(digits, start)

    first = pc.utf8_slice_codeunits(digits, 0, 1)
    seven = pa.scalar("7", type=pa.large_string())
    joiner = pa.scalar("", type=pa.large_string())
    out = digits
    # The rules of normalize_number, the first that applies winning: applied here last to first.
    out = pc.if_else(pc.and_(pc.starts_with(digits, "00"), pc.greater(length, 10)), tail(2), out)
    out = pc.if_else(pc.and_(pc.starts_with(digits, "810"), pc.greater(length, 11)), tail(3), out)
    zone = pc.and_(pc.equal(length, _RUSSIAN_NATIONAL_DIGITS), pc.is_in(first, value_set=pa.array(list(_RUSSIAN_ZONES))))
    out = pc.if_else(zone, pc.binary_join_element_wise(seven, digits, joiner), out)
    out = pc.if_else(pc.and_(pc.equal(length, 11), pc.equal(first, "8")),
                     pc.binary_join_element_wise(seven, tail(1), joiner), out)
    out = pc.if_else(pc.or_(pc.starts_with(text, "+"), pc.equal(length, 0)), digits, out)
    return pd.Series(out.take(encoded.indices).to_numpy(zero_copy_only=False), index=values.index, dtype=object)
