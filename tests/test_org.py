"""The organisation model: department tree, membership, efficiency panel resolution."""

import pandas as pd

from atsnb.config import Settings
from atsnb.reference.org import Org, Panel, parent_cycles
from atsnb.store import Store

DEPARTMENTS = pd.DataFrame(
    [("Продажи", None), ("Продажи 1", "Продажи"), ("Продажи 2", "Продажи"), ("Опт", "Продажи 2"),
     ("Поддержка", None), ("Бухгалтерия", "")],
    columns=["name", "parent"],
)
EMPLOYEES = pd.DataFrame(
    [("101", "Иванов", "Продажи"), ("111", "Петров", "Продажи 1"), ("121", "Сидоров", "Опт"),
     ("201", "Кузнецова", "Поддержка"), ("301", "Смирнова", "Бухгалтерия"), ("401", "Гость", None)],
    columns=["extension", "name", "department"],
)
PANELS = pd.DataFrame(
    [("department", "Продажи", 30, "outgoing", 40), ("department", "Продажи 2", None, None, 25),
     ("employee", "121", 15, None, None), ("department", "Поддержка", None, "incoming", None)],
    columns=["scope_kind", "scope", "min_talk_s", "directions", "daily_target"],
)


def _org() -> Org:
    return Org.from_frames(DEPARTMENTS, EMPLOYEES, PANELS, default_min_talk_s=60)


def test_tree_rows_list_parents_before_children_with_depth():
    assert _org().tree_rows() == [
        (0, "Бухгалтерия"), (0, "Поддержка"), (0, "Продажи"),
        (1, "Продажи 1"), (1, "Продажи 2"), (2, "Опт"),
    ]


def test_descendants_and_employees_in_follow_the_whole_subtree():
    org = _org()
    assert org.descendants("Продажи") == {"Продажи 1", "Продажи 2", "Опт"}
    assert org.descendants("Опт") == set()
    assert org.employees_in("Продажи") == {"101", "111", "121"}
    assert org.employees_in("Продажи", recursive=False) == {"101"}
    assert org.employees_in("Нет такого") == set()


def test_chain_goes_from_the_own_department_to_the_top():
    org = _org()
    assert org.chain("121") == ["Опт", "Продажи 2", "Продажи"]
    assert org.department_of("121") == "Опт"
    assert org.chain("401") == []
    assert org.chain("999") == []


def test_panels_resolve_field_by_field_up_the_tree():
    org = _org()
    both = frozenset({"incoming", "outgoing"})
    assert org.panel_for("121") == Panel(min_talk_s=15, directions=frozenset({"outgoing"}), daily_target=25)
    assert org.panel_for("111") == Panel(min_talk_s=30, directions=frozenset({"outgoing"}), daily_target=40)
    assert org.panel_for("201") == Panel(min_talk_s=60, directions=frozenset({"incoming"}), daily_target=None)
    assert org.panel_for("401") == Panel(min_talk_s=60, directions=both, daily_target=None)
    assert org.panel_for_department("Опт") == Panel(30, frozenset({"outgoing"}), 25)
    table = org.panel_table(["121", "999"])
    assert table.loc["121", "min_talk_s"] == 15 and table.loc["999", "min_talk_s"] == 60
    assert pd.isna(table.loc["999", "daily_target"])


def test_department_series_maps_a_calls_column_and_membership_rolls_up():
    org = _org()
    calls = pd.DataFrame({"employee": ["121", "201", None, "999", "401"]})
    got = org.department_series(calls["employee"])
    assert got.iloc[0] == "Опт" and got.iloc[1] == "Поддержка"
    assert got.iloc[2:].isna().all()
    rolled = calls.merge(org.membership(), left_on="employee", right_on="extension")
    counts = rolled.groupby("department").size().to_dict()
    assert counts == {"Опт": 1, "Продажи 2": 1, "Продажи": 1, "Поддержка": 1}


def test_undeclared_departments_and_parent_cycles_do_not_break_the_tree():
    departments = pd.DataFrame([("A", "B"), ("B", "C"), ("C", "A"), ("D", "Призрак")], columns=["name", "parent"])
    employees = pd.DataFrame([("10", "Склад"), ("11", "C")], columns=["extension", "department"])
    org = Org.from_frames(departments, employees)
    assert org.chain("11") == ["C", "A"]  # A→B→C→A is cut at "A", the first name in it
    assert org.descendants("A") == {"B", "C"}
    assert (0, "Склад") in org.tree_rows() and (0, "Призрак") in org.tree_rows()
    assert (1, "D") in org.tree_rows()
    assert org.employees_in("Склад") == {"10"}


def test_parent_cycles_name_only_the_departments_on_a_cycle():
    parents = {"A": "B", "B": "A", "C": "A", "D": None, "E": "E", "F": "Призрак"}
    assert parent_cycles(parents) == {"A": ["A", "B", "A"], "B": ["B", "A", "B"], "E": ["E", "E"]}


def test_from_catalog_reads_the_directories_and_the_default_threshold(store_path):
    catalog = Store.open(store_path).catalog
    catalog.upsert("departments", DEPARTMENTS)
    catalog.upsert("employees", EMPLOYEES)
    catalog.upsert("efficiency_panels", PANELS)
    settings = Settings()
    settings.thresholds.effective_talk_s = 45
    org = Org.from_catalog(catalog, settings)
    assert org.chain("121") == ["Опт", "Продажи 2", "Продажи"]
    assert org.panel_for("401").min_talk_s == 45
    assert org.panel_for("121").min_talk_s == 15
    assert org.employee_names["101"] == "Иванов"


def test_garbage_written_straight_into_the_catalog_falls_back_to_defaults():
    panels = pd.DataFrame([("employee", "101", "abc", "", "много")],
                          columns=["scope_kind", "scope", "min_talk_s", "directions", "daily_target"])
    org = Org.from_frames(DEPARTMENTS, EMPLOYEES, panels, default_min_talk_s=60)
    assert org.panel_for("101") == Panel(min_talk_s=60)
