"""CSV and XLSX exports hold exactly the element's rows, durations as h:mm:ss, plus the totals row."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from atsnb.reports.export import csv_bytes, xlsx_bytes
from atsnb.reports.model import Element


def summary() -> Element:
    data = pd.DataFrame({
        "Сотрудник": ["Иванов (101)", "Петров (102)"],
        "Звонков": [3, 4],
        "Разговор, всего": [3725.0, 59.4],
        "Разговор, средн.": [1241.7, 14.85],
        "Доля": [42.857, 57.143],
        "Начало": pd.to_datetime(["2025-03-03 10:00:00", "2025-03-03 11:05:40"]).tz_localize("Europe/Moscow"),
    })
    return Element("summary", "Сводка: по сотрудникам", data, units={
        "Звонков": "calls", "Разговор, всего": "s", "Разговор, средн.": "s", "Доля": "%"},
        note="Звонок, переведённый на сотрудника, считается и за него.", totals=True,
        summable=["Звонков", "Разговор, всего"])


def test_csv_has_the_rows_durations_as_hms_and_a_totals_row():
    raw = csv_bytes(summary())
    assert raw.startswith("\ufeff".encode())
    back = pd.read_csv(io.BytesIO(raw), sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(summary().data.columns)
    assert back.to_dict("records") == [
        {"Сотрудник": "Иванов (101)", "Звонков": "3", "Разговор, всего": "1:02:05", "Разговор, средн.": "0:20:42",
         "Доля": "42.9", "Начало": "2025-03-03 10:00:00"},
        {"Сотрудник": "Петров (102)", "Звонков": "4", "Разговор, всего": "0:00:59", "Разговор, средн.": "0:00:15",
         "Доля": "57.1", "Начало": "2025-03-03 11:05:40"},
        {"Сотрудник": "Итого", "Звонков": "7", "Разговор, всего": "1:03:04", "Разговор, средн.": "",
         "Доля": "", "Начало": ""},
    ]


def test_a_table_without_totals_exports_only_its_rows():
    element = summary()
    element.totals = False
    back = pd.read_csv(io.BytesIO(csv_bytes(element)), sep=";", encoding="utf-8-sig")
    assert len(back) == 2


def test_xlsx_keeps_durations_as_excel_durations_and_says_what_was_filtered():
    raw = xlsx_bytes(summary(), {"period": "03.03.2025 – 04.03.2025", "department": "Продажи"}, "Сотрудники")
    book = openpyxl.load_workbook(io.BytesIO(raw))
    table, about = book.worksheets
    assert table.title == "Сводка  по сотрудникам"
    rows = list(table.iter_rows(values_only=True))
    assert rows[0] == tuple(summary().data.columns)
    assert rows[1][0] == "Иванов (101)" and rows[1][1] == 3
    assert abs(rows[1][2].total_seconds() - 3725) < 1e-3  # read back as a duration
    assert table.cell(row=2, column=3).number_format == "[h]:mm:ss"
    assert rows[3][0] == "Итого" and rows[3][1] == 7
    facts = dict(about.iter_rows(min_row=2, values_only=True))
    assert facts["Период"] == "03.03.2025 – 04.03.2025"
    assert facts["Отдел"] == "Продажи"
    assert facts["Отчёт"] == "Сотрудники"


def test_a_totals_row_recomputes_rates_from_the_rows_and_leaves_the_rest_blank():
    from atsnb.reports.export import totals

    element = summary()
    element.data["Отвечено"] = [3, 0]
    element.ratios = {"Разговор, средн.": ("Разговор, всего", "Отвечено", 1.0)}
    row = totals(element)
    # Σ talk / Σ answered over the rows with answered calls: Петров's 59.4 s without any is not in it
    assert row["Разговор, средн."] == 3725.0 / 3
    assert row["Доля"] is None and row["Начало"] is None and row["Отвечено"] is None
    element.data["Отвечено"] = [0, 0]
    assert totals(element)["Разговор, средн."] is None  # nothing to take a mean of: blank, not 0


def test_an_export_of_a_capped_table_says_how_many_of_how_many_rows_it_holds():
    element = summary()
    facts = dict(openpyxl.load_workbook(io.BytesIO(xlsx_bytes(element))).worksheets[1].iter_rows(min_row=2,
                                                                                                values_only=True))
    assert facts["Строк"] == "2"
    element.rows_total = 28_821
    facts = dict(openpyxl.load_workbook(io.BytesIO(xlsx_bytes(element))).worksheets[1].iter_rows(min_row=2,
                                                                                                values_only=True))
    assert facts["Строк"] == "2 из 28\u202f821 — последние по времени; сузьте фильтры, чтобы выгрузить остальные"
