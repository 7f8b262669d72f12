"""Static rendering (notebooks, snapshots): h:mm:ss and number formats, units in the reader's
language, HTML tables with a totals row and coloured efficiency rows, KPI cards, PNG charts whose
axes read (dd.mm dates, labels that never touch, the unit once), and ``show`` under a real kernel."""

from __future__ import annotations

import io
import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread
from nbclient import NotebookClient

from atsnb.i18n import set_language
from atsnb.reports.model import Element
from atsnb.views.format import display_frame, hms, number, percent, totals_row
from atsnb.views.html import kpi_html, table_html
from atsnb.views.static import chart_figure, chart_png


def summary() -> Element:
    return Element(
        "efficiency_panel",
        "Панель эффективности",
        pd.DataFrame({
            "Сотрудник": ["Иванов", "Петров", "Сидоров"],
            "Эффективных": [12, 5, 1],
            "Выполнение": [120.0, 62.5, 10.0],
            "Разговор": [3600, 725, 5],
            "Среднее ожидание": [10.0, 20.0, 30.0],
        }),
        units={"Выполнение": "%", "Разговор": "s", "Среднее ожидание": "s"},
        totals=True,
        summable=["Эффективных", "Разговор"],
    )


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0:00:00"), (59.6, "0:01:00"), (3725, "1:02:05"), (90000, "25:00:00"), (float("nan"), ""), (None, ""),
])
def test_durations_read_as_hours_minutes_seconds(seconds, text):
    assert hms(seconds) == text


def test_numbers_group_thousands_and_shares_carry_a_percent_sign():
    assert number(1234567) == "1\u202f234\u202f567"
    assert number(12.345, 1) == "12.3"
    assert percent(12.345) == "12.3\u202f%"
    assert percent(None) == ""


def test_display_frame_formats_each_column_by_its_unit_and_names_the_unit_in_russian():
    text = display_frame(summary())
    # the unit stays on the line of its word (a no-break space): a header never ends in "Разговор,"
    assert list(text.columns) == ["Сотрудник", "Эффективных", "Выполнение", "Разговор,\u00a0ч:мм:сс",
                                  "Среднее ожидание,\u00a0ч:мм:сс"]
    assert text.iloc[1].tolist() == ["Петров", "5", "62.5\u202f%", "0:12:05", "0:00:20"]
    set_language("en")
    assert display_frame(summary()).columns[3] == "Разговор,\u00a0h:mm:ss"


def test_totals_add_the_summable_columns_only():
    row = totals_row(summary())
    assert row == {"Сотрудник": "Итого", "Эффективных": 18, "Выполнение": None, "Разговор": 4330,
                   "Среднее ожидание": None}
    assert totals_row(Element("x", "x", summary().data)) is None  # only tables that ask for it


def test_totals_row_is_labelled_in_english_by_the_language_setting():
    set_language("en")
    assert totals_row(summary())["Сотрудник"] == "Total"


def test_table_html_has_a_totals_row_and_colours_rows_by_target_reached():
    html = table_html(summary())
    assert html.count("<tr") == 1 + 3 + 1  # header, rows, totals
    assert '<tr class="atsnb-totals"><td>Итого</td><td class="n">18</td><td></td><td class="n">1:12:10</td>' in html
    assert html.index("#d4edda") < html.index("#fff3cd") < html.index("#f8d7da")  # ≥100 %, ≥50 %, below


def test_table_html_escapes_text_and_cuts_long_tables_with_a_note():
    element = Element("calls", "Звонки", pd.DataFrame({"Номер": ["<b>1</b>"] * 30, "n": range(30)}), totals=True)
    html = table_html(element, max_rows=10)
    assert "&lt;b&gt;1&lt;/b&gt;" in html and "<b>1</b>" not in html
    assert html.count("<tr>") == 1 + 10  # header and the ten shown rows
    assert "Показаны 10 из 30 строк" in html
    assert '<td class="n">435</td>' in html  # the totals cover all 30 rows, not the 10 shown


def test_kpi_cards_show_each_figure_with_its_unit():
    kpi = Element("kpi", "Итоги", pd.DataFrame({"Звонков": [1520], "Среднее ожидание": [75.0], "Пропущено": [7.25]}),
                  kind="kpi", units={"Среднее ожидание": "s", "Пропущено": "%"})
    html = kpi_html(kpi)
    assert html.count('class="atsnb-kpi"') == 3
    for text in ("1\u202f520", "0:01:15", "7.2\u202f%", "Среднее ожидание,\u00a0ч:мм:сс"):
        assert text in html


@pytest.mark.parametrize("kind", ["bar", "stacked_bar", "line", "pie"])
def test_every_chart_kind_renders_a_png_of_the_requested_size(kind):
    days = pd.date_range("2026-11-01", periods=30, freq="D", tz="Europe/Moscow")
    data = pd.DataFrame({"День": days, "Входящие": range(30), "Исходящие": range(30, 60)})
    element = Element("daily", "По дням", data, kind=kind, x="День", y=["Входящие", "Исходящие"])
    image = imread(io.BytesIO(chart_png(element, width_in=6, height_in=3)))
    assert image.shape[:2] == (300, 600)
    assert image[..., :3].std() > 0.05  # something was drawn, not a blank canvas


def label_ink(figure) -> list[np.ndarray]:
    """The pixels each labelled x tick inks, drawn one at a time on the laid-out figure."""
    FigureCanvasAgg(figure)
    figure.canvas.draw()
    figure.set_layout_engine("none")  # the positions stay as laid out while labels come and go
    labels = [label for label in figure.axes[0].get_xticklabels() if label.get_text()]
    colours = [label.get_color() for label in labels]
    for label in labels:
        label.set_color((0, 0, 0, 0))
    figure.canvas.draw()
    blank = np.asarray(figure.canvas.buffer_rgba()).copy()
    ink = []
    for label, colour in zip(labels, colours, strict=True):
        label.set_color(colour)
        figure.canvas.draw()
        ink.append((np.asarray(figure.canvas.buffer_rgba()) != blank).any(axis=2))
        label.set_color((0, 0, 0, 0))
    return ink


def touching(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two ink masks share a pixel or sit side by side with no pixel between them."""
    grown = a.copy()
    grown[1:] |= a[:-1]
    grown[:-1] |= a[1:]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    return bool((grown & b).any())


SERIES = {
    "30 days": pd.date_range("2026-12-01", periods=30, freq="D", tz="Europe/Moscow"),
    "a year of days": pd.date_range("2026-01-01", periods=365, freq="D", tz="Europe/Moscow"),
    "a month of hours": pd.date_range("2026-12-01", periods=30 * 24, freq="h", tz="Europe/Moscow"),
    "hours of a day": pd.Series([f"{h:02d}" for h in range(24)]),
    "long names": pd.Series([f"Отдел продаж № {i}" for i in range(14)]),
}


@pytest.mark.parametrize("width_in", [3.5, 8.0])
@pytest.mark.parametrize("kind", ["line", "bar"])
@pytest.mark.parametrize("series", list(SERIES))
def test_x_labels_never_touch_and_dates_read_as_day_and_month(series, kind, width_in):
    x = SERIES[series]
    data = pd.DataFrame({"x": x, "n": np.arange(len(x)) % 7})
    figure = chart_figure(Element("c", "Звонки", data, kind=kind, x="x", y=["n"], units={"n": "calls"}),
                          width_in=width_in)
    texts = [label.get_text() for label in figure.axes[0].get_xticklabels() if label.get_text()]
    assert len(texts) >= 6  # thinned, not emptied
    if pd.api.types.is_datetime64_any_dtype(x):
        assert all(re.fullmatch(r"\d\d\.\d\d", text) for text in texts), texts  # 01.12, never 2026-12-01
    ink = label_ink(figure)
    assert all(mask.any() for mask in ink)
    assert not [(texts[i], texts[i + 1]) for i in range(len(ink) - 1) if touching(ink[i], ink[i + 1])]


def test_a_chart_names_its_unit_once_on_the_axis_not_again_in_the_title():
    hours = pd.DataFrame({"Час": [f"{h:02d}" for h in range(24)], "Среднее линий": 1.5, "Максимум линий": 3})
    load = Element("line_load", "Загрузка линий по часам: рабочие дни", hours, kind="bar", x="Час",
                   y=["Среднее линий", "Максимум линий"], units={"Среднее линий": "lines", "Максимум линий": "lines"})
    axes = chart_figure(load).axes[0]
    assert axes.get_title(loc="left") == "Загрузка линий по часам: рабочие дни"
    assert axes.get_ylabel() == "линий"
    talk = Element("talk", "Средний разговор", pd.DataFrame({"День": SERIES["30 days"], "t": 200.0}), kind="line",
                   x="День", y=["t"], units={"t": "s"})
    axes = chart_figure(talk).axes[0]
    assert axes.get_ylabel() == "ч:мм:сс"
    assert axes.yaxis.get_major_formatter()(125, 0) == "0:02:05"


def test_an_empty_chart_says_there_is_no_data_instead_of_failing():
    element = Element("daily", "По дням", pd.DataFrame({"День": [], "n": []}), kind="bar", x="День", y=["n"])
    assert chart_png(element).startswith(b"\x89PNG")


def test_show_in_a_real_kernel_outputs_html_tables_and_png_charts_without_widgets():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import pandas as pd\n"
        "from atsnb.reports.model import Element, Report\n"
        "import atsnb.views\n"
        "t = Element('t', 'Таблица', pd.DataFrame({'a': ['x', 'y'], 'n': [1, 2]}), totals=True)\n"
        "c = Element('c', 'График', pd.DataFrame({'a': ['x', 'y'], 'n': [1, 2]}), kind='bar', x='a', y=['n'],"
        " note='n = число')\n"
        "atsnb.views.show(Report('r', 'Отчёт', {'period': 'last_30_days'}, [t, c]))\n"
    )]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    kinds = [next(iter(o["data"])) for o in outputs if o["output_type"] == "display_data"]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert "image/png" in kinds and "application/vnd.jupyter.widget-view+json" not in kinds
    html = "".join(o["data"].get("text/html", "") for o in outputs if o["output_type"] == "display_data")
    assert "Отчёт" in html and "Период: last_30_days" in html and "Итого" in html and "n = число" in html
