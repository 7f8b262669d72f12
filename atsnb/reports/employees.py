"""The Employees report (SPEC §5.2): efficiency panel table, summary per employee, calls by time
scale, and every call in detail.  Counts follow transfers: a call transferred to an employee
counts for them (:mod:`atsnb.metrics.attribution`).
"""

from __future__ import annotations

from typing import Unpack

import pandas as pd

from atsnb.i18n import t
from atsnb.metrics.effective import effective_by_employee, effective_by_panel
from atsnb.metrics.summary import HolderCalls, holder_calls, pivot_by_time, summary_by
from atsnb.reports.build import Col, element
from atsnb.reports.detail import detail_element
from atsnb.reports.model import Element, Report
from atsnb.reports.scope import Scope, ScopeKeywords, load_scope

SCALES = ("hour", "day", "week", "month")


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


def employee_calls_once(scope: Scope) -> HolderCalls:
    """The flagged attribution rows collapsed to one entry per (employee, call), once per report:
    the summary and the by-scale pivot count the same entries."""
    def collapse() -> HolderCalls:
        rows = with_effective(scope)
        return holder_calls(rows, rows["employee"])
    return scope.once("employee_calls", collapse)


def directions_text(directions: frozenset[str] | str | None) -> str:
    if not directions or not isinstance(directions, frozenset | set):
        return str(directions or "")
    return ", ".join(t(d) for d in sorted(directions))


def efficiency_element(scope: Scope) -> Element:
    """Effective calls per employee against the daily target of their efficiency panel."""
    table = effective_by_employee(with_effective(scope), panels(scope))
    table["department"] = scope.org.department_series(table["employee"]).fillna("")
    table["directions"] = table["directions"].map(directions_text)
    table["employee"] = table["employee"].map(scope.employee_label)
    return element("efficiency", "rep_efficiency", table, [
        Col("employee", "rep_col_employee"),
        Col("department", "rep_col_department"),
        Col("min_talk_s", "rep_col_min_talk", "s"),
        Col("directions", "rep_col_directions"),
        Col("daily_target", "rep_col_daily_target", "calls"),
        Col("days", "rep_col_days", sum=True),
        Col("effective", "rep_col_effective", "calls", sum=True),
        Col("target", "rep_col_target", "calls", sum=True),
        Col("target_pct", "rep_col_target_pct", "%"),
        Col("per_day", "rep_col_effective_per_day", "calls"),
    ], note="rep_efficiency_note", totals=True)


SUMMARY_COLS = [
    Col("calls", "rep_col_calls", "calls", sum=True),
    Col("incoming", "incoming", "calls", sum=True),
    Col("outgoing", "outgoing", "calls", sum=True),
    Col("internal", "internal", "calls", sum=True),
    Col("answered", "answered", "calls", sum=True),
    Col("unanswered", "unanswered", "calls", sum=True),
    Col("talk_total_s", "rep_col_talk_total", "s", sum=True),
    Col("talk_mean_s", "rep_col_talk_mean", "s"),
    Col("wait_total_s", "rep_col_wait_total", "s", sum=True),
    Col("wait_mean_s", "rep_col_wait_mean", "s"),
    Col("effective", "rep_col_effective", "calls", sum=True),
]


def summary_element(scope: Scope) -> Element:
    """Per employee: calls by direction and status, talk and wait totals and means, effective calls."""
    rows = with_effective(scope)
    table = summary_by(rows, rows["employee"], calls=employee_calls_once(scope))
    table["department"] = scope.org.department_series(table["employee"]).fillna("")
    table["employee"] = table["employee"].map(scope.employee_label)
    return element("summary", "rep_summary_employees", table,
                   [Col("employee", "rep_col_employee"), Col("department", "rep_col_department"), *SUMMARY_COLS],
                   note="rep_summary_note", totals=True)


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


def by_scale_element(scope: Scope, scale: str = "day") -> Element:
    """Calls per employee by hour of day, day, week or month (a call counts once per employee)."""
    rows = with_effective(scope)
    table = pivot_by_time(rows, rows["employee"], scale, scope.start, scope.end, calls=employee_calls_once(scope))
    table["employee"] = table["employee"].map(scope.employee_label)
    return pivot_element("by_scale", "rep_by_scale_employees", "rep_col_employee", table, "employee", scale)


def employees_report(scope: Scope, scale: str = "day") -> Report:
    return Report("employees", t("rep_employees"), scope.filters, [
        efficiency_element(scope),
        summary_element(scope),
        by_scale_element(scope, scale),
        detail_element(scope),
    ])


def employees(
    period: str = "last_30_days",
    *,
    scale: str = "day",
    **keywords: Unpack[ScopeKeywords],
) -> Report:
    """The Employees report; ``scale`` (hour, day, week, month) sets the pivot's columns."""
    scope = load_scope(period, **keywords)
    return employees_report(scope, scale)
