"""How figures read on screen and on paper: durations as h:mm:ss, shares with a % sign, counts
with thousands grouped, dates in the PBX zone.

Every renderer (dashboard tables, notebook HTML, chart tooltips) formats through here, so a
number looks the same wherever it is shown.  The data itself stays numeric: formatting happens
only at the last step, on a copy.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.reports.model import Element

THIN_SPACE = "\u202f"  # narrow no-break space: groups thousands without wrapping a number
NO_BREAK = "\u00a0"  # a unit stays on the line of the word it qualifies


def hms(seconds: float | int | None) -> str:
    """``3725`` → ``"1:02:05"``; empty for a missing value.  Hours are not wrapped at 24."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)) or pd.isna(seconds):
        return ""
    total = int(round(float(seconds)))
    sign = "-" if total < 0 else ""
    total = abs(total)
    return f"{sign}{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def number(value: float | int | None, decimals: int = 0) -> str:
    """``12345.6`` → ``"12 346"`` (narrow space between thousands); empty for a missing value."""
    if value is None or pd.isna(value):
        return ""
    text = f"{float(value):,.{decimals}f}" if decimals else f"{int(round(float(value))):,}"
    return text.replace(",", THIN_SPACE)


def percent(value: float | None) -> str:
    """A share 0..100 → ``"12.5 %"`` (one decimal); empty for a missing value."""
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):.1f}{THIN_SPACE}%"


def cell(value: object, unit: str | None) -> str:
    """One value as text, by the unit the report gave its column."""
    if unit == "s":
        return hms(value)  # type: ignore[arg-type]
    if unit == "%":
        return percent(value)  # type: ignore[arg-type]
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return ""
        has_time = (value.hour, value.minute, value.second) != (0, 0, 0)
        return value.strftime("%d.%m.%Y %H:%M:%S" if has_time else "%d.%m.%Y")
    if isinstance(value, bool | np.bool_):
        return t("dash_yes") if value else t("dash_no")
    if isinstance(value, int | np.integer):
        return number(value)
    if isinstance(value, float | np.floating):
        if pd.isna(value):
            return ""
        return number(value, 0 if float(value).is_integer() else 1)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def unit_label(unit: str | None) -> str:
    """The unit as a reader sees it next to a column or on an axis, in their language ("ч:мм:сс",
    "%", "звонков")."""
    if unit == "%":
        return "%"
    return t(f"dash_unit_{unit}") if unit else ""


def column_title(element: Element, column: str) -> str:
    """A column header with its unit in brackets when the unit is not obvious from the values."""
    unit = element.units.get(column)
    return f"{column},{NO_BREAK}{unit_label(unit)}" if unit in {"s"} else str(column)


def totals_row(element: Element, frame: pd.DataFrame | None = None) -> dict[str, object] | None:
    """The totals row of a table that asks for one, over ``frame`` (default: all its rows) —
    the very row the CSV/XLSX export appends (:func:`atsnb.reports.export.totals`)."""
    from atsnb.reports.export import totals

    return totals(element if frame is None else dataclasses.replace(element, data=frame))


def display_frame(element: Element, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The table as text, ready to show: every cell formatted by its unit, headers with units."""
    frame = element.data if frame is None else frame
    out = pd.DataFrame(
        {column: [cell(v, element.units.get(column)) for v in frame[column]] for column in frame.columns},
        index=frame.index,
    )
    out.columns = [column_title(element, c) for c in frame.columns]
    return out
