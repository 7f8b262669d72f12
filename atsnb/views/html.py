"""Report elements as plain HTML: tables (with units, a totals row, coloured efficiency rows) and
KPI cards.

Plain markup with no script: the dashboard shows it inside an ``HTML`` widget, a notebook as a
display output, and an e-mailed snapshot keeps it readable in any mail client.
"""

from __future__ import annotations

import html

import pandas as pd

from atsnb.i18n import t
from atsnb.reports.model import Element
from atsnb.views import style
from atsnb.views.format import cell, column_title, display_frame, number, totals_row


def _esc(value: object) -> str:
    return html.escape(str(value))


def target_share_column(element: Element) -> str | None:
    """The column that colours an efficiency table: its first share (%) column, when the element
    is an efficiency panel (effective calls against the daily target)."""
    if "efficiency" not in element.key:
        return None
    return next((c for c in element.data.columns if element.units.get(c) == "%"), None)


def row_colour(share: object) -> str | None:
    """Background of an efficiency row: red below half the target, amber below it, green at it."""
    if share is None or pd.isna(share):
        return None
    share = float(share)  # type: ignore[arg-type]
    key = "ok" if share >= 100 else "mid" if share >= 50 else "low"
    return style.TARGET_COLOURS[key]


def _numeric_columns(element: Element, frame: pd.DataFrame) -> list[bool]:
    return [
        (pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
        or element.units.get(c) in {"s", "%"}
        for c in frame.columns
    ]


def table_html(element: Element, frame: pd.DataFrame | None = None, *, max_rows: int | None = None,
               rows_noted: bool = True) -> str:
    """The element's table as an HTML ``<table>``: headers with units, numbers right-aligned,
    the totals row last (computed over every row of ``frame``, not just the shown ones), and under a
    table cut at ``max_rows`` the :func:`rows_note` — unless ``rows_noted`` is false (a dashboard
    shows it below its scrolling box, where it is seen)."""
    frame = element.data if frame is None else frame
    totals = totals_row(element, frame)
    shown = frame if max_rows is None else frame.head(max_rows)
    text = display_frame(element, shown)
    numeric = _numeric_columns(element, frame)
    share_col = target_share_column(element)
    out = [style.STYLESHEET, f'<table class="atsnb-table" data-key="{_esc(element.key)}"><thead><tr>']
    out += [f"<th>{_esc(h)}</th>" for h in text.columns]
    out.append("</tr></thead><tbody>")
    shares = shown[share_col].tolist() if share_col else [None] * len(shown)
    links = element.links.reindex(shown.index).tolist() if element.links is not None else [None] * len(shown)
    for values, share, link in zip(text.itertuples(index=False), shares, links, strict=True):
        colour = row_colour(share)
        out.append(f'<tr style="background:{colour}">' if colour else "<tr>")
        cells = [_esc(v) for v in values]
        if link and cells:  # the call's page, in a tab of its own: the table stays where it was
            cells[0] = f'<a class="atsnb-call-link" href="{_esc(link)}" target="_blank" rel="noopener">{cells[0]}</a>'
        out += [f'<td class="n">{v}</td>' if is_num else f"<td>{v}</td>"
                for v, is_num in zip(cells, numeric, strict=True)]
        out.append("</tr>")
    if totals is not None:
        out.append('<tr class="atsnb-totals">')
        for column, is_num in zip(frame.columns, numeric, strict=True):
            value = totals[column]
            if value is None:
                out.append("<td></td>")
            elif is_num and not isinstance(value, str):
                out.append(f'<td class="n">{_esc(cell(value, element.units.get(column)))}</td>')
            else:
                out.append(f"<td>{_esc(value)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if rows_noted and max_rows is not None and len(frame) > max_rows:
        out.append(f'<p class="atsnb-note">{_esc(rows_note(element, max_rows, len(frame)))}</p>')
    return "".join(out)


def rows_note(element: Element, shown: int, rows: int) -> str:
    """Under a table showing a page of its rows: how many are shown, and exactly what a download
    holds — every row of the table, which for a capped table is not every call there is."""
    if element.rows_total is not None and element.rows_total > rows:
        return t("dash_rows_shown_capped", shown=number(shown), rows=number(rows), total=number(element.rows_total))
    return t("dash_rows_shown", shown=number(shown), total=number(rows))


def kpi_value(value: object, unit: str | None) -> str:
    """A KPI card's figure; "нет данных" for a figure that has none (a mean or a share of no calls
    is not 0)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return t("dash_no_value")
    return cell(value, unit)


def kpi_counts(element: Element, column: str) -> str:
    """The counts a percentage card is taken of, as its second line: "1 722 из 5 822"."""
    part, whole = element.counts.get(column, (0, 0))
    if not whole:  # no counts, or nothing to take a share of: the card says "no data"
        return ""
    text = t("dash_kpi_of", part=number(part), whole=number(whole))
    return f'<div class="atsnb-kpi-label atsnb-kpi-count" style="color:#111827">{_esc(text)}</div>'


def kpi_html(element: Element) -> str:
    """A one-row KPI frame as a row of cards: big value, the counts a percentage is of, the label
    underneath (wraps on a phone)."""
    if element.data.empty:
        return f'{style.STYLESHEET}<p class="atsnb-note">{_esc(t("dash_no_data"))}</p>'
    row = element.data.iloc[0]
    def value_html(column: str) -> str:  # "no data" is words, not a figure: it takes less room
        text = kpi_value(row[column], element.units.get(column))
        small = ' style="font-size:16px"' if text == t("dash_no_value") else ""
        return f'<div class="atsnb-kpi-value"{small}>{_esc(text)}</div>'

    cards = [
        f'<div class="atsnb-kpi" data-column="{_esc(column)}">'
        f'{value_html(column)}{kpi_counts(element, column)}'
        f'<div class="atsnb-kpi-label">{_esc(column_title(element, column))}</div></div>'
        for column in element.data.columns
    ]
    return f'{style.STYLESHEET}<div class="atsnb-kpis" data-key="{_esc(element.key)}">{"".join(cards)}</div>'


def heading_html(element: Element) -> str:
    """The element's title, and its note (the formula or definition) under it."""
    note = f'<p class="atsnb-note">{_esc(element.note)}</p>' if element.note else ""
    return f'<div class="atsnb-title">{_esc(element.title)}</div>{note}'
