"""Who the rows of a report are about, for the reports built on something other than the calls'
attribution (ratings, website callbacks, missed-call recovery): the extensions an employee or
department filter keeps, and the departments an employee counts for, rolled up the tree and
listed in tree order.

:func:`atsnb.reports.scope.load_scope` applies those filters to calls (handled or reached); these
reports apply them to their own rows (the rated operator, the employee a callback rang first, the
people a missed call reached), so they load the scope without them and ask here.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.reports.scope import Scope, as_list, check_names, employee_label

INDENT = "\u2003"  # an em space per tree level in department names, as the departments report writes them
NO_DEPARTMENT = "rep_no_department"


def people_filter(scope: Scope, department: str | None, employee: str | Iterable[str] | None) -> frozenset[str] | None:
    """The extensions a department (with the ones below it) and employee filter keep — None without
    either — after refusing a name that exists nowhere (:func:`check_names`); the filters are added
    to what the report shows it was built for."""
    employees = as_list(employee)
    if not department and not employees:
        return None
    check_names(scope.store, scope.org, scope.line_names, set(), department=department, employees=employees,
                lines=None)
    people = scope.org.employees_in(department) if department else None
    if employees:
        people = set(employees) if people is None else people & set(employees)
        scope.filters["employee"] = ", ".join(employee_label(scope.org, e) for e in employees)
    if department:
        scope.filters["department"] = department
    return frozenset(people or ())


def keeps(extensions: pd.Series, people: frozenset[str] | None) -> np.ndarray:
    """Per row: its extension is one of ``people`` (every row without a filter)."""
    if people is None:
        return np.ones(len(extensions), bool)
    return extensions.astype(str).isin(people).to_numpy(dtype=bool)


def department_chain(scope: Scope, extension: str, department: str | None) -> list[str]:
    """The departments ``extension`` counts for: its own and every one above it ("no department"
    without one); with a department filter only that department and the ones below it."""
    chain = scope.org.chain(str(extension)) or [t(NO_DEPARTMENT)]
    if not department:
        return chain
    shown = {department} | scope.org.descendants(department)
    return [d for d in chain if d in shown]


def rolled_up(scope: Scope, extensions: pd.Series, department: str | None) -> tuple[np.ndarray, pd.Series]:
    """Each row once per department its extension counts for (:func:`department_chain`), as
    ``(index, departments)``: the row of each entry and its department's name."""
    codes, names = pd.factorize(extensions.astype(str))
    chains = [department_chain(scope, name, department) for name in names]
    sizes = np.array([len(chain) for chain in chains], dtype=np.int64)
    repeats = sizes[codes] if len(codes) else np.zeros(0, np.int64)
    index = np.repeat(np.arange(len(codes)), repeats)
    flat = np.array([d for chain in chains for d in chain], dtype=object)
    starts = np.cumsum(sizes) - sizes
    within = np.arange(len(index)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    entry = flat[starts[codes[index]] + within] if len(index) else np.zeros(0, object)
    return index, pd.Series(entry, dtype=object, name="department")


def in_tree_order(scope: Scope, table: pd.DataFrame, column: str = "department") -> pd.DataFrame:
    """The rows in the order of the department tree, names indented by depth; "no department" last."""
    present = set(table[column])
    order = [(depth, name) for depth, name in scope.org.tree_rows() if name in present]
    known = {name for _, name in order}
    names = [name for _, name in order] + [name for name in table[column] if name not in known]
    top = min((depth for depth, _ in order), default=0)  # a filtered subtree starts at the left edge
    labels = {name: INDENT * (depth - top) + name for depth, name in order}
    out = table.set_index(column).loc[names].reset_index()
    out[column] = out[column].map(lambda n: labels.get(n, n))
    return out
