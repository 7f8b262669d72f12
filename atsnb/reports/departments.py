"""The Departments report: the employees report rolled up through the department tree.

A call counts for the department of every employee who handled it and for every department
above it (:meth:`atsnb.reference.org.Org.membership`), once per department however many of its
employees handled it.  So a parent's figures include its sub-departments', and the rows are not
meant to be added up (no totals row).  Employees without a department roll up to "no department".
Who missed the incoming calls rolls up the same way (:mod:`atsnb.metrics.who_missed`): a call reached
a department when it reached one of its employees, or of the departments under it.
"""

from __future__ import annotations

from typing import Unpack

import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.metrics.effective import effective_by_employee, effective_calls
from atsnb.metrics.holders import HolderCalls, holder_calls
from atsnb.metrics.summary import pivot_by_time, summary_by
from atsnb.reports.detail import detail_element
from atsnb.reports.elements import ElementColumn, element
from atsnb.reports.model import Element, Report
from atsnb.reports.pieces import (
    MISSED_SCOPE_COLUMNS,
    NO_DEPARTMENT,
    SUMMARY_COLS,
    missed_cols,
    missed_table,
    panels,
    pivot_element,
    with_effective,
)
from atsnb.reports.scope import Scope, ScopeKeywords, load_scope

INDENT = "\u2003"  # an em space per tree level in department names


def rollup(scope: Scope, employees: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row repeated for its employee's department and every one above it, as ``(index,
    departments)``: ``index`` lists the rows (non-decreasing, a row once per department) and
    ``departments`` names the department of each entry.  Employees without a department count for
    "no department".  With a department filter only that subtree is kept.

    Computed per distinct employee, then spread over the rows with ``np.repeat``: no merge, no copy
    of the rows.
    """
    codes, names = pd.factorize(employees)
    shown = shown_departments(scope)
    chains = [departments_of(scope, str(name), shown) for name in names]
    flat = [d for chain in chains for d in chain]
    sizes = np.array([len(chain) for chain in chains], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    repeats = sizes[codes] if len(codes) else np.zeros(0, np.int64)
    index = np.repeat(np.arange(len(codes)), repeats)
    within = np.arange(len(index)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    flat_codes, departments = pd.factorize(pd.Series(flat, dtype=object))
    entry = flat_codes[starts[codes[index]] + within] if len(index) else np.zeros(0, np.int64)
    return index, pd.Series(pd.Categorical.from_codes(entry, departments), name="department")


def departments_of(scope: Scope, extension: str, shown: set[str] | None) -> list[str]:
    """The department of ``extension`` and every one above it ("no department" without one), only
    those in ``shown`` when given (:func:`shown_departments`)."""
    chain = scope.org.chain(extension) or [t(NO_DEPARTMENT)]
    return chain if shown is None else [d for d in chain if d in shown]


def attribution_rollup(scope: Scope) -> tuple[np.ndarray, pd.Series]:
    """:func:`rollup` of the attribution rows' employees, computed once per report: the summary
    and the by-scale pivot both roll the same million rows up."""
    return scope.once("attribution_rollup", lambda: rollup(scope, scope.attributed["employee"]))


def department_calls(scope: Scope) -> HolderCalls:
    """The rolled-up rows collapsed to one entry per (department, call), once per report: the
    summary and the by-scale pivot count the same entries."""
    def collapse() -> HolderCalls:
        index, departments = attribution_rollup(scope)
        return holder_calls(with_effective(scope), departments, index)
    return scope.once("department_calls", collapse)


def shown_departments(scope: Scope) -> set[str] | None:
    """With a department filter, that department and the ones below it; else every department."""
    chosen = scope.filters.get("department")
    if not chosen:
        return None
    return {str(chosen)} | scope.org.descendants(str(chosen))


def in_tree_order(scope: Scope, table: pd.DataFrame) -> pd.DataFrame:
    """Rows in the order of the department tree, names indented by depth; "no department" last."""
    order = [(depth, name) for depth, name in scope.org.tree_rows() if name in set(table["department"])]
    rest = [name for name in table["department"] if name not in {n for _, n in order}]
    names = [name for _, name in order] + rest
    top = min((depth for depth, _ in order), default=0)  # a filtered subtree starts at the left edge
    labels = {name: INDENT * (depth - top) + name for depth, name in order}
    out = table.set_index("department").loc[names].reset_index()
    out["department"] = out["department"].map(lambda n: labels.get(n, n))
    return out


def efficiency_element(scope: Scope) -> Element:
    """Per department: its effective calls — the summary's figure, :func:`effective_calls` of the
    department's calls: a call effective for any of its employees (each by their own panel), once —
    against the sum of its employees' targets (daily target × days with calls)."""
    per_employee = effective_by_employee(with_effective(scope), panels(scope))
    index, departments = rollup(scope, per_employee["employee"])
    rows = per_employee.iloc[index].reset_index(drop=True).assign(department=departments)
    table = rows.groupby("department", sort=False, observed=True).agg(
        employees=("employee", "nunique"), days=("days", "sum"), target=("target", "sum"))
    effective = effective_calls(department_calls(scope))
    table["effective"] = effective.reindex(np.asarray(table.index, dtype=object), fill_value=0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        table["target_pct"] = np.where(table["target"] > 0, 100.0 * table["effective"] / table["target"], np.nan)
    table = in_tree_order(scope, table.reset_index())
    return element("efficiency", "rep_efficiency_departments", table, [
        ElementColumn("department", "rep_col_department"),
        ElementColumn("effective", "rep_col_effective", "calls"),
        ElementColumn("target", "rep_col_target", "calls"),
        ElementColumn("target_pct", "rep_col_target_pct", "%"),
        ElementColumn("employees", "rep_col_employees"),
        ElementColumn("days", "rep_col_employee_days"),
    ], note="rep_efficiency_departments_note")


def summary_element(scope: Scope) -> Element:
    """Per department (rolled up): calls by direction and status, talk and wait, effective calls."""
    rows = with_effective(scope)  # the attribution's rows with a flag added: the same rows roll up
    index, departments = attribution_rollup(scope)
    table = in_tree_order(scope, summary_by(rows, departments, index, calls=department_calls(scope)))
    return element("summary", "rep_summary_departments", table,
                   [ElementColumn("department", "rep_col_department"), *SUMMARY_COLS], note="rep_summary_departments_note",
                   scope=scope.calls_label())


def missed_element(scope: Scope) -> Element:
    """Per department (rolled up) the incoming calls that reached it: rang a phone of its, answered
    by none of its employees, answered by another department instead; unanswered calls that
    reached it (:mod:`atsnb.metrics.who_missed`)."""
    shown, people = shown_departments(scope), scope.people
    table, reach = missed_table(
        scope, lambda e: departments_of(scope, e, shown) if people is None or e in people else (), "department")
    table = in_tree_order(scope, table)
    return element("missed", "rep_missed_departments", table, [
        ElementColumn("department", "rep_col_department"),
        *missed_cols("rep_col_missed_answered_department"),
    ], note="rep_missed_departments_note", **reach)


def by_scale_element(scope: Scope, scale: str = "day") -> Element:
    """Calls per department (rolled up) by hour of day, day, week or month."""
    index, departments = attribution_rollup(scope)
    table = pivot_by_time(with_effective(scope), departments, scale, scope.start, scope.end, index,
                          calls=department_calls(scope))
    table = in_tree_order(scope, table)
    element_ = pivot_element("by_scale", "rep_by_scale_departments", "rep_col_department", table, "department",
                             scale)
    element_.totals, element_.summable = False, None
    return element_


def departments_report(scope: Scope, scale: str = "day") -> Report:
    return Report("departments", t("rep_departments"), scope.filters, [
        efficiency_element(scope),
        summary_element(scope),
        missed_element(scope),
        by_scale_element(scope, scale),
        detail_element(scope),
    ])


def departments(
    period: str = "last_30_days",
    *,
    scale: str = "day",
    **keywords: Unpack[ScopeKeywords],
) -> Report:
    """The Departments report; ``scale`` (hour, day, week, month) sets the pivot's columns."""
    scope = load_scope(period, columns=MISSED_SCOPE_COLUMNS, **keywords)
    return departments_report(scope, scale)
