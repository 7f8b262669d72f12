"""Efficiency panels as a filter of the employees and departments reports (``panel=…``): the
employees a panel applies to, refused when it names no panel, offered by the filter bar."""

import pandas as pd
import pytest

from atsnb.reports.filters import choices
from atsnb.reports.scope import FilterError
from atsnb.simulate.company import ACCOUNTING, SALES, SUPPORT
from atsnb.store import Store
from atsnb.views.filters import FilterBar
from tests.support.demo_store import build_report


def rows(report, element: str) -> pd.DataFrame:
    return report[element].data


@pytest.mark.parametrize("name", ["employees", "departments"])
def test_a_department_panel_keeps_the_employees_of_its_department_tree(demo, name):
    by_panel = build_report(name, demo, panel=f"department:{SALES}")
    by_department = build_report(name, demo, department=SALES)
    for element in ("summary", "missed"):
        pd.testing.assert_frame_equal(rows(by_panel, element), rows(by_department, element))
    assert by_panel.filters["panel"] == f"Панель отдела «{SALES}»"
    everyone = build_report(name, demo)
    assert len(rows(by_panel, "summary")) < len(rows(everyone, "summary"))


def test_an_employee_panel_keeps_that_employee_and_meets_other_filters(demo):
    store = Store.open(demo[0])
    extension = store.catalog.read("efficiency_panels").query("scope_kind == 'employee'").scope.iloc[0]
    by_panel = build_report("employees", demo, panel=f"employee:{extension}")
    by_employee = build_report("employees", demo, employee=extension)
    pd.testing.assert_frame_equal(rows(by_panel, "summary"), rows(by_employee, "summary"))
    assert len(rows(by_panel, "summary")) == 1
    apart = build_report("employees", demo, panel=f"department:{SUPPORT}", department=ACCOUNTING)
    assert rows(apart, "summary").empty


def test_a_panel_that_does_not_exist_is_refused_naming_the_ones_there_are(demo):
    with pytest.raises(FilterError, match=f"«department:Склад».*Панель отдела «{SALES}» \\(department:{SALES}\\)"):
        build_report("employees", demo, panel="department:Склад")


def test_the_filter_bar_offers_panels_only_where_the_report_takes_them(demo):
    store, settings = demo
    found = choices(store, settings)
    assert {"value": f"department:{SALES}", "label": f"Панель отдела «{SALES}»"} in found["panels"]
    assert len(found["panels"]) == 4
    bar = FilterBar(found, {"panel": f"department:{SALES}"}, filters=("period", "department", "panel", "employee"))
    assert bar.values()["panel"] == f"department:{SALES}" and not bar.problems
    assert "panel" not in FilterBar(found, filters=("period", "department", "employee")).choices
