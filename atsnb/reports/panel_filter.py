"""The efficiency-panel filter of the employees and departments reports: ``panel=department:Продажи``.

A panel (a row of the ``efficiency_panels`` directory) is named by its key, ``<scope_kind>:<scope>``.
Its employees are the ones it applies to: the employee of an employee's panel; everyone in the
department and the departments under it for a department's panel (a more specific panel may
still override some of its fields for some of them — they stay in, since the panel's other
fields apply to them).  The filter keeps those employees, as a department filter keeps its own.
"""

from __future__ import annotations

from atsnb.i18n import t
from atsnb.reference.org import Org

KINDS = ("department", "employee")


def panel_value(kind: str, scope: str) -> str:
    """A panel's filter value: ``department:Продажи``, ``employee:101``."""
    return f"{kind}:{scope}"


def panel_values(org: Org) -> list[str]:
    """Every panel there is: departments' in tree order, then employees' by extension."""
    departments = [panel_value("department", name) for _, name in org.tree_rows() if name in org.department_panels]
    departments += [panel_value("department", name) for name in sorted(org.department_panels)
                    if panel_value("department", name) not in departments]
    employees = [panel_value("employee", ext) for ext in sorted(org.employee_panels, key=lambda e: (len(e), e))]
    return departments + employees


def panel_label(org: Org, value: str) -> str:
    """``Панель отдела «Продажи»``, ``Панель сотрудника Иванов Иван (101)``."""
    kind, _, scope = value.partition(":")
    if kind == "employee":
        name = org.employee_names.get(scope)
        return t("rep_panel_employee", employee=f"{name} ({scope})" if name else scope)
    return t("rep_panel_department", department=scope)


def panel_people(org: Org, value: str) -> set[str] | None:
    """The extensions panel ``value`` applies to; ``None`` when there is no such panel."""
    kind, _, scope = value.partition(":")
    if kind == "employee" and scope in org.employee_panels:
        return {scope}
    if kind == "department" and scope in org.department_panels:
        return org.employees_in(scope)
    return None
