"""The Employees report: efficiency panel table, summary per employee, who missed the incoming
calls, calls by time scale, and every call in detail.  Counts follow transfers: a call transferred
to an employee counts for them (:mod:`atsnb.metrics.attribution`); an incoming call counts as
missed for everyone whose phone it rang (:mod:`atsnb.metrics.who_missed`).
"""

from __future__ import annotations

from typing import Unpack

from atsnb.i18n import t
from atsnb.metrics.effective import effective_by_employee
from atsnb.metrics.holders import HolderCalls, holder_calls
from atsnb.metrics.summary import pivot_by_time, summary_by
from atsnb.reports.detail import detail_element
from atsnb.reports.elements import ElementColumn, element
from atsnb.reports.model import Element, Report
from atsnb.reports.pieces import (
    MISSED_SCOPE_COLUMNS,
    SUMMARY_COLS,
    by_name,
    missed_cols,
    missed_table,
    panels,
    pivot_element,
    with_effective,
)
from atsnb.reports.scope import Scope, ScopeKeywords, load_scope


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
    table = effective_by_employee(with_effective(scope), panels(scope), employee_calls_once(scope))
    table["department"] = scope.org.department_series(table["employee"]).fillna("")
    table["directions"] = table["directions"].map(directions_text)
    table = by_name(table.assign(employee=table["employee"].map(scope.employee_label)), "employee")
    return element("efficiency", "rep_efficiency", table, [
        ElementColumn("employee", "rep_col_employee"),
        ElementColumn("effective", "rep_col_effective", "calls", sum=True),
        ElementColumn("target", "rep_col_target", "calls", sum=True),
        ElementColumn("target_pct", "rep_col_target_pct", "%", ratio=("effective", "target", 100.0)),
        ElementColumn("per_day", "rep_col_effective_per_day", "calls", ratio=("effective", "days", 1.0)),
        ElementColumn("daily_target", "rep_col_daily_target", "calls"),
        ElementColumn("days", "rep_col_days"),  # days of different people: their sum is no number of days
        ElementColumn("department", "rep_col_department"),
        ElementColumn("min_talk_s", "rep_col_min_talk", "s"),
        ElementColumn("directions", "rep_col_directions"),
    ], note="rep_efficiency_note", totals=True)


def summary_element(scope: Scope) -> Element:
    """Per employee: calls by direction and status, talk and wait totals and means, effective calls."""
    rows = with_effective(scope)
    table = summary_by(rows, rows["employee"], calls=employee_calls_once(scope))
    table["department"] = scope.org.department_series(table["employee"]).fillna("")
    table = by_name(table.assign(employee=table["employee"].map(scope.employee_label)), "employee")
    return element("summary", "rep_summary_employees", table,
                   [ElementColumn("employee", "rep_col_employee"), *SUMMARY_COLS, ElementColumn("department", "rep_col_department")],
                   note="rep_summary_note", totals=True, scope=scope.calls_label())


def missed_element(scope: Scope) -> Element:
    """Per employee the incoming calls reached: rang their phone, not answered by them, answered by
    a colleague instead; unanswered calls that reached them (:mod:`atsnb.metrics.who_missed`).  With
    an employee or department filter, only those employees."""
    people = scope.people
    table, reach = missed_table(scope, lambda e: (e,) if people is None or e in people else (), "employee")
    table["department"] = scope.org.department_series(table["employee"]).fillna("")
    table = by_name(table.assign(employee=table["employee"].map(scope.employee_label)), "employee")
    return element("missed", "rep_missed_employees", table, [
        ElementColumn("employee", "rep_col_employee"),
        *missed_cols("rep_col_missed_answered_colleague"),
        ElementColumn("department", "rep_col_department"),
    ], note="rep_missed_employees_note", **reach)


def by_scale_element(scope: Scope, scale: str = "day") -> Element:
    """Calls per employee by hour of day, day, week or month (a call counts once per employee)."""
    rows = with_effective(scope)
    table = pivot_by_time(rows, rows["employee"], scale, scope.start, scope.end, calls=employee_calls_once(scope))
    table = by_name(table.assign(employee=table["employee"].map(scope.employee_label)), "employee")
    return pivot_element("by_scale", "rep_by_scale_employees", "rep_col_employee", table, "employee", scale)


def employees_report(scope: Scope, scale: str = "day") -> Report:
    return Report("employees", t("rep_employees"), scope.filters, [
        efficiency_element(scope),
        summary_element(scope),
        missed_element(scope),
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
    scope = load_scope(period, columns=MISSED_SCOPE_COLUMNS, **keywords)
    return employees_report(scope, scale)
