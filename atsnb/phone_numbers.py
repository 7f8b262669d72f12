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

_RUSSIAN_NATIONAL_DIGITS = 10
_RUSSIAN_ZONES = "3489"


def normalize_number(raw: object) -> str:
    """One number in canonical form ('' for nothing usable)."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return ""
    text = str(raw).strip()
    digits = "".join(ch for ch in text if ch.isdigit())
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
    """:func:`normalize_number` over a column, parsing each distinct value once (columns repeat a lot)."""
    codes, uniques = pd.factorize(values.fillna("").astype(str))
    mapped = pd.Index([normalize_number(u) for u in uniques], dtype=object)
    if len(mapped) == 0:
        return pd.Series("", index=values.index, dtype=object)
    return pd.Series(mapped.take(codes), index=values.index, dtype=object)
