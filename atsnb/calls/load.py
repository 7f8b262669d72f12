"""``load_calls``: the calls of a period, for notebooks, reports and analysts.

Reads only the month files the period touches (``store.table("calls").read``), then filters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from atsnb.calls.classify import CALL_COLUMNS
from atsnb.calls.reconstruct import empty_calls
from atsnb.config import Settings, load_settings
from atsnb.errors import InputError
from atsnb.store import Store

TimeLike = str | dt.date | dt.datetime | pd.Timestamp


def load_calls(
    start: TimeLike,
    end: TimeLike,
    *,
    store: Store | None = None,
    settings: Settings | None = None,
    **filters: object,
) -> pd.DataFrame:
    """Calls that started in [start, end), optionally filtered by column value or list of values.

    ``start``/``end`` accept dates, ``"2025-07-01"``-style strings and Timestamps; naive ones are
    PBX-local time.  ``load_calls("2025-07-01", "2025-08-01", direction="incoming",
    employee=["101", "102"])``.
    """
    settings = settings or load_settings()
    store = store or Store.open(settings.store_path)
    tz = settings.pbx.timezone
    lo, hi = _moment(start, tz, "start"), _moment(end, tz, "end")
    unknown = sorted(set(filters) - set(CALL_COLUMNS))
    if unknown:
        raise InputError(f"load_calls cannot filter on {', '.join(unknown)}: the calls have no such column.")
    calls = store.table("calls").read(lo, hi)
    if calls.empty:
        return empty_calls(tz)
    mask = pd.Series(True, index=calls.index)
    for column, wanted in filters.items():
        if wanted is None:
            continue
        if isinstance(wanted, Iterable) and not isinstance(wanted, str):
            mask &= calls[column].isin(list(wanted))
        else:
            mask &= calls[column] == wanted
    out = calls[mask].reset_index(drop=True)
    for c in ("start", "answer", "end"):
        out[c] = out[c].dt.tz_convert(tz)
    return out[CALL_COLUMNS]


def _moment(value: TimeLike, tz: str, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"load_calls: {name}={value!r} is not a date or time.") from exc
    if ts is pd.NaT:
        raise InputError(f"load_calls: {name} is empty; give a date such as 2025-07-01.")
    return ts.tz_localize(tz, ambiguous=True, nonexistent="shift_forward") if ts.tzinfo is None else ts.tz_convert(tz)
