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
from atsnb.views.format import cell

MAX_X_LABELS = 16  # more category labels than this collide on a phone; show every n-th
SHORT_LABEL = 8  # characters a slanted axis label fits in the usual bottom margin
MIN_LABELLED_SHARE = 0.04  # pie slices thinner than this carry no percentage (it would not fit)


def _midnights(times: pd.Series) -> np.ndarray:
    return ((times.dt.hour == 0) & (times.dt.minute == 0)).to_numpy()


def _within_one_day(times: pd.Series) -> bool:
    return times.dt.normalize().nunique() <= 1


def category_labels(values: pd.Series) -> list[str]:
    """x categories as short text: days as ``dd.mm``; times within one day as ``HH:MM``; times over
    several days as ``dd.mm HH:MM``, midnights as just ``dd.mm`` (the axis ticks only those, see
    :func:`day_ticks`); others as shown in tables."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        return [cell(v, None) for v in values]
    midnight = _midnights(values)
    if midnight.all():
        return list(values.dt.strftime("%d.%m"))
    if _within_one_day(values):
        return list(values.dt.strftime("%H:%M"))
    days, times = values.dt.strftime("%d.%m"), values.dt.strftime("%d.%m %H:%M")
    return list(np.where(midnight, days, times))


def day_ticks(values: pd.Series) -> list[int] | None:
    """Positions of the points an hourly line over several days labels: its midnights, every n-th
    of them so that no more than :data:`MAX_X_LABELS` show.  ``None`` where the axis may thin the
    labels evenly itself — for hours over days that would pick odd hours with long, colliding
    labels (and bqplot's category axis ignores chosen ticks, so such a line is drawn over the
    point positions instead)."""
    if not pd.api.types.is_datetime64_any_dtype(values) or len(values) <= MAX_X_LABELS:
        return None
    midnight = _midnights(values)
    if midnight.all() or not midnight.any() or _within_one_day(values):
        return None
    days = np.flatnonzero(midnight)
    return [int(i) for i in days[::-(-len(days) // MAX_X_LABELS)]]


def plotted_values(element: Element, column: str) -> np.ndarray:
    """A y column as drawn: durations (unit "s") in minutes, everything else as is; gaps as 0."""
    values = pd.to_numeric(element.data[column], errors="coerce").fillna(0).to_numpy(dtype=float)
    return values / 60 if element.units.get(column) == "s" else values


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
    y_scale = bq.LinearScale(min=0)
    ys = [plotted_values(element, y) for y in element.y]
    names = [str(y) for y in element.y]
    legend = len(ys) > 1
    y_data = ys if legend else ys[0]  # one series as a flat array
    colors = style.PALETTE if legend else style.PALETTE[:1]  # one series, one colour (not one per bar)
    if element.kind == "line":
        mark = bq.Lines(x=labels if ticks is None else np.arange(len(labels)), y=y_data, scales={"x": x_scale, "y": y_scale}, colors=colors,
                        labels=names, stroke_width=2,
                        marker="circle" if len(labels) <= 40 else None, marker_size=16)
    else:
        mark = bq.Bars(x=labels, y=y_data, scales={"x": x_scale, "y": y_scale}, colors=colors,
                       labels=names,
                       # "grouped" leaves a single series' y domain empty (nothing drawn) in bqplot 0.13
                       type="grouped" if legend and element.kind == "bar" else "stacked",
                       padding=0.15, tooltip=bq.Tooltip(fields=["x", "y"], formats=["", ".1f"]))
    shown = labels if ticks is None else [labels[i] for i in ticks]
    slanted = max(map(len, shown), default=0) > 3
    # a slanted label hangs from its tick (anchored at its end): anchored at its middle, bqplot draws
    # its first half up into the plot, where the bars hide it
    x_axis = bq.Axis(scale=x_scale, tick_rotate=-40 if slanted else 0,
                     tick_style={"font-size": "11px", **({"text-anchor": "end"} if slanted else {})},
                     **({"num_ticks": MAX_X_LABELS} if ticks is None  # a category axis thins its labels to this
                        else {"tick_values": np.array(ticks), "tick_labels": {i: labels[i] for i in ticks}}))
    y_axis = bq.Axis(scale=y_scale, side="left", label=y_axis_label(element), tick_format=".0f",
                     grid_lines="dashed", label_offset="40px")
    return _figure(element, [mark], [x_axis, y_axis], titled, bottom_margin(shown))


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
