"""The route map of one call: a timeline with one lane per party — the caller, the line, the IVR,
each queue and ring group, every phone rung, a forward's mobile, voicemail — bars for how long each
rang, waited or talked, a hold on the caller's lane, ↪ where the call was transferred and ✕ on the
lane of whoever hung up; the time axis in h:mm:ss from the call's start.

:func:`route_layout` turns the steps into lanes, bars and marks once; two renderers draw it: HTML
(:func:`route_map_html`: positioned blocks that keep their text readable at a phone's width, for
the dashboard) and matplotlib (:func:`route_map_figure` / :func:`route_map_png`, for notebooks
and mailed snapshots, which show no script).
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from atsnb.calls.evidence import CallRoute
from atsnb.i18n import t
from atsnb.views.format import hms

COLOURS = {
    "call": "#e2e8f0", "connected": "#bbf7d0", "line": "#cbd5e1", "ivr": "#c4b5fd", "queue": "#93c5fd",
    "group": "#93c5fd", "ring": "#d1d5db", "ring_answered": "#86efac", "ring_busy": "#fca5a5",
    "talk": "#16a34a", "hold": "#f59e0b", "forward": "#d8b4fe", "voicemail": "#d6b98c",
}
PLACES = ("ivr", "queue", "group", "voicemail")  # steps whose lane is the place itself
TICKS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
MIN_BAR_PCT = 0.8  # a step of no length still shows


@dataclass
class Bar:
    lane: int
    start: float  # seconds from the call's start
    end: float
    kind: str  # a key of COLOURS
    text: str  # what hovering says


@dataclass
class Mark:
    lane: int
    at: float
    symbol: str  # ↪ transfer, ✕ hang-up
    text: str


@dataclass
class RouteLayout:
    lanes: list[str] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    total: float = 0.0

    def ticks(self, most: int = 6) -> list[float]:
        """Axis ticks at a round step, at most ``most`` + 1 of them."""
        step = next((s for s in TICKS if self.total / s <= most), math.ceil(self.total / most / 3600) * 3600)
        return [i * step for i in range(int(self.total // step) + 1)]


def _is_extension(value: str) -> bool:
    return value.isdigit() and len(value) < 7


def route_layout(route: CallRoute, name: Callable[[str], str] = str) -> RouteLayout:
    """Lanes (in order of first appearance, the caller first), bars and marks of a call's route;
    ``name`` turns an extension into the name shown (``"Иванов Иван (101)"``)."""
    call, steps = route.call, route.steps
    start = pd.Timestamp(call["start"])
    end = pd.Timestamp(call["end"]) if pd.notna(call.get("end")) else start
    layout = RouteLayout(total=max((end - start).total_seconds(), 1.0))
    keys: dict[str, int] = {}

    def lane(key: str, label: str) -> int:
        if key not in keys:
            keys[key] = len(layout.lanes)
            layout.lanes.append(label)
        return keys[key]

    def who(value: str) -> str:
        return name(value) if _is_extension(value) else value

    caller = str(call.get("caller") or "")
    external = call.get("direction") in ("incoming", "mixed")
    first = lane(caller, t("rec_lane_client" if external else "rec_lane_caller", number=who(caller)))
    answered = pd.Timestamp(call["answer"]) if pd.notna(call.get("answer")) else None
    waited = ((answered - start).total_seconds() if answered is not None else layout.total)
    layout.bars.append(Bar(first, 0.0, waited, "call", f"{t('rec_bar_wait')} {hms(waited)}"))
    if answered is not None:
        layout.bars.append(Bar(first, waited, layout.total, "connected",
                               f"{t('answered')} {hms(waited)}–{hms(layout.total)}"))
    last_talker = first
    for step in steps.itertuples(index=False):
        at = (pd.Timestamp(step.at) - start).total_seconds()
        took = float(step.duration_s or 0)
        party, target = str(step.party or ""), str(step.target or "")
        span = f"{hms(at)}–{hms(at + took)} ({hms(took)})"
        if step.kind == "line":
            row = lane(f"line:{target}", t("rec_lane_line", number=target))
            layout.bars.append(Bar(row, at, at + took, "line", f"{t('step_line')} {target} {span}"))
        elif step.kind in PLACES:
            row = lane(f"{step.kind}:{target}", t(f"rec_lane_{step.kind}", target=target))
            layout.bars.append(Bar(row, at, at + took, step.kind, f"{t('step_' + step.kind)} {target} {span}"))
        elif step.kind in ("ring", "forward"):
            label = who(target) if step.kind == "ring" else t("rec_lane_forward", target=target)
            row = lane(target, label)
            kind = {"answered": "ring_answered", "busy": "ring_busy", "failed": "ring_busy"}.get(step.outcome, "ring")
            outcome = f" — {t('outcome_' + step.outcome)}" if step.outcome else ""
            layout.bars.append(Bar(row, at, at + took, "forward" if step.kind == "forward" else kind,
                                   f"{t('step_' + step.kind)} {who(target)} {span}{outcome}"))
        elif step.kind == "answer":
            row = lane(target, who(target))
            last_talker = row
            layout.bars.append(Bar(row, at, at + took, "talk", f"{t('step_answer')} {who(target)} {span}"))
        elif step.kind == "hold":
            layout.bars.append(Bar(first, at, at + took, "hold",
                                   f"{t('rec_bar_hold')}: {who(party)} → {who(target)} {span}"))
        elif step.kind == "transfer":
            row = lane(party, who(party)) if party else first
            layout.marks.append(Mark(row, at, "↪", f"{t('step_transfer')} {who(party)} → {who(target)} {hms(at)}"))
        elif step.kind == "hangup":
            if party in ("caller", "system", ""):
                row = first
            else:
                row = last_talker if party == "callee" else lane(party, who(party))
            said = {"caller": t("rep_hangup_caller"), "callee": t("rep_hangup_callee"),
                    "system": t("rep_hangup_system")}.get(party, who(party))
            layout.marks.append(Mark(row, at, "✕", f"{t('step_hangup')}: {said} {hms(at)}"))
    return layout


def _pct(value: float, total: float) -> float:
    return max(0.0, min(100.0, 100.0 * value / total))


MAP_CSS = (
    ".atsnb-route{font:12px system-ui,sans-serif;max-width:100%;}"
    ".atsnb-route-lane{margin:2px 0 6px 0;}"
    ".atsnb-route-name{color:#334155;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;}"
    ".atsnb-route-track{position:relative;height:16px;background:#f8fafc;border-radius:3px;}"
    ".atsnb-route-bar{position:absolute;top:2px;height:12px;border-radius:2px;min-width:3px;}"
    ".atsnb-route-mark{position:absolute;top:-3px;font-weight:bold;transform:translateX(-50%);color:#0f172a;}"
    ".atsnb-route-axis{position:relative;height:16px;color:#64748b;border-top:1px solid #cbd5e1;margin-top:4px;}"
    ".atsnb-route-tick{position:absolute;top:2px;transform:translateX(-50%);white-space:nowrap;}"
    ".atsnb-route-tick:first-child{transform:none;}"
)


def route_map_html(layout: RouteLayout) -> str:
    """The map as HTML: a row per lane (its name above its track), the axis under them.  Widths are
    shares of the call, so it fits any screen and its texts stay the page's size."""
    out = [f"<style>{MAP_CSS}</style>", '<div class="atsnb-route" role="img" aria-label="'
           f'{html.escape(t("rec_map"))}">']
    for row, label in enumerate(layout.lanes):
        out.append(f'<div class="atsnb-route-lane" data-lane="{html.escape(label)}">'
                   f'<div class="atsnb-route-name">{html.escape(label)}</div><div class="atsnb-route-track">')
        for bar in (b for b in layout.bars if b.lane == row):
            left = _pct(bar.start, layout.total)
            width = max(_pct(bar.end, layout.total) - left, MIN_BAR_PCT)
            out.append(f'<div class="atsnb-route-bar" data-kind="{bar.kind}" title="{html.escape(bar.text)}" '
                       f'style="left:{left:.2f}%;width:{min(width, 100 - left):.2f}%;background:{COLOURS[bar.kind]}"></div>')
        for mark in (m for m in layout.marks if m.lane == row):
            out.append(f'<span class="atsnb-route-mark" title="{html.escape(mark.text)}" '
                       f'style="left:{_pct(mark.at, layout.total):.2f}%">{mark.symbol}</span>')
        out.append("</div></div>")
    ticks = "".join(f'<span class="atsnb-route-tick" style="left:{_pct(x, layout.total):.2f}%">{hms(x)}</span>'
                    for x in layout.ticks() if _pct(x, layout.total) <= 92)
    out.append(f'<div class="atsnb-route-axis">{ticks}'
               f'<span class="atsnb-route-tick" style="left:100%;transform:translateX(-100%)">{hms(layout.total)}</span>'
               "</div></div>")
    return "".join(out)


def route_map_figure(layout: RouteLayout, *, width_in: float = 9.0):
    """The map as a matplotlib figure: lane names on the left, bars, marks, h:mm:ss ticks."""
    from matplotlib.figure import Figure

    rows = max(len(layout.lanes), 1)
    fig = Figure(figsize=(width_in, 0.9 + 0.42 * rows), layout="constrained")
    ax = fig.add_subplot()
    for bar in layout.bars:
        ax.barh(bar.lane, max(bar.end - bar.start, layout.total * MIN_BAR_PCT / 100), left=bar.start, height=0.55,
                color=COLOURS[bar.kind], edgecolor="#94a3b8" if bar.kind.startswith("ring") else "none", linewidth=0.6)
    for mark in layout.marks:
        ax.text(mark.at, mark.lane - 0.38, mark.symbol, ha="center", va="center", fontsize=11, fontweight="bold")
    ax.set_yticks(range(len(layout.lanes)), layout.lanes, fontsize=9)
    ax.set_ylim(rows - 0.4, -0.8)
    ticks = layout.ticks()
    ax.set_xticks(ticks, [hms(x) for x in ticks], fontsize=8)
    ax.set_xlim(0, layout.total * 1.01)
    ax.grid(axis="x", color="#e2e8f0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(t("rec_map"), fontsize=11, loc="left")
    return fig


def route_map_png(layout: RouteLayout, **size: float) -> bytes:
    """The map as PNG bytes (a notebook output, a mailed snapshot)."""
    buf = io.BytesIO()
    route_map_figure(layout, **size).savefig(buf, format="png", dpi=100)
    return buf.getvalue()
