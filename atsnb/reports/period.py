"""Report periods: a preset name (or explicit dates) → the half-open range ``[start, end)`` as
tz-aware timestamps in the PBX zone.

Presets count whole calendar days in the PBX zone, ``now`` included: ``today``, ``yesterday``,
``this_week`` (Monday to today), ``last_7_days`` and ``last_30_days`` (today and the days before
it), ``this_month``, ``last_month``.  ``custom`` takes ``start`` and ``end``: a date without a time
is a whole day, so ``end="2025-03-31"`` includes the 31st; a time of day is taken as it is
(exclusive for ``end``).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from atsnb.errors import AtsnbError
from atsnb.i18n import t

PRESETS = ("today", "yesterday", "this_week", "last_7_days", "last_30_days", "this_month", "last_month", "custom")


class PeriodError(AtsnbError):
    """A report period that cannot be understood (unknown preset, unreadable or reversed dates)."""


def _stamp(value: object, tz: ZoneInfo, what: str) -> tuple[pd.Timestamp, bool]:
    """The value as a PBX-zone timestamp, and whether it was a bare date."""
    is_date = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise PeriodError(t("rep_period_not_a_date", what=t(f"rep_period_{what}_word"), value=value)) from None
    if pd.isna(ts):
        raise PeriodError(t("rep_period_empty_date", what=t(f"rep_period_{what}_word")))
    if isinstance(value, str) and len(value.strip()) <= 10:
        is_date = True
    ts = ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)
    return ts, is_date


def period_range(
    period: str = "last_30_days",
    *,
    start: object = None,
    end: object = None,
    tz: str | ZoneInfo = "Europe/Moscow",
    now: pd.Timestamp | None = None,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of a preset, or of ``start``/``end`` (which imply ``custom``)."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    if start is not None or end is not None:
        period = "custom"
    if period not in PRESETS:
        raise PeriodError(t("rep_unknown_period", value=period, known=", ".join(PRESETS)))
    now = pd.Timestamp.now(tz=zone) if now is None else pd.Timestamp(now).tz_convert(zone)
    wall_today = now.tz_localize(None).normalize()

    def midnight(days_from_today: int = 0, *, of: pd.Timestamp | None = None) -> pd.Timestamp:
        """Local midnight by the wall clock, so a DST switch does not shift the period by an hour."""
        base = wall_today if of is None else of
        return (base + pd.Timedelta(days=days_from_today)).tz_localize(zone)

    if period == "custom":
        if start is None:
            raise PeriodError(t("rep_period_needs_start"))
        lo, _ = _stamp(start, zone, "start")
        if end is None:
            hi = midnight(1)
        else:
            hi, is_date = _stamp(end, zone, "end")
            hi = midnight(1, of=hi.tz_localize(None).normalize()) if is_date else hi
        if hi <= lo:
            raise PeriodError(t("rep_period_reversed", end=f"{hi:%Y-%m-%d %H:%M}", start=f"{lo:%Y-%m-%d %H:%M}"))
        return lo, hi
    presets = {
        "today": (0, 1),
        "yesterday": (-1, 0),
        "this_week": (-wall_today.day_of_week, 1),
        "last_7_days": (-6, 1),
        "last_30_days": (-29, 1),
        "this_month": (1 - wall_today.day, 1),
    }
    if period in presets:
        lo_days, hi_days = presets[period]
        return midnight(lo_days), midnight(hi_days)
    first = wall_today.replace(day=1)  # last_month
    return midnight(of=(first - pd.Timedelta(days=1)).replace(day=1)), midnight(of=first)


def describe(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """``"01.03.2025 – 31.03.2025"`` (the last day shown is the one the period ends in)."""
    last = end - pd.Timedelta(microseconds=1)
    if (start.hour, start.minute, end.hour, end.minute) != (0, 0, 0, 0):
        return f"{start:%d.%m.%Y %H:%M} – {end:%d.%m.%Y %H:%M}"
    return f"{start:%d.%m.%Y} – {last:%d.%m.%Y}"
