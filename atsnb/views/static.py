"""Static rendering of a report for notebooks, papermill runs and e-mailed snapshots: HTML tables
and KPI cards, charts as matplotlib PNG images.  Nothing here needs JavaScript, so an executed
notebook converted by nbconvert reads the same in a browser and in a mail client.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.reports.model import Element, Report
from atsnb.views import style
from atsnb.views.axis import MAX_X_LABELS, category_labels, day_ticks
from atsnb.views.format import cell, column_title, hms, totals_row, unit_label
from atsnb.views.html import heading_html, kpi_html, kpi_value, table_html

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CHART_KINDS = frozenset({"bar", "stacked_bar", "line", "pie"})
TABLE_ROWS_IN_NOTEBOOK = 500  # a detailed table of every call is exported, not printed in full


def _y_unit(element: Element) -> str | None:
    units = {element.units.get(y) for y in element.y}
    return units.pop() if len(units) == 1 else None


def chart_figure(element: Element, *, width_in: float = 8.0, height_in: float = 3.4) -> Figure:
    """A matplotlib figure of a chart element (bars, stacked bars, lines, pie): the title as the
    report words it, the unit on the y axis (durations ticked as ч:мм:сс), the x axis labelled as on
    the dashboards (dates ``dd.mm``, :mod:`atsnb.views.axis`) with only as many labels as fit.
    A bare ``Figure``: no pyplot state, no backend switch in the kernel; matplotlib is imported here
    so that dashboards (bqplot) never load it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    data = element.data
    fig = Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # a renderer to measure the tick labels with
    ax = fig.add_subplot()
    ax.set_title(element.title, fontsize=11, loc="left")
    if data.empty or not element.y:
        ax.text(0.5, 0.5, t("dash_no_data"), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    if element.kind == "pie":
        values = data[element.y[0]].fillna(0).clip(lower=0)
        labels = category_labels(data[element.x]) if element.x else [str(i) for i in data.index]
        if values.sum() > 0:
            ax.pie(values, labels=None, colors=style.PALETTE[: len(values)] * (len(values) // 10 + 1),
                   autopct=lambda p: f"{p:.0f}%" if p >= 4 else "", startangle=90, counterclock=False,
                   wedgeprops={"linewidth": 1, "edgecolor": "white"}, textprops={"fontsize": 9})
            ax.legend(labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False,
                      ncols=1 + (len(labels) - 1) // 12)  # long lists in columns, not off the canvas
        ax.set_aspect("equal")
        return fig
    x = data[element.x] if element.x else pd.Series(data.index)
    positions = np.arange(len(data))
    if element.kind == "line":
        for i, y in enumerate(element.y):
            ax.plot(positions, pd.to_numeric(data[y], errors="coerce"), label=str(y),
                    color=style.PALETTE[i % 10], linewidth=1.8, marker="o" if len(data) <= 40 else None,
                    markersize=3)
    else:
        stacked = element.kind == "stacked_bar"
        n = len(element.y)
        width = 0.8 if stacked or n == 1 else 0.8 / n
        bottom = np.zeros(len(data))
        for i, y in enumerate(element.y):
            values = pd.to_numeric(data[y], errors="coerce").fillna(0).to_numpy(dtype=float)
            offset = 0 if stacked or n == 1 else (i - (n - 1) / 2) * width
            ax.bar(positions + offset, values, width, bottom=bottom if stacked else None, label=str(y),
                   color=style.PALETTE[i % 10])
            if stacked:
                bottom = bottom + values
    ax.set_xlim(-0.6, len(data) - 0.4)
    unit = _y_unit(element)
    if unit == "s":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: hms(v)))
    elif unit == "%":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}%"))
    if unit and unit != "%":  # the unit on the axis, not in the title ("Загрузка линий, линий")
        ax.set_ylabel(unit_label(unit), fontsize=9)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if len(element.y) > 1:
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    _category_ticks(fig, ax, category_labels(x), day_ticks(x))
    return fig


TICK_FONT_PT = 8
TICK_GAP_PX = 4  # free room between two neighbouring tick labels


def _category_ticks(fig: Figure, ax, labels: list[str], preferred: list[int] | None) -> None:
    """Label every n-th point (or every n-th of the ``preferred`` ones: an hourly line's midnights)
    so that the labels never touch: upright when they fit so, slanted by 45° otherwise, and as many
    as the axis has room for — measured on the laid-out figure, not guessed from the point count."""
    candidates = list(range(len(labels))) if preferred is None else preferred
    if not candidates:
        return
    fig.draw_without_rendering()  # the constrained layout gives the axes their final width
    renderer = fig.canvas.get_renderer()
    axes_px = ax.get_window_extent(renderer).width
    point_px = axes_px / max(len(labels), 1)  # the distance between neighbouring points
    gaps = np.diff(candidates).min() if len(candidates) > 1 else len(labels)
    probe = ax.text(0, 0, max((labels[i] for i in candidates), key=len), fontsize=TICK_FONT_PT)
    box = probe.get_window_extent(renderer)
    probe.remove()
    step = max(1, -(-len(candidates) // MAX_X_LABELS))
    upright = box.width + TICK_GAP_PX <= step * gaps * point_px
    # slanted labels are parallel strips: their distance across is the tick spacing × sin 45°
    need = box.width + TICK_GAP_PX if upright else (box.height + TICK_GAP_PX) * np.sqrt(2)
    while step < len(candidates) and step * gaps * point_px < need:
        step += 1
    chosen = candidates[::step]
    ax.set_xticks(chosen, [labels[i] for i in chosen], fontsize=TICK_FONT_PT,
                  rotation=0 if upright else 45, ha="center" if upright else "right",
                  rotation_mode="default" if upright else "anchor")


def chart_png(element: Element, **size: float) -> bytes:
    """The chart as PNG bytes (what a notebook output and a mailed snapshot embed)."""
    fig = chart_figure(element, **size)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def filters_html(report: Report) -> str:
    """One line naming the filters the figures were computed for."""
    parts = [f"{html.escape(t('dash_filter_' + k))}: {html.escape(str(v))}"
             for k, v in report.filters.items() if v not in (None, "", [])]
    return f'<p class="atsnb-note">{" · ".join(parts)}</p>' if parts else ""


def element_html(element: Element, *, max_rows: int | None = TABLE_ROWS_IN_NOTEBOOK) -> str:
    """The element's heading and body as HTML (tables and KPIs only; charts are images)."""
    body = kpi_html(element) if element.kind == "kpi" else table_html(element, max_rows=max_rows)
    return heading_html(element) + f'<div style="overflow-x:auto">{body}</div>'


def headline_figures(report: Report) -> list[tuple[str, str]]:
    """The few figures a reader sees first, as (label, text) pairs: the first KPI cards, or — for a
    report of tables — the totals row of its first table that has one (a mail's plain-text part)."""
    for element in report.elements:
        if element.kind == "kpi" and not element.data.empty:
            row = element.data.iloc[0]
            return [(column_title(element, c), kpi_value(row[c], element.units.get(c))) for c in element.data.columns]
    for element in report.elements:
        totals = totals_row(element) if element.kind == "table" else None
        if totals is not None:
            return [(column_title(element, c), cell(v, element.units.get(c))) for c, v in totals.items()
                    if v is not None and not isinstance(v, str)]
    return []


def _meta(**atsnb: object) -> dict[str, dict[str, object]]:
    """Output metadata a static snapshot reads (atsnb.views.snapshot): what each output shows."""
    return {"atsnb": atsnb}


def show(report: Report) -> None:
    """Display a report in a notebook: title, filters, then each element — tables and KPI cards as
    HTML, charts as PNG images.  Works under papermill and nbconvert; no widgets, no JavaScript.
    Each output carries metadata saying what it is (the heading with the filters and the headline
    figures, an element's key, title and row count), so a snapshot of the executed notebook can
    title a mail, write its plain-text part and shorten its tables."""
    from IPython.display import display

    for shown, metadata in outputs(report):
        display(shown, metadata=metadata)


def outputs(report: Report) -> list[tuple[object, dict]]:
    """What :func:`show` displays, in order: ``(IPython HTML or Image, output metadata)`` pairs —
    also read without a kernel by the dashboards server's read-only views."""
    from IPython.display import HTML, Image

    filters = [(t("dash_filter_" + k), str(v)) for k, v in report.filters.items() if v not in (None, "", [])]
    shown: list[tuple[object, dict]] = [(
        HTML(f'{style.STYLESHEET}<h2 class="atsnb-title" style="font-size:20px">{html.escape(report.title)}</h2>{filters_html(report)}'),
        _meta(part="heading", report=report.name, title=report.title, filters=filters, headline=headline_figures(report)))]
    for element in report.elements:
        about = {"key": element.key, "kind": element.kind, "title": element.title}
        if element.kind in CHART_KINDS:  # the title is drawn in the image; the note goes under it
            shown.append((Image(data=chart_png(element), format="png"), _meta(part="chart", **about)))
            if element.note:
                shown.append((HTML(f'<p class="atsnb-note">{html.escape(element.note)}</p>'), _meta(part="note")))
        else:
            rows = len(element.data) if element.rows_total is None else max(element.rows_total, len(element.data))
            shown.append((HTML(element_html(element)), _meta(part=element.kind, rows=rows, **about)))
    return shown
