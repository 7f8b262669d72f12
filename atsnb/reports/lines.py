"""The External lines report: per company number the incoming and outgoing calls and
their talk time, its load, the share of calls per number, and a chart of one number over the period.

The table and the share compare every line (the other filters still apply); the ``line`` filter
picks the number the daily chart follows — the busiest line when none is picked.
"""

from __future__ import annotations

from typing import Unpack

import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.metrics import counts
from atsnb.metrics.calls import external, inbound
from atsnb.metrics.line_load import line_codes
from atsnb.reports.elements import ElementColumn, element
from atsnb.reports.model import Element, Report
from atsnb.reports.pieces import line_load_by_line_element
from atsnb.reports.scope import Scope, ScopeKeywords, load_scope

# the calls' columns every element here uses: the report reads no others (a year's read is half as long)
LINES_COLUMNS = ["start", "end", "direction", "line", "talk_s"]


def line_summary(calls: pd.DataFrame) -> pd.DataFrame:
    """Per line: ``incoming`` (incoming + mixed) and ``outgoing`` calls, ``calls``, talk time of each
    (``talk_in_s``, ``talk_out_s``, ``talk_s``) and ``share_pct`` = 100 × calls / all external calls."""
    is_ext = external(calls).to_numpy(dtype=bool)
    codes, names = line_codes(calls["line"], is_ext)  # external calls without a line: an empty number
    is_in = inbound(calls).to_numpy(dtype=bool)[is_ext]
    talk = calls["talk_s"].to_numpy(dtype=float)[is_ext]

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=weights, minlength=len(names))

    calls_per_line = np.bincount(codes, minlength=len(names))
    incoming = np.bincount(codes[is_in], minlength=len(names))
    out = pd.DataFrame({
        "line": np.asarray(names, dtype=object).astype(str),
        "incoming": incoming,
        "outgoing": calls_per_line - incoming,
        "calls": calls_per_line,
        "talk_in_s": total(np.where(is_in, talk, 0.0)),
        "talk_out_s": total(np.where(is_in, 0.0, talk)),
        "talk_s": total(talk),
    })
    out = out[out["calls"] > 0]
    out["share_pct"] = counts.share_pct(out["calls"])
    return out.sort_values(["calls", "line"], ascending=[False, True], kind="stable").reset_index(drop=True)


def scope_line_summary(scope: Scope) -> pd.DataFrame:
    """:func:`line_summary` of the scope's calls, once per report (three elements use it)."""
    return scope.once("line_summary", lambda: line_summary(scope.calls))


def named_line_summary(scope: Scope) -> pd.DataFrame:
    """:func:`line_summary` of the scope's calls with each number under its name from the directory."""
    table = scope_line_summary(scope).copy()
    table["line"] = table["line"].map(scope.line_label)
    return table


def summary_element(scope: Scope) -> Element:
    """Incoming / outgoing calls and talk time per company number, with its share of all external calls."""
    table = named_line_summary(scope)
    return element("summary", "rep_lines_summary", table, [
        ElementColumn("line", "rep_col_line"),
        ElementColumn("incoming", "incoming", "calls", sum=True),
        ElementColumn("outgoing", "outgoing", "calls", sum=True),
        ElementColumn("calls", "rep_col_calls", "calls", sum=True),
        ElementColumn("talk_in_s", "rep_col_talk_in", "s", sum=True),
        ElementColumn("talk_out_s", "rep_col_talk_out", "s", sum=True),
        ElementColumn("talk_s", "rep_col_talk_total", "s", sum=True),
        ElementColumn("share_pct", "rep_col_share", "%", ratio=("calls", "calls", 100.0)),
    ], note="rep_lines_summary_note", totals=True)


def share_element(scope: Scope) -> Element:
    """Share of external calls per company number."""
    table = named_line_summary(scope)
    return element("share", "rep_lines_share", table, [
        ElementColumn("line", "rep_col_line"),
        ElementColumn("calls", "rep_col_calls", "calls", sum=True),
        ElementColumn("share_pct", "rep_col_share", "%"),
    ], kind="pie", x="line", y=["calls"])


def selected_line(scope: Scope, line: str | None) -> str | None:
    """The line the chart follows: the one asked for, else the one with the most external calls."""
    if line:
        return str(line)
    table = scope_line_summary(scope)
    return str(table["line"].iloc[0]) if len(table) else None


def line_daily_element(scope: Scope, line: str | None) -> Element:
    """Incoming and outgoing calls per day on one company number, with their talk time."""
    number = selected_line(scope, line)
    chosen = (scope.calls["line"] == number).to_numpy(dtype=bool) if number else np.zeros(len(scope.calls), bool)
    ext = scope.calls[chosen & external(scope.calls).to_numpy(dtype=bool)]
    daily = counts.counts_by(ext.assign(kind=inbound(ext).map({True: "incoming", False: "outgoing"})),
                             "day", split="kind", start=scope.start, end=scope.end)
    for column in ("incoming", "outgoing"):
        if column not in daily:
            daily[column] = 0
    talk = ext.groupby(counts.time_key(ext["start"], "day"))["talk_s"].sum()
    daily["talk_s"] = daily["day"].map(talk).fillna(0.0).astype(float)
    return element("line_daily", "rep_line_daily", daily, [
        ElementColumn("day", "rep_col_day"),
        ElementColumn("incoming", "incoming", "calls", sum=True),
        ElementColumn("outgoing", "outgoing", "calls", sum=True),
        ElementColumn("talk_s", "rep_col_talk_total", "s", sum=True),
    ], kind="stacked_bar", x="day", y=["incoming", "outgoing"], line=scope.line_label(number or ""))


def lines_report(scope: Scope, line: str | None = None) -> Report:
    filters = scope.filters | ({"line": line} if line else {})
    return Report("lines", t("rep_lines"), filters, [
        summary_element(scope),
        share_element(scope),
        line_daily_element(scope, line),
        line_load_by_line_element(scope),
    ])


def lines(
    period: str = "last_30_days",
    *,
    line: str | None = None,
    **keywords: Unpack[ScopeKeywords],
) -> Report:
    """The External lines report; ``line`` picks the number the daily chart follows."""
    scope = load_scope(period, line=line, apply_line=False, columns=LINES_COLUMNS, **keywords)
    return lines_report(scope, line)
