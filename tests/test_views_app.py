"""The dashboard widgets without a browser: filters → report arguments, the app recomputing on a
change, sortable tables with totals, downloads equal to the report layer's export, bqplot charts."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import shutil

import bqplot as bq
import ipywidgets as w
import numpy as np
import pandas as pd
import pytest

from atsnb.composition import Context
from atsnb.errors import AtsnbError
from atsnb.i18n import set_language
from atsnb.reports import REPORTS
from atsnb.reports.export import csv_bytes
from atsnb.reports.model import Element, Report
from atsnb.store import Store
from atsnb.views.app import ReportApp, close_tree
from atsnb.views.charts import chart_figure, legend_html
from atsnb.views.export import DownloadButtons, file_name
from atsnb.views.filters import FilterBar, parse_query
from atsnb.views.tables import TableView
from tests.support.demo_store import DEMO_PERIOD, demo_store

DEMO_QUERY = f"period=custom&start={DEMO_PERIOD['start']}&end={DEMO_PERIOD['end']}"

CHOICES = {
    "periods": [{"value": p, "label": p} for p in ("today", "last_30_days", "this_month", "custom")],
    "departments": [{"value": "Продажи", "label": "Продажи", "depth": 0},
                    {"value": "Опт", "label": "Опт", "depth": 1}],
    "employees": [{"value": "101", "label": "Иванов (101)"}, {"value": "102", "label": "Петров (102)"}],
    "lines": [{"value": "74951234567", "label": "Реклама (74951234567)"}],
    "directions": [{"value": "incoming", "label": "Входящий"}, {"value": "outgoing", "label": "Исходящий"}],
    "scales": [{"value": s, "label": s} for s in ("hour", "day", "week", "month")],
}


def summary(n: int = 5) -> Element:
    return Element(
        "summary", "Сводка",
        pd.DataFrame({"Сотрудник": [f"Сотрудник {i}" for i in range(n)], "Звонков": np.arange(n) * 3 % 7,
                      "Разговор": np.arange(n) * 100.0, "Доля": np.linspace(0, 100, n)}),
        units={"Звонков": "calls", "Разговор": "s", "Доля": "%"}, totals=True, summable=["Звонков", "Разговор"],
    )


def fake_report(**filters: object) -> Report:
    """A report whose figures depend on the filters, as a real one does."""
    n = {"today": 2, "this_month": 10}.get(str(filters["period"]), 30)
    days = pd.date_range("2026-11-01", periods=n, freq="D", tz="Europe/Moscow")
    return Report("dashboard", "Дашборд", {"period": filters["period"]}, [
        Element("kpis", "Итоги", pd.DataFrame({"Звонков": [n * 10], "Ожидание": [75.0]}), kind="kpi",
                units={"Ожидание": "s"}),
        Element("daily", "По дням", pd.DataFrame({"День": days, "Входящие": np.arange(n), "Исходящие": np.ones(n)}),
                kind="stacked_bar", x="День", y=["Входящие", "Исходящие"]),
        summary(n),
    ])


def test_query_string_presets_the_filters_and_ignores_the_rest():
    assert parse_query("period=this_month&line=74951234567&token=secret&foo=1&employee=") == {
        "period": "this_month", "line": "74951234567"}


def test_filter_bar_gives_the_report_arguments_and_indents_the_department_tree():
    bar = FilterBar(CHOICES, {"period": "today", "department": "Опт", "employee": "nobody"})
    assert bar.values() == {"period": "today", "department": "Опт", "employee": None, "line": None,
                            "direction": None}
    assert bar.choices["department"].options[2] == ("\u00a0\u00a0\u00a0Опт", "Опт")
    assert bar.choices["department"].options[0] == ("все", "")


def test_employees_and_departments_also_pick_the_time_scale_of_their_pivot():
    calls = []
    app = ReportApp("employees", lambda **f: calls.append(f) or fake_report(**f), CHOICES, {"scale": "week"},
                    filters=REPORTS["employees"].filters)
    assert calls[-1]["scale"] == "week"
    app.filters.scale.value = "hour"
    assert calls[-1]["scale"] == "hour" and len(calls) == 2
    assert "scale" not in FilterBar(CHOICES).values()


def test_custom_period_shows_the_date_pickers_and_passes_both_days():
    bar = FilterBar(CHOICES, {"period": "custom", "start": "2026-11-20", "end": "2026-11-01"})
    assert bar.start.layout.display == "flex"
    assert bar.values()["start"] == dt.date(2026, 11, 1) and bar.values()["end"] == dt.date(2026, 11, 20)
    bar.period.value = "today"
    assert bar.start.layout.display == "none" and "start" not in bar.values()


def test_an_unknown_period_in_the_address_falls_back_to_the_last_30_days():
    assert FilterBar(CHOICES, {"period": "forever"}).period.value == "last_30_days"


def test_an_address_naming_nothing_shows_the_nearest_view_with_a_message_on_top():
    calls = []
    app = ReportApp("departments", lambda **f: calls.append(f) or fake_report(**f), CHOICES,
                    {"department": "Продажи 2", "period": "lastweek", "start": "2026-13-01"})
    assert calls[-1]["department"] is None and calls[-1]["period"] == "last_30_days"  # the whole company, 30 days
    notice = app.notice.value
    assert notice.count('class="atsnb-warning"') == 3
    assert "«Отдел» = «Продажи 2», но такого нет. Есть: Продажи, Опт. Показано: все." in notice
    assert "«Период» = «lastweek», но такого нет. Есть: today, last_30_days, this_month, custom. Показано: last_30_days." \
        in notice  # labels that hold their value (a test's choices) are not repeated
    named = FilterBar(CHOICES | {"periods": [{"value": "today", "label": "Сегодня"}, {"value": "last_30_days",
                                                                                    "label": "30 дней"}]},
                      {"period": "lastweek"}).problems
    assert named == ["В адресе страницы «Период» = «lastweek», но такого нет. Есть: Сегодня (today), "
                     "30 дней (last_30_days). Показано: 30 дней."]
    assert "«С» = «2026-13-01» — это не дата" in notice
    assert app.widget.children.index(app.notice) < app.widget.children.index(app.body)  # above the figures
    app.filters.choices["department"].value = "Опт"  # the reader chose: the message has done its job
    assert app.notice.value == "" and calls[-1]["department"] == "Опт"
    assert FilterBar(CHOICES, {"employee": "101"}).problems == []


def test_a_report_counting_external_calls_by_default_offers_all_calls_as_a_choice():
    bar = FilterBar(CHOICES, {}, defaults=dict(REPORTS["dashboard"].defaults))
    direction = bar.choices["direction"]
    assert direction.value == "external" and bar.values()["direction"] == "external"
    assert direction.options[:2] == (("все звонки, с внутренними", "all"), ("внешние", "external"))
    assert FilterBar(CHOICES, {"direction": "all"}, defaults={"direction": "external"}).values()["direction"] == "all"
    plain = FilterBar(CHOICES).choices["direction"]
    assert plain.value == "" and plain.options[:2] == (("все", ""), ("внешние", "external"))


def test_switching_to_custom_dates_recomputes_once():
    calls = []
    app = ReportApp("dashboard", lambda **f: calls.append(f) or fake_report(**f), CHOICES)
    app.filters.period.value = "custom"
    assert len(calls) == 2
    assert calls[-1]["start"] == dt.date.today().replace(day=1)


def test_the_app_recomputes_on_a_filter_change_and_closes_the_old_widgets():
    seen = []
    app = ReportApp("dashboard", lambda **f: seen.append(f) or fake_report(**f), CHOICES, {"period": "this_month"})
    kpi = app.body.children[0]
    assert "100" in kpi.value and "0:01:15" in kpi.value
    old = list(app.body.children)
    app.filters.choices["employee"].value = "102"
    assert seen[-1]["employee"] == "102" and seen[-1]["period"] == "this_month"
    app.filters.period.value = "today"
    assert "20" in app.body.children[0].value
    assert all(widget.comm is None for widget in old)  # closed, not leaked
    assert "Обновлено" in app.status.value


def test_the_app_shows_a_users_error_in_one_sentence():
    def failing(**_filters: object) -> Report:
        raise AtsnbError("There is no department 'X' in the departments directory.")

    app = ReportApp("dashboard", failing, CHOICES)
    assert 'class="atsnb-error"' in app.status.value and "no department" in app.status.value


def test_report_elements_become_kpi_cards_charts_in_a_row_and_tables():
    app = ReportApp("dashboard", fake_report, CHOICES)
    kpi, charts, table = app.body.children
    assert isinstance(kpi, w.HTML) and "atsnb-kpi" in kpi.value
    assert "atsnb-charts" in charts._dom_classes
    assert isinstance(charts.children[0].children[1], bq.Figure)
    assert "По дням" in charts.children[0].children[0].value  # the title, as HTML that wraps
    assert "atsnb-table-view" in table._dom_classes


def test_a_table_sorts_by_any_column_and_keeps_the_totals_of_all_rows():
    view = TableView(summary(5), stem="x")
    view.sort_by.value = "Разговор"
    assert view.frame()["Разговор"].tolist() == [400, 300, 200, 100, 0]
    view.descending.value = False
    assert view.frame()["Разговор"].tolist() == [0, 100, 200, 300, 400]
    assert view.descending.description == "↑"
    assert '<tr class="atsnb-totals"><td>Итого</td><td class="n">16</td><td class="n">0:16:40</td><td></td>' \
        in view.body.value


def test_long_tables_show_a_page_then_more_on_request():
    view = TableView(summary(250), stem="x", page_rows=100)
    assert view.body.value.count("<tr>") == 1 + 100 and view.more.layout.display != "none"
    view.more.click()
    view.more.click()
    assert view.body.value.count("<tr>") == 1 + 250 and view.more.layout.display == "none"


def test_a_download_holds_the_export_of_the_table_as_sorted_on_screen():
    view = TableView(summary(6), stem="dashboard_summary")
    view.sort_by.value = "Звонков"
    script = _script_of(view.downloads, "csv")
    sent = base64.b64decode(re.search(r'atob\("([^"]+)"\)', script).group(1))
    assert sent == csv_bytes(view.current())
    assert '"dashboard_summary.csv"' in script
    assert pd.read_csv(io.BytesIO(sent), sep=";")["Звонков"].tolist()[:-1] == sorted(
        summary(6).data["Звонков"], reverse=True)


def _script_of(buttons: DownloadButtons, fmt: str) -> str:
    """The script the browser receives when the button is pressed."""
    buttons.download(fmt)
    return buttons.output.outputs[0]["data"]["text/html"]


def test_file_names_are_safe_for_every_file_system():
    assert file_name("employees_by scale/день", "xlsx") == "employees_by_scale.xlsx"


def test_bars_lines_and_pies_become_bqplot_marks_with_durations_in_minutes():
    data = pd.DataFrame({"Час": range(24), "Разговор": np.full(24, 90.0), "Ожидание": np.full(24, 30.0)})
    line = chart_figure(Element("talk", "Разговор", data, kind="line", x="Час", y=["Разговор", "Ожидание"],
                                units={"Разговор": "s", "Ожидание": "s"}))
    mark = line.marks[0]
    assert isinstance(mark, bq.Lines) and mark.y.shape == (2, 24) and float(mark.y[0][0]) == 1.5
    assert line.axes[1].label == "минуты" and line.title == "Разговор"
    days = pd.date_range("2026-10-01", periods=60, freq="D", tz="Europe/Moscow")
    bars = chart_figure(Element("d", "По дням", pd.DataFrame({"День": days, "n": range(60)}), kind="bar",
                                x="День", y=["n"]))
    assert isinstance(bars.marks[0], bq.Bars) and list(bars.marks[0].x[:2]) == ["01.10", "02.10"]
    assert bars.axes[0].num_ticks == 16  # thinned labels stay readable on a phone
    assert bars.marks[0].y.shape == (60,)
    pie = chart_figure(Element("p", "Доли", pd.DataFrame({"Отдел": ["А", "Б"], "n": [3, 1]}), kind="pie",
                               x="Отдел", y=["n"]))
    assert isinstance(pie.marks[0], bq.Pie) and list(pie.marks[0].labels) == ["75%", "25%"]
    legend = legend_html(Element("p", "Доли", pd.DataFrame({"Отдел": ["А", "Б"], "n": [3, 1]}), kind="pie",
                                 x="Отдел", y=["n"]))
    assert "А: 3" in legend and "Б: 1" in legend
    assert "Ожидание" in legend_html(Element("talk", "Разговор", data, kind="line", x="Час",
                                             y=["Разговор", "Ожидание"]))
    assert chart_figure(Element("d", "По дням", data, kind="bar", x="Час", y=["Разговор"]), titled=False).title == ""


def test_close_tree_closes_nested_widgets_and_chart_parts():
    figure = chart_figure(Element("p", "Доли", pd.DataFrame({"x": ["a"], "n": [1]}), kind="bar", x="x", y=["n"]))
    box = w.VBox([w.HBox([figure])])
    close_tree(box)
    assert figure.comm is None and figure.marks[0].comm is None and figure.axes[0].scale.comm is None


def test_the_dashboard_speaks_english_by_the_language_setting():
    set_language("en")
    try:
        app = ReportApp("dashboard", fake_report, CHOICES)
        assert "Updated at" in app.status.value
        assert app.filters.period.description == "Period" and app.filters.choices["line"].options[0][0] == "all"
        assert "Total" in app.body.children[-1].children[2].value
    finally:
        set_language("ru")


@pytest.fixture
def own_demo_store(tmp_path_factory, tmp_path, monkeypatch):
    """A copy of the demo store this test may write to, as ``atsnb serve`` passes it to kernels."""
    source, _settings = demo_store(tmp_path_factory)
    root = tmp_path / "store"
    shutil.copytree(source, root)
    monkeypatch.setenv("ATSNB_STORE", str(root))
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    monkeypatch.delenv("ATSNB_CONFIG", raising=False)
    return Store.open(root)


def test_a_kernel_started_for_a_request_builds_the_page_for_its_address(own_demo_store, monkeypatch):
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", DEMO_QUERY + "&direction=incoming")
    page = Context.load().dashboard("dashboard")
    assert page.app.filters.values()["direction"] == "incoming" and page.app.report is not None
    page.wait_for_request()  # returns at once: there is no visitor to wait for
    assert page.widget.children == (page.app.widget,)


def test_a_preheated_page_is_computed_ahead_and_follows_its_visitors_address(own_demo_store, monkeypatch):
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("QUERY_STRING", DEMO_QUERY)  # what the pool kernel must not read before its request
    page = Context.load().dashboard("dashboard")
    app, ahead = page.app, page.app.report
    assert app.filters.values()["period"] == "last_30_days" and ahead is not None

    page.follow("")  # the visitor asks for the default view of unchanged data: nothing is recomputed
    assert page.app is app and app.report is ahead

    page.follow(DEMO_QUERY)  # other filters: the same app recomputes once for them
    assert page.app is app and app.report is not ahead
    assert app.filters.values()["start"] == dt.date.fromisoformat(DEMO_PERIOD["start"])
    for_demo = app.report
    total = kpi(app.report, "Внешних звонков")
    assert total > 0

    calls = own_demo_store.table("calls")
    external = calls.read(columns=["call_id", "direction"]).query("direction in ['incoming', 'outgoing']")
    removed = calls.delete_keys(external.head(10))  # as if a sync had rewritten the calls
    assert removed == 10
    page.follow(DEMO_QUERY)  # the same address, newer data: the page is rebuilt from the store
    assert page.app is not app and page.widget.children == (page.app.widget,)
    assert app.widget.comm is None  # the old widgets are closed
    assert page.app.report is not for_demo and kpi(page.app.report, "Внешних звонков") == total - 10


def kpi(report: Report, column: str) -> float:
    cards = next(e for e in report.elements if e.kind == "kpi")
    return float(cards.data[column].iloc[0])


def test_a_chart_without_data_says_so_instead_of_drawing_empty_axes():
    empty = Report("dashboard", "Дашборд", {}, [
        Element("daily", "По дням", pd.DataFrame({"День": [], "n": []}), kind="bar", x="День", y=["n"])])
    app = ReportApp("dashboard", lambda **_f: empty, CHOICES)
    chart = app.body.children[0].children[0]
    assert isinstance(chart, w.HTML) and "Нет данных" in chart.value


def test_hours_over_several_days_are_ticked_at_midnights_and_hours_of_one_day_by_the_clock():
    hours = pd.date_range("2026-11-02", periods=14 * 24, freq="h", tz="Europe/Moscow")
    data = pd.DataFrame({"Час": hours, "Линий": np.arange(len(hours)) % 5})
    figure = chart_figure(Element("load", "Загрузка", data, kind="line", x="Час", y=["Линий"]))
    x_axis = figure.axes[0]
    assert list(x_axis.tick_values) == list(range(0, 14 * 24, 24))  # a label a day, short
    assert list(x_axis.tick_labels.values()) == [f"{d:02d}.11" for d in range(2, 16)]
    assert list(figure.marks[0].x[:2]) == [0, 1] and x_axis.tick_rotate == -40
    one_day = chart_figure(Element("load", "Загрузка", data.head(24), kind="line", x="Час", y=["Линий"]))
    assert one_day.marks[0].x[9] == "09:00" and one_day.axes[0].tick_values is None
    month = pd.DataFrame({"Час": pd.date_range("2026-10-01", periods=31 * 24, freq="h"), "n": 1})
    month_ticks = chart_figure(Element("load", "Загрузка", month, kind="line", x="Час", y=["n"])).axes[0]
    assert len(month_ticks.tick_values) == 16 and month_ticks.tick_labels[48] == "03.10"  # every second day
    days = pd.DataFrame({"День": hours[::24], "n": np.arange(14)})
    bars = chart_figure(Element("daily", "По дням", days, kind="bar", x="День", y=["n"]))
    assert bars.marks[0].x[0] == "02.11" and bars.axes[0].tick_values is None


def test_the_hour_profile_draws_grouped_bars_on_whole_line_ticks_labelling_every_other_hour():
    profile = pd.DataFrame({"Час": [f"{h:02d}" for h in range(24)], "Среднее линий": np.linspace(0, 2.4, 24),
                            "Максимум линий": np.arange(24) % 4})
    figure = chart_figure(Element("line_load", "Загрузка линий по часам", profile, kind="bar", x="Час",
                                  y=["Среднее линий", "Максимум линий"],
                                  units={"Среднее линий": "lines", "Максимум линий": "lines"}))
    bars, (x_axis, y_axis) = figure.marks[0], figure.axes
    assert bars.type == "grouped" and bars.y.shape == (2, 24)
    # bqplot 0.13 leaves a grouped chart's y range unset (nothing drawn): the scale carries it
    assert y_axis.scale.min == 0 and 3 < y_axis.scale.max <= 3.5
    assert list(y_axis.tick_values) == [0, 1, 2, 3]  # not 0, 0, 1, 1 … from half-line ticks
    assert 24 // (x_axis.num_ticks - 1) == 2  # bqplot labels every ⌊n / (num_ticks − 1)⌋-th: 00, 02, … 22
    busy = chart_figure(Element("d", "По дням", pd.DataFrame({"День": range(29), "n": 40}), kind="bar", x="День",
                                y=["n"]))
    assert 29 // (busy.axes[0].num_ticks - 1) == 2 and busy.axes[1].tick_values is None  # 15 labels; d3 ticks 40


def test_slanted_labels_hang_from_their_tick_with_room_under_the_axis_for_long_ones():
    def bars(labels):
        return Element("x", "t", pd.DataFrame({"what": labels, "n": [1] * len(labels)}), kind="bar", x="what", y=["n"])

    short, long = chart_figure(bars(["Пн", "Вт"])), chart_figure(bars(["Пропущено", "Всего дозвонились"]))
    assert short.fig_margin["bottom"] == 55 and short.axes[0].tick_rotate == 0
    assert 55 < long.fig_margin["bottom"] <= 130
    assert long.axes[0].tick_rotate == -40 and long.axes[0].tick_style["text-anchor"] == "end"
    assert chart_figure(bars(["03.03", "04.03"])).fig_margin["bottom"] == 55  # dates keep the usual margin


def test_kpi_cards_show_the_counts_of_a_percentage_and_no_data_instead_of_zero():
    from atsnb.reports.elements import kpi
    from atsnb.views.html import kpi_html

    element = kpi("kpis", "rep_kpis", [("Непринятых", 29.6, "%", (1722, 5822)), ("Разговор", float("nan"), "s"),
                                       ("Уровень", float("nan"), "%", (0, 0))], scope="внешние звонки")
    shown = kpi_html(element)
    assert element.title == "Основные показатели — внешние звонки"
    assert "29.6\u202f%" in shown and "1\u202f722 из 5\u202f822" in shown
    assert shown.count("нет данных") == 2 and "0:00:00" not in shown and " из 0" not in shown


def test_a_capped_table_says_exactly_how_many_rows_its_download_holds():
    from atsnb.views.html import table_html

    element = summary(250)
    assert "выгрузка содержит все 250" in table_html(element, max_rows=100)
    element.rows_total = 28_821
    note = table_html(element, max_rows=100)
    assert "Показаны 100 из 250 строк; выгрузка содержит эти 250 строк — последние 250 из 28\u202f821 звонков" in note
    view = TableView(element, stem="x", page_rows=100)  # on a page: under the scrolling box, where it is seen
    assert "последние 250 из 28\u202f821" in view.rows.value and "последние" not in view.body.value
    assert view.widget.children.index(view.rows) == view.widget.children.index(view.body) + 1


def test_a_bars_tooltip_shows_the_counts_behind_the_bar():
    data = pd.DataFrame({"День": ["Пн", "Вт"], "В день": [12.5, 9.0], "Звонков": [50, 36], "Дат": [4, 4]})
    element = Element("w", "По дням недели", data, kind="bar", x="День", y=["В день"],
                      units={"В день": "calls", "Звонков": "calls"}, tooltip=["Звонков", "Дат"])
    mark = chart_figure(element).marks[0]
    mark._handle_custom_msgs(None, {"event": "hover", "data": {"index": 1, "x": "Вт", "y": 9.0}})
    assert "<b>Вт</b>" in mark.tooltip.value and "Звонков: 36" in mark.tooltip.value and "Дат: 4" in mark.tooltip.value

