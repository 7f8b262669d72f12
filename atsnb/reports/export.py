"""CSV and XLSX files of a report element: exactly the rows shown under the filters applied,
headers as the reader sees them, durations as h:mm:ss, dates in the PBX zone.

- **CSV**: UTF-8 with a BOM and ``;`` between fields, which is what Excel in a Russian locale
  opens correctly with a double click; durations as ``h:mm:ss`` text, shares with one decimal;
  a totals row last when the table has one.
- **XLSX**: the table on the first sheet — durations as real Excel durations (format
  ``[h]:mm:ss``, so they still add up), dates as dates — and the report, element, filters and
  formula on a second sheet, so a forwarded file says what it contains.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.reports.model import Element

CSV_SEPARATOR = ";"


def _hms(seconds: object) -> str:
    if seconds is None or pd.isna(seconds):  # type: ignore[arg-type]
        return ""
    total = int(round(float(seconds)))  # type: ignore[arg-type]
    sign, total = ("-", -total) if total < 0 else ("", total)
    return f"{sign}{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def totals(element: Element) -> dict[str, object] | None:
    """The totals row of a table that has one, "Итого" first: its summable columns added up, its
    rates recomputed from the rows (:attr:`Element.ratios`: factor × Σ numerator / Σ denominator
    over the rows with a positive denominator, blank when none has one), every other column blank —
    a sum of means, shares, targets per day or days per employee would mean nothing."""
    if not element.totals or element.data.empty:
        return None
    data = element.data
    summable = element.summable if element.summable is not None else [
        c for c in data.columns
        if pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
        and element.units.get(c) != "%"
    ]
    row: dict[str, object] = dict.fromkeys(data.columns, None)
    for column in summable:
        row[column] = data[column].sum()
    for column, (numerator, denominator, factor) in element.ratios.items():
        below = pd.to_numeric(data[denominator], errors="coerce").fillna(0).to_numpy(dtype=float)
        counted = below > 0
        base = below[counted].sum()
        above = pd.to_numeric(data[numerator], errors="coerce").fillna(0).to_numpy(dtype=float)[counted].sum()
        row[column] = factor * above / base if base > 0 else None
    first = data.columns[0]
    if row[first] is None:
        row[first] = t("rep_total")
    return row


def table_frame(element: Element) -> pd.DataFrame:
    """The element's rows (plus its totals row) with time zones dropped for the file formats."""
    data = element.data.copy()
    for column in data.columns:
        if isinstance(data[column].dtype, pd.DatetimeTZDtype):
            data[column] = data[column].dt.tz_localize(None)
        elif data[column].dtype == object:
            data[column] = data[column].map(
                lambda v: v.tz_localize(None) if isinstance(v, pd.Timestamp) and v.tzinfo else v)
    row = totals(element)
    if row is not None:
        data = pd.concat([data, pd.DataFrame([row], columns=data.columns)], ignore_index=True)
    return data


def csv_bytes(element: Element) -> bytes:
    """The element as CSV bytes (module docstring)."""
    data = table_frame(element).astype(object)
    for column, unit in element.units.items():
        if column not in data:
            continue
        if unit == "s":
            data[column] = data[column].map(_hms)
        elif unit == "%":
            data[column] = data[column].map(lambda v: "" if v is None or pd.isna(v) else f"{float(v):.1f}")
    for column in data.columns:
        if data[column].map(lambda v: isinstance(v, pd.Timestamp)).any():
            data[column] = data[column].map(_date_text)
    return data.to_csv(sep=CSV_SEPARATOR, index=False).encode("utf-8-sig")


def _date_text(value: object) -> str:
    if not isinstance(value, pd.Timestamp) or pd.isna(value):
        return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    midnight = (value.hour, value.minute, value.second) == (0, 0, 0)
    return value.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S")


def rows_text(element: Element) -> str:
    """What the file holds, exactly: "20 000 of 28 821 (the latest)" for a capped table, else the
    number of rows (a totals row comes on top)."""
    def grouped(n: int) -> str:
        return f"{n:,}".replace(",", "\u202f")

    rows = len(element.data)
    if element.rows_total is not None and element.rows_total > rows:
        return t("rep_export_rows_capped", rows=grouped(rows), total=grouped(element.rows_total))
    return grouped(rows)


def _sheet_name(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of ``[]:*?/\\``."""
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31].strip() or "data"


def xlsx_bytes(element: Element, filters: dict[str, object] | None = None, report_title: str = "") -> bytes:
    """The element as an XLSX workbook (module docstring); ``filters`` as the report shows them."""
    data = table_frame(element)
    seconds = [c for c, u in element.units.items() if u == "s" and c in data]
    for column in seconds:  # Excel keeps durations as fractions of a day
        data[column] = pd.to_numeric(data[column], errors="coerce") / 86_400.0
    about = [(t("rep_export_report"), report_title), (t("rep_export_element"), element.title)]
    about += [(t(f"rep_filter_{k}"), str(v)) for k, v in (filters or {}).items() if v not in (None, "")]
    about.append((t("rep_export_rows"), rows_text(element)))
    if element.note:
        about.append((t("rep_export_note"), element.note))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        sheet = _sheet_name(element.title)
        data.to_excel(writer, sheet_name=sheet, index=False)
        pd.DataFrame(about, columns=[t("rep_export_what"), t("rep_export_value")]).to_excel(
            writer, sheet_name=_sheet_name(t("rep_export_about")), index=False)
        ws = writer.sheets[sheet]
        for index, column in enumerate(data.columns, start=1):
            letter = ws.cell(row=1, column=index).column_letter
            unit = element.units.get(column)
            fmt = "[h]:mm:ss" if unit == "s" else "0.0" if unit == "%" else None
            if fmt is None and pd.api.types.is_datetime64_any_dtype(data[column]):
                fmt = "yyyy-mm-dd hh:mm:ss"
            if fmt:
                for cell in ws[letter][1:]:
                    cell.number_format = fmt
            width = max([len(str(column))] + [len(str(v)) for v in data[column].head(200)])
            ws.column_dimensions[letter].width = float(np.clip(width + 2, 8, 60))
    return buffer.getvalue()
