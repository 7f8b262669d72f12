"""The pieces several reports are built of: scales, column sets, the "no department" label, the
efficiency-panel flags and the pivot by time, the load per line.

Report modules import these and never each other, so each report stays one module that can be read
(and removed) on its own.
"""

from __future__ import annotations

import pandas as pd

from atsnb.i18n import t
from atsnb.metrics import line_load
from atsnb.metrics.effective import effective_by_panel
from atsnb.reports.elements import ElementColumn, element
from atsnb.reports.model import Element
from atsnb.reports.scope import Scope

SCALES = ("hour", "day", "week", "month")  # the pivot's columns: hour of day, day, week, month
NO_DEPARTMENT = "rep_no_department"  # the translation key of the employees without a department
# the lowest, mean and peak number of busy lines, as the load chart and the per-line table show them
LOAD_COLS = [
    ElementColumn("min", "rep_col_load_min", "lines"),
    ElementColumn("mean", "rep_col_load_mean", "lines"),
    ElementColumn("max", "rep_col_load_max", "lines"),
]

SUMMARY_COLS = [
    ElementColumn("calls", "rep_col_calls", "calls", sum=True),
    ElementColumn("incoming", "incoming", "calls", sum=True),
    ElementColumn("outgoing", "outgoing", "calls", sum=True),
    ElementColumn("internal", "internal", "calls", sum=True),
    ElementColumn("answered", "answered", "calls", sum=True),
    ElementColumn("unanswered", "unanswered", "calls", sum=True),
    ElementColumn("talk_total_s", "rep_col_talk_total", "s", sum=True),
    ElementColumn("talk_mean_s", "rep_col_talk_mean", "s"),
    ElementColumn("wait_total_s", "rep_col_wait_total", "s", sum=True),
    ElementColumn("wait_mean_s", "rep_col_wait_mean", "s"),
    ElementColumn("effective", "rep_col_effective", "calls", sum=True),
]


def panels(scope: Scope) -> pd.DataFrame:
    """The efficiency panel of every employee in the scope, indexed by extension."""
    return scope.org.panel_table(scope.attributed["employee"].unique())


def with_effective(scope: Scope) -> pd.DataFrame:
    """The attribution rows with an ``effective`` flag by each employee's own panel (computed once
    per report: the efficiency and summary elements both count effective calls)."""
    def flagged() -> pd.DataFrame:
        rows = scope.attributed
        return rows.assign(effective=effective_by_panel(rows, panels(scope)))
    return scope.once("effective_rows", flagged)


def scale_label(bucket: object, scale: str) -> str:
    """A pivot column header: ``"09"`` (hour), ``"03.03"`` (day), ``"нед. 03.03"``, ``"03.2025"``."""
    if scale == "hour":
        return f"{int(bucket):02d}:00"  # type: ignore[call-overload]
    stamp = pd.Timestamp(bucket)
    if scale == "day":
        return f"{stamp:%d.%m}"
    if scale == "week":
        return t("rep_week_of", day=f"{stamp:%d.%m}")
    return f"{stamp:%m.%Y}"


def pivot_element(key: str, title: str, holder_label: str, table: pd.DataFrame, holder: str,
                  scale: str) -> Element:
    """A holder × time-bucket pivot as a table whose bucket columns are readable headers."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    buckets = [c for c in table.columns if c not in (holder, "calls")]
    data = table.rename(columns={holder: t(holder_label), "calls": t("rep_col_calls")}
                        | {b: scale_label(b, scale) for b in buckets})
    units = {col: "calls" for col in data.columns if col != t(holder_label)}
    return Element(key=key, title=t(title, scale=t(f"rep_scale_{scale}")), data=data, kind="table",
                   units=units, note=t("rep_by_scale_note"), totals=True, summable=list(units))


def line_load_by_line_element(scope: Scope, by_line: pd.DataFrame | None = None) -> Element:
    """Per company number over the period: lowest, mean and peak load, and the hour of the peak.
    ``by_line``: the hourly load per line when the report has it already (the dashboard sweeps it
    with the overall load; the external-lines report needs only this one)."""
    if by_line is None:
        by_line = line_load.line_load_per_hour(scope.calls, scope.start, scope.end, by_line=True)
    table = line_load.summarise_by_line(by_line)
    table["line"] = table["line"].map(scope.line_label)
    return element("line_load_by_line", "rep_line_load_by_line", table, [
        ElementColumn("line", "rep_col_line"),
        *LOAD_COLS,
        ElementColumn("peak_hour", "rep_col_peak_hour"),
    ], note="rep_line_load_note")
