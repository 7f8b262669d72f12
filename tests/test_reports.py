"""Report functions on a small hand-made store: every figure checkable by hand, and equal to what
the metrics compute on the same calls."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb import reports
from atsnb.calls.derive import write_calls
from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.metrics import counts, durations, external
from atsnb.reports.filters import choices
from atsnb.reports.period import PeriodError, period_range
from atsnb.reports.scope import FilterError
from atsnb.store import Store
from tests.support.calls_frame import TZ, at, calls_frame

AD, MAIN = "74950000001", "74950000002"
CLIENT = "79120000001"
MARCH = {"start": "2025-03-03", "end": "2025-03-04"}  # Monday and Tuesday


@pytest.fixture(params=["answers", "routes"])
def store(request, tmp_path, monkeypatch) -> tuple[Store, Settings]:
    """Sales (with team Sales 1) and Support; five calls on 3–4 March 2025, one transferred.

    Written as the derivation writes them (the calls with their ``answers`` column) and as a store
    written before that column existed (the reports then read the routes): every test runs on both."""
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    settings = Settings()
    settings.store.path = str(tmp_path / "store")
    store = Store.open(settings.store_path)
    catalog = store.catalog
    catalog.upsert("departments", pd.DataFrame({"name": ["Продажи", "Продажи 1", "Поддержка"],
                                                "parent": [None, "Продажи", None]}))
    catalog.upsert("employees", pd.DataFrame({"extension": ["101", "102", "201"],
                                              "name": ["Иванов", "Петров", "Сидоров"],
                                              "department": ["Продажи 1", "Продажи", "Поддержка"],
                                              "active": [1, 1, 1]}))
    catalog.upsert("lines", pd.DataFrame({"number": [AD, MAIN], "name": ["Реклама", "Основная"]}))
    catalog.upsert("efficiency_panels", pd.DataFrame({"scope_kind": ["department"], "scope": ["Продажи"],
                                                      "min_talk_s": [60], "directions": ["incoming,outgoing"],
                                                      "daily_target": [2]}))
    calls = calls_frame([
        # 101 answers on the ad line after 10 s, talks 50 s, transfers to 201 who talks 100 s.
        {"call_id": "a", "start": "2025-03-03 10:00", "direction": "incoming", "status": "answered",
         "wait_s": 10, "talk_s": 150, "line": AD, "employee": "101", "answered_by": "101",
         "external_number": CLIENT, "caller": CLIENT, "transfers": 1},
        # A missed call on the main line; 102 calls the client back 5 minutes after it ended.
        {"call_id": "b", "start": "2025-03-03 11:00", "direction": "incoming", "status": "unanswered",
         "wait_s": 40, "line": MAIN, "external_number": "79120000002", "caller": "79120000002"},
        {"call_id": "c", "start": "2025-03-03 11:05:40", "direction": "outgoing", "status": "answered",
         "wait_s": 5, "talk_s": 70, "line": MAIN, "employee": "102", "external_number": "79120000002"},
        # A dropped call on Tuesday.
        {"call_id": "d", "start": "2025-03-04 09:00", "direction": "incoming", "status": "dropped",
         "wait_s": 3, "line": AD, "external_number": "79120000003"},
        # An internal call from 101 to 201.
        {"call_id": "e", "start": "2025-03-04 12:00", "direction": "internal", "status": "answered",
         "wait_s": 4, "talk_s": 30, "employee": "101"},
    ])
    steps = pd.DataFrame({
        "call_id": ["a", "a", "a", "a", "c"],
        "seq": [0, 1, 2, 3, 0],
        "at": [at("2025-03-03 10:00"), at("2025-03-03 10:00:10"), at("2025-03-03 10:01"),
               at("2025-03-03 10:01"), at("2025-03-03 11:05:45")],
        "kind": ["line", "answer", "transfer", "answer", "answer"],
        "party": [CLIENT, CLIENT, "101", CLIENT, "102"],
        "target": [AD, "101", "201", "201", "79120000002"],
        "outcome": ["", "answered", "", "answered", "answered"],
        "duration_s": [160, 50, 0, 100, 70],
    })
    with store.writing():
        if request.param == "answers":
            write_calls(store, calls, steps)
        else:
            store.table("calls").upsert(calls)
            store.table("steps").upsert(steps)
    return store, settings


def kpi(report, key):
    return report["kpis"].data.iloc[0][t(key)]


def test_dashboard_kpis_equal_the_metrics_on_the_same_calls(store):
    st, settings = store
    report = reports.REPORTS["dashboard"].build(**MARCH, store=st, settings=settings)
    calls = st.table("calls").read()
    assert report.name == "dashboard" and report.title == "Сводка"
    assert kpi(report, "rep_kpi_external") == 4
    assert kpi(report, "rep_kpi_incoming") == 3
    assert kpi(report, "rep_kpi_unanswered_pct") == pytest.approx(200 / 3)
    assert kpi(report, "rep_kpi_dropped_pct") == pytest.approx(100 / 3)
    # external calls by default: the internal call e (30 s) is not in the mean talk
    assert kpi(report, "rep_kpi_mean_talk") == pytest.approx(durations.mean_talk_s(calls[external(calls)])) == 110
    assert kpi(report, "rep_kpi_mean_wait") == pytest.approx((10 + 40 + 3) / 3)
    # employee-call rows: (a,101) (a,201) (c,102) over employee-days 101 Mon, 201 Mon, 102 Mon.
    assert kpi(report, "rep_kpi_per_employee_day") == 1.0
    assert report.filters == {"period": "03.03.2025 – 04.03.2025", "direction": "внешние звонки"}
    # each percentage with the counts it is taken of, each figure's title with the calls it counts
    assert report["kpis"].counts == {t("rep_kpi_unanswered_pct"): (2, 3), t("rep_kpi_dropped_pct"): (1, 3),
                                     t("rep_kpi_service_level", threshold=20): (1, 1)}
    assert all(e.title.endswith(("— внешние звонки", "— входящие звонки")) for e in report.elements
               if e.key != "line_load_by_line"), [e.title for e in report.elements]
    every = reports.REPORTS["dashboard"].build(**MARCH, direction="all", store=st, settings=settings)
    assert kpi(every, "rep_kpi_mean_talk") == pytest.approx(durations.mean_talk_s(calls)) == (150 + 70 + 30) / 3
    assert every["kpis"].title == "Основные показатели — все звонки"
    assert every["talk_buckets"].title.endswith("— все звонки")
    assert every["external_daily"].title.endswith("— внешние звонки")  # it counts external calls whatever the scope


def test_dashboard_has_every_element_of_the_spec_with_units(store):
    st, settings = store
    report = reports.REPORTS["dashboard"].build(**MARCH, store=st, settings=settings)
    keys = [e.key for e in report.elements]
    assert keys == ["kpis", "line_load", "line_load_weekend", "line_load_per_line", "line_load_by_line",
                    "external_daily", "unanswered_daily", "weekday_share", "talk_buckets", "department_share"]
    for element in report.elements:
        assert element.title and set(element.units) <= set(element.data.columns)
        assert all(y in element.data.columns for y in element.y)
    daily = report["external_daily"].data.set_index(t("rep_col_day"))
    assert daily[t("rep_col_calls")].tolist() == [3, 1]
    unanswered = report["unanswered_daily"].data
    assert unanswered[[t("missed"), t("dropped")]].to_numpy().tolist() == [[1, 0], [0, 1]]
    # the hour-of-day profile of the two working days: a line was busy at 09, 10 and 11 o'clock
    load = report["line_load"].data.set_index(t("rep_col_hour_of_day"))
    assert list(load.index) == [f"{h:02d}" for h in range(24)]
    assert load[t("rep_col_load_max")][load[t("rep_col_load_max")] > 0].index.tolist() == ["09", "10", "11"]
    assert load.loc["10", t("rep_col_load_mean")] == pytest.approx(160 / 3600 / 2)  # call a's 160 s, one of two days
    assert "2" in report["line_load"].note and report["line_load_weekend"].data.empty  # no weekend in the period
    # the peak of each day, of all numbers and per number
    per_line = report["line_load_per_line"].data
    assert list(per_line.columns) == [t("rep_col_day"), t("rep_line_load_all"), "Реклама (74950000001)",
                                      "Основная (74950000002)"]
    assert per_line.iloc[:, 1:].to_numpy().tolist() == [[1, 1, 1], [1, 1, 0]]
    by_line = report["line_load_by_line"].data.set_index(t("rep_col_line"))
    assert by_line.loc["Реклама (74950000001)", t("rep_col_load_max")] == 1
    weekday = report["weekday_share"].data.set_index(t("rep_col_weekday"))
    # external calls per date of each weekday: three on the Monday, one (the dropped call) on the Tuesday
    assert weekday[[t("rep_col_calls"), t("rep_col_dates"), t("rep_col_calls_per_day")]].to_dict("index") == {
        "Пн": {t("rep_col_calls"): 3, t("rep_col_dates"): 1, t("rep_col_calls_per_day"): 3.0},
        "Вт": {t("rep_col_calls"): 1, t("rep_col_dates"): 1, t("rep_col_calls_per_day"): 1.0}}
    assert report["weekday_share"].tooltip == [t("rep_col_calls"), t("rep_col_dates")]
    departments = report["department_share"].data.set_index(t("rep_col_department"))[t("rep_col_calls")]
    assert departments.to_dict() == {"Продажи 1": 1, "Поддержка": 1, "Продажи": 1}  # e is internal


def test_filters_narrow_every_element(store):
    st, settings = store
    report = reports.REPORTS["dashboard"].build(**MARCH, direction="incoming", line=AD, store=st, settings=settings)
    assert kpi(report, "rep_kpi_external") == 2
    assert report.filters["direction"] == "Входящий" and report.filters["line"] == AD
    by_employee = reports.REPORTS["dashboard"].build(**MARCH, employee="201", store=st, settings=settings)
    assert kpi(by_employee, "rep_kpi_external") == 1  # the call transferred to 201 counts for them
    with pytest.raises(FilterError, match="Маркетинг"):
        reports.REPORTS["dashboard"].build(**MARCH, department="Маркетинг", store=st, settings=settings)


def test_employees_report_counts_transferred_calls_for_both_employees(store):
    st, settings = store
    report = reports.REPORTS["employees"].build(**MARCH, store=st, settings=settings)
    assert [e.key for e in report.elements] == ["efficiency", "summary", "missed", "by_scale", "detail"]
    summary = report["summary"].data.set_index(t("rep_col_employee"))
    assert summary.loc["Иванов (101)", t("rep_col_calls")] == 2
    assert summary.loc["Сидоров (201)", t("rep_col_calls")] == 1
    assert summary.loc["Сидоров (201)", t("rep_col_talk_total")] == 100
    assert summary.loc["Иванов (101)", t("rep_col_talk_total")] == 50 + 30
    assert summary.loc["Иванов (101)", t("rep_col_department")] == "Продажи 1"
    efficiency = report["efficiency"].data.set_index(t("rep_col_employee"))
    # Sales' panel (60 s, target 2/day) reaches 101 through Sales 1: the call with 101's 50 s is not
    # effective, 102's 70 s outgoing call is; 201 (Support) has the default 60 s panel, no target.
    assert efficiency.loc["Петров (102)", [t("rep_col_effective"), t("rep_col_target")]].tolist() == [1, 2]
    assert efficiency.loc["Петров (102)", t("rep_col_target_pct")] == pytest.approx(50)
    assert efficiency.loc["Иванов (101)", t("rep_col_effective")] == 0
    assert efficiency.loc["Сидоров (201)", t("rep_col_effective")] == 1
    assert pd.isna(efficiency.loc["Сидоров (201)", t("rep_col_target_pct")])
    pivot = report["by_scale"].data.set_index(t("rep_col_employee"))
    assert pivot.loc["Иванов (101)", ["03.03", "04.03"]].tolist() == [1, 1]
    detail = report["detail"].data.set_index(t("rep_col_start"))
    first = detail.loc[at("2025-03-03 10:00")]
    assert first[t("rep_col_handled_by")] == "Иванов (101), Сидоров (201)"
    assert first[t("rep_col_route")] == "линия 74950000001 → ответ 101 → перевод 201 → ответ 201"
    assert report["summary"].summable and t("rep_col_talk_mean") not in report["summary"].summable


def test_employees_pivot_by_hour_and_month(store):
    st, settings = store
    by_hour = reports.REPORTS["employees"].build(**MARCH, scale="hour", store=st, settings=settings)["by_scale"].data
    assert list(by_hour.columns)[1:4] == ["00:00", "01:00", "02:00"] and len(by_hour.columns) == 26
    by_month = reports.REPORTS["employees"].build(**MARCH, scale="month", store=st, settings=settings)["by_scale"].data
    assert "03.2025" in by_month.columns


def test_departments_roll_up_through_the_tree(store):
    st, settings = store
    report = reports.REPORTS["departments"].build(**MARCH, store=st, settings=settings)
    summary = report["summary"].data
    names = summary[t("rep_col_department")].tolist()
    assert names == ["Поддержка", "Продажи", "\u2003Продажи 1"]
    calls = summary.set_index(t("rep_col_department"))[t("rep_col_calls")]
    # Sales = its team's calls a, e plus 102's call c.
    assert calls.to_dict() == {"Поддержка": 1, "Продажи": 3, "\u2003Продажи 1": 2}
    efficiency = report["efficiency"].data.set_index(t("rep_col_department"))
    assert efficiency.loc["Продажи", [t("rep_col_effective"), t("rep_col_target")]].tolist() == [1, 6]
    only_sales = reports.REPORTS["departments"].build(**MARCH, department="Продажи 1", store=st, settings=settings)
    assert only_sales["summary"].data[t("rep_col_department")].tolist() == ["Продажи 1"]


def test_lines_report_compares_every_line_and_charts_the_chosen_one(store):
    st, settings = store
    report = reports.REPORTS["lines"].build(**MARCH, line=MAIN, store=st, settings=settings)
    summary = report["summary"].data.set_index(t("rep_col_line"))
    assert summary.loc["Реклама (74950000001)", [t("incoming"), t("outgoing")]].tolist() == [2, 0]
    assert summary.loc["Основная (74950000002)", [t("incoming"), t("outgoing"), t("rep_col_talk_total")]].tolist() \
        == [1, 1, 70]
    assert summary[t("rep_col_share")].sum() == pytest.approx(100)
    daily = report["line_daily"].data
    assert "Основная" in report["line_daily"].title
    assert daily[[t("incoming"), t("outgoing")]].to_numpy().tolist() == [[1, 1], [0, 0]]
    busiest = reports.REPORTS["lines"].build(**MARCH, store=st, settings=settings)["line_daily"]
    assert "Реклама" in busiest.title


def test_choices_list_what_the_filters_take(store):
    st, settings = store
    options = choices(st, settings)
    assert options["departments"] == [{"value": "Поддержка", "label": "Поддержка", "depth": 0},
                                      {"value": "Продажи", "label": "Продажи", "depth": 0},
                                      {"value": "Продажи 1", "label": "Продажи 1", "depth": 1}]
    assert {"value": "101", "label": "Иванов (101)", "department": "Продажи 1"} in options["employees"]
    assert {"value": AD, "label": "Реклама (74950000001)"} in options["lines"]
    assert [d["value"] for d in options["directions"]] == ["incoming", "outgoing", "internal", "mixed"]
    assert options["periods"][0] == {"value": "today", "label": "Сегодня"}


def test_english_by_setting(store, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    st, settings = store
    report = reports.REPORTS["employees"].build(**MARCH, store=st, settings=settings)
    assert report.title == "Employees"
    assert "Talk, total" in report["summary"].data.columns


def test_period_presets_are_whole_days_in_the_pbx_zone():
    now = pd.Timestamp("2025-03-05 15:30", tz=TZ)
    assert period_range("today", now=now) == (at("2025-03-05"), at("2025-03-06"))
    assert period_range("yesterday", now=now) == (at("2025-03-04"), at("2025-03-05"))
    assert period_range("this_week", now=now) == (at("2025-03-03"), at("2025-03-06"))
    assert period_range("last_30_days", now=now) == (at("2025-02-04"), at("2025-03-06"))
    assert period_range("this_month", now=now) == (at("2025-03-01"), at("2025-03-06"))
    assert period_range("last_month", now=now) == (at("2025-02-01"), at("2025-03-01"))
    assert period_range(start="2025-03-01", end="2025-03-31") == (at("2025-03-01"), at("2025-04-01"))
    assert period_range(start="2025-03-01 08:00", end="2025-03-01 20:00") == (at("2025-03-01 08:00"),
                                                                             at("2025-03-01 20:00"))


def test_period_presets_keep_local_midnight_across_a_dst_switch():
    now = pd.Timestamp("2025-03-31 12:00", tz="Europe/Berlin")
    lo, hi = period_range("last_7_days", now=now, tz="Europe/Berlin")
    assert (lo.hour, hi.hour) == (0, 0) and (hi - lo) == pd.Timedelta(days=7, hours=-1)


def test_bad_periods_are_explained(monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    with pytest.raises(PeriodError, match="no period “fortnight”. There are: today, yesterday, this_week"):
        period_range("fortnight")
    with pytest.raises(PeriodError, match="before it starts"):
        period_range(start="2025-03-05", end="2025-03-01")
    with pytest.raises(PeriodError, match="not a date"):
        period_range(start="yesterday-ish")
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    with pytest.raises(PeriodError, match="Периода «lastweek» нет. Есть: today, yesterday"):
        period_range("lastweek")


def test_counts_by_day_metric_agrees_with_the_dashboard_chart(store):
    st, settings = store
    report = reports.REPORTS["dashboard"].build(**MARCH, store=st, settings=settings)
    calls = st.table("calls").read()
    expected = counts.daily_external(calls, at("2025-03-03"), at("2025-03-05"))["calls"].tolist()
    assert report["external_daily"].data[t("rep_col_calls")].tolist() == expected


def test_the_detailed_table_keeps_the_latest_calls_when_there_are_too_many(store, monkeypatch):
    from atsnb.reports import detail

    monkeypatch.setattr(detail, "DETAIL_LIMIT", 2)
    st, settings = store
    element = reports.REPORTS["employees"].build(**MARCH, store=st, settings=settings)["detail"]
    assert element.data[t("rep_col_start")].tolist() == [at("2025-03-04 09:00"), at("2025-03-04 12:00")]
    assert "2 из 5" in element.note


def test_a_direction_filter_leaving_one_kind_of_call_still_builds_every_report(store):
    st, settings = store
    for direction in ("outgoing", "internal", "mixed"):
        for name, spec in ((n, s) for n, s in reports.REPORTS.items() if "direction" in s.filters):
            built = spec.build(**MARCH, direction=direction, store=st, settings=settings)
            assert built.elements, (name, direction)
    outgoing = reports.REPORTS["employees"].build(**MARCH, direction="outgoing", store=st, settings=settings)
    assert outgoing["summary"].data[t("rep_col_calls")].tolist() == [1]


def test_a_period_without_calls_gives_empty_but_complete_reports(store):
    st, settings = store
    for name, spec in reports.REPORTS.items():
        built = spec.build(start="2024-01-01", end="2024-01-02", store=st, settings=settings)
        assert [e.key for e in built.elements], name
    dashboard = reports.REPORTS["dashboard"].build(start="2024-01-01", end="2024-01-02", store=st, settings=settings)
    assert kpi(dashboard, "rep_kpi_external") == 0
    assert dashboard["external_daily"].data[t("rep_col_calls")].tolist() == [0, 0]


def test_a_period_still_to_come_has_no_data_rather_than_zeros(store):
    from atsnb.views.html import kpi_html

    st, settings = store
    future = reports.REPORTS["dashboard"].build(start="2025-03-10", end="2025-03-16", store=st, settings=settings,
                                                now=at("2025-03-05 12:00"))
    shown = kpi_html(future["kpis"])
    assert kpi(future, "rep_kpi_external") == 0 and shown.count("нет данных") == 7  # every rate and mean
    assert "0.0\u202f%" not in shown and "0:00:00" not in shown
    for key in ("external_daily", "unanswered_daily", "weekday_share", "talk_buckets", "department_share"):
        assert future[key].data.empty, key  # the chart says "no data" instead of drawing zeros
    started = reports.REPORTS["dashboard"].build(start="2025-03-03", end="2025-03-09", store=st, settings=settings,
                                                 now=at("2025-03-04 12:00"))
    assert started["external_daily"].data[t("rep_col_calls")].tolist() == [3, 1]  # the days that have begun


def test_route_summaries_name_each_rung_phone_once_and_who_hung_up():
    from atsnb.reports.detail import route_summary

    steps = pd.DataFrame({
        "call_id": ["q"] * 8,
        "seq": range(8),
        "kind": ["line", "queue", "ring", "ring", "ring", "ring", "answer", "hangup"],
        "party": [CLIENT, "", CLIENT, CLIENT, CLIENT, CLIENT, CLIENT, "caller"],
        "target": [AD, "701", "300", "301", "300", "301", "301", ""],
    })
    assert route_summary(steps)["q"] == ("линия 74950000001 → очередь 701 → звонок 300, 301 → ответ 301 → "
                                         "отбой звонящий")
