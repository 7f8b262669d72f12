"""Report chart elements as bqplot figures for the dashboards.

The data arrive aggregated (tens to a few thousand points), which is what an SVG chart can draw
quickly.  Durations are drawn in minutes — an axis cannot tick in h:mm:ss — and the axis says so;
the tables next to the charts keep the exact h:mm:ss values.
"""

from __future__ import annotations

import html

import bqplot as bq
import ipywidgets as w
import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.reports.model import Element
from atsnb.views import style
from atsnb.views.axis import MAX_X_LABELS, category_labels, day_ticks
from atsnb.views.format import cell

SHORT_LABEL = 8  # characters a slanted axis label fits in the usual bottom margin
MIN_LABELLED_SHARE = 0.04  # pie slices thinner than this carry no percentage (it would not fit)


def plotted_values(element: Element, column: str) -> np.ndarray:
    """A y column as drawn: durations (unit "s") in minutes, everything else as is; gaps as 0."""
    values = pd.to_numeric(element.data[column], errors="coerce").fillna(0).to_numpy(dtype=float)
    return values / 60 if element.units.get(column) == "s" else values


def category_num_ticks(n: int) -> int | None:
    """The ``num_ticks`` that makes bqplot label every n-th of ``n`` categories, at most
    :data:`MAX_X_LABELS` of them (None: all).  bqplot 0.13 labels every ⌊n / (num_ticks − 1)⌋-th
    category — asked for 16 of 24 hours it labels all 24, which collide on a phone."""
    if n <= MAX_X_LABELS:
        return None
    step = -(-n // MAX_X_LABELS)
    return n // step + 1


def drawn_top(ys: list[np.ndarray], *, stacked: bool) -> float:
    """The highest value a chart draws: of any series, or of the series' sums for stacked bars."""
    if not ys or not len(ys[0]):
        return 0.0
    return float(np.sum(ys, axis=0).max() if stacked else max(y.max() for y in ys))


def y_axis_label(element: Element) -> str:
    units = {element.units.get(y) for y in element.y}
    if units == {"s"}:
        return t("dash_axis_minutes")
    if units == {"%"}:
        return "%"
    unit = units.pop() if len(units) == 1 else None
    return t(f"dash_unit_{unit}") if unit in {"calls", "lines"} else ""


def bottom_margin(labels: list[str]) -> int:
    """Room under the axis for its slanted labels: the usual 55 px holds dates and short names; a
    longer label (a funnel stage, a department) gets more, so its start is not cut off."""
    longest = max(map(len, labels), default=0)
    return 55 if longest <= SHORT_LABEL else min(55 + 5 * (longest - SHORT_LABEL), 130)


def _figure(element: Element, marks: list, axes: list, titled: bool, bottom: int = 55) -> bq.Figure:
    return bq.Figure(
        marks=marks,
        axes=axes,
        title=element.title if titled else "",
        fig_margin={"top": 40 if titled else 12, "bottom": bottom, "left": 55, "right": 15},
        layout=w.Layout(width="100%", height="340px", min_width="280px"),
        title_style={"font-size": "15px"},
        animation_duration=0,
    )


def chart_figure(element: Element, *, titled: bool = True) -> bq.Figure:
    """A bqplot figure for a chart element: bars, stacked bars, lines or a pie, axis units.

    ``titled=False`` leaves the title (and the legend, :func:`legend_html`) to HTML around the
    figure, as the dashboards do: an SVG title cannot wrap on a phone, and a legend drawn inside
    the plot covers the bars."""
    data = element.data
    if element.kind == "pie":
        sizes = plotted_values(element, element.y[0]) if element.y else np.array([])
        total = sizes.sum()
        shares = [f"{100 * v / total:.0f}%" if total and v / total >= MIN_LABELLED_SHARE else "" for v in sizes]
        pie = bq.Pie(
            sizes=sizes,
            labels=shares,  # the names go in the legend under the pie: long names do not fit a phone
            colors=style.PALETTE,
            display_labels="inside",
            radius=110,
            inner_radius=40,
            label_color="white",
            font_size="12px",
            tooltip=bq.Tooltip(fields=["size"], formats=[".0f"]),
        )
        return _figure(element, [pie], [], titled)
    x_values = data[element.x] if element.x else pd.Series(data.index)
    labels = category_labels(x_values)
    ticks = day_ticks(x_values) if element.kind == "line" else None
    x_scale = bq.OrdinalScale() if ticks is None else bq.LinearScale(min=0, max=max(len(labels) - 1, 1))
    ys = [plotted_values(element, y) for y in element.y]
    names = [str(y) for y in element.y]
    legend = len(ys) > 1
    grouped = legend and element.kind == "bar"
    highest = drawn_top(ys, stacked=element.kind == "stacked_bar")
    # bqplot 0.13 computes no y range for grouped bars (it reads a value it never sets), which draws
    # nothing: their top is given here
    y_scale = bq.LinearScale(min=0, max=max(highest * 1.05, np.ceil(highest), 1.0) if grouped else None)
    y_data = ys if legend else ys[0]  # one series as a flat array
    colors = style.PALETTE if legend else style.PALETTE[:1]  # one series, one colour (not one per bar)
    if element.kind == "line":
        mark = bq.Lines(x=labels if ticks is None else np.arange(len(labels)), y=y_data, scales={"x": x_scale, "y": y_scale}, colors=colors,
                        labels=names, stroke_width=2,
                        marker="circle" if len(labels) <= 40 else None, marker_size=16)
    else:
        mark = bq.Bars(x=labels, y=y_data, scales={"x": x_scale, "y": y_scale}, colors=colors,
                       labels=names,
                       type="grouped" if grouped else "stacked",
                       padding=0.15, tooltip=bq.Tooltip(fields=["x", "y"], formats=["", ".1f"]))
        if element.tooltip:
            hover_details(mark, element, labels)
    shown = labels if ticks is None else [labels[i] for i in ticks]
    slanted = max(map(len, shown), default=0) > 3
    # a slanted label hangs from its tick (anchored at its end): anchored at its middle, bqplot draws
    # its first half up into the plot, where the bars hide it
    x_axis = bq.Axis(scale=x_scale, tick_rotate=-40 if slanted else 0,
                     tick_style={"font-size": "11px", **({"text-anchor": "end"} if slanted else {})},
                     **({"num_ticks": category_num_ticks(len(labels))} if ticks is None
                        else {"tick_values": np.array(ticks), "tick_labels": {i: labels[i] for i in ticks}}))
    # up to 10 the axis would tick halves, which ".0f" prints as "0 0 1 1 2 2": whole numbers instead
    whole = {"tick_values": np.arange(0, max(np.ceil(highest), 1.0) + 1)} if highest <= 10 else {}
    y_axis = bq.Axis(scale=y_scale, side="left", label=y_axis_label(element), tick_format=".0f",
                     grid_lines="dashed", label_offset="40px", **whole)
    return _figure(element, [mark], [x_axis, y_axis], titled, bottom_margin(shown))


def hover_details(mark: bq.Bars, element: Element, labels: list[str]) -> None:
    """A bar's tooltip with the element's :attr:`~Element.tooltip` columns beside its value (the
    calls and dates a mean per day is taken of): an HTML tooltip the kernel fills for the bar
    under the pointer — bqplot's own tooltip shows only the mark's x and y."""
    tip = w.HTML()
    shown = [*element.y, *element.tooltip]

    def hovered(_mark: bq.Bars, content: dict) -> None:
        point = content.get("data") or content.get("point") or {}
        if not isinstance(point, dict):
            return
        index = point.get("index")
        if index is None and point.get("x") in labels:
            index = labels.index(point["x"])
        if index is None or not 0 <= int(index) < len(element.data):
            return
        row = element.data.iloc[int(index)]
        lines = [f"<b>{html.escape(labels[int(index)])}</b>"] + [
            f"{html.escape(str(column))}: {html.escape(cell(row[column], element.units.get(column)))}" for column in shown]
        tip.value = f'<div style="font:12px sans-serif;padding:2px 4px">{"<br>".join(lines)}</div>'

    mark.tooltip = tip
    mark.on_hover(hovered)


def legend_html(element: Element) -> str:
    """The chart's legend as wrapping HTML: a pie's slices with their values, or the series of a
    multi-series chart; empty for a single series (the title names it)."""
    if element.kind == "pie":
        names = category_labels(element.data[element.x]) if element.x else [str(i) for i in element.data.index]
        column = element.y[0] if element.y else None
        values = [cell(v, element.units.get(column)) for v in element.data[column]] if column else [""] * len(names)
        items = [f"{name}: {value}" for name, value in zip(names, values, strict=True)]
    elif len(element.y) > 1:
        items = [str(y) for y in element.y]
    else:
        return ""
    spans = [
        f'<span style="display:inline-block;margin:2px 12px 2px 0;white-space:nowrap">'
        f'<span style="display:inline-block;width:10px;height:10px;margin-right:5px;'
        f'background:{style.PALETTE[i % len(style.PALETTE)]}"></span>{html.escape(item)}</span>'
        for i, item in enumerate(items)
    ]
    return f'<div class="atsnb-note atsnb-legend" style="white-space:normal">{"".join(spans)}</div>'
