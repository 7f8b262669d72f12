"""CSV import/export of directories: formats people save, all-or-nothing validation, round trips."""

import pandas as pd
import pytest

from atsnb.directory.csv_io import export_csv, export_text, import_csv
from atsnb.directory.rules import check_rows
from atsnb.errors import InputError
from atsnb.store import Store


@pytest.fixture
def catalog(store_path):
    return Store.open(store_path).catalog


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")


def _write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_russian_headers_semicolons_and_bom_are_understood(catalog, tmp_path):
    catalog.upsert("departments", pd.DataFrame([{"name": "Продажи"}]))
    f = _write(tmp_path / "employees.csv",
               "\ufeffДобавочный;ФИО;Отдел;Мобильный;Активен\r\n"
               "101;Иванов Иван;Продажи;8 (912) 345-67-89;да\r\n"
               "\r\n"
               "102;Петрова Анна;;;нет\r\n")
    result = import_csv(catalog, "employees", f)
    assert (result.added, result.updated, result.removed) == (2, 0, 0)
    got = catalog.read("employees").set_index("extension")
    assert got.loc["101", "name"] == "Иванов Иван"
    assert got.loc["101", "mobile"] == "79123456789"
    assert got.loc["101", "active"] == 1 and got.loc["102", "active"] == 0
    assert pd.isna(got.loc["102", "department"])


def test_commas_and_windows_1251_are_understood(catalog, tmp_path):
    f = _write(tmp_path / "departments.csv", "Отдел,Родитель\nПродажи,\nОпт,Продажи\n", "cp1251")
    import_csv(catalog, "departments", f)
    assert dict(catalog.read("departments")[["name", "parent"]].fillna("").values) == {"Продажи": "", "Опт": "Продажи"}


def test_every_error_of_a_file_is_reported_with_line_and_field_and_nothing_is_written(catalog, tmp_path, english):
    catalog.upsert("employees", pd.DataFrame([{"extension": "100", "name": "Был"}]))
    f = _write(tmp_path / "employees.csv",
               "extension;name;department;active\n"
               "101;Иванов;;1\n"
               "10a;Петров;;1\n"
               "102;Сидоров;Склад;maybe\n"
               ";Без номера;;\n"
               "101;Дубль;;\n")
    with pytest.raises(InputError) as err:
        import_csv(catalog, "employees", f)
    lines = str(err.value).splitlines()
    assert lines[0] == "File employees.csv was not imported and nothing was changed; errors: 5."
    assert lines[1] == 'employees.csv, line 3, field "extension": "10a" is not an extension number (2–6 digits)'
    assert lines[2] == 'employees.csv, line 4, field "department": "Склад" is not in the directory "Departments"'
    assert lines[3] == 'employees.csv, line 4, field "active": "maybe" should be 1 or 0 (yes/no)'
    assert lines[4] == 'employees.csv, line 5, field "extension": a value is required'
    assert lines[5] == 'employees.csv, line 6, field "extension": "101" is already on line 2'
    assert list(catalog.read("employees").extension) == ["100"]


def test_messages_are_russian_by_default(catalog, tmp_path):
    f = _write(tmp_path / "employees.csv", "Добавочный;ФИО\n10a;Петров\n")
    with pytest.raises(InputError, match=r"employees.csv, строка 2, поле «extension»: «10a» — не внутренний номер"):
        import_csv(catalog, "employees", f)


def test_bad_headers_are_reported_on_line_one(catalog, tmp_path, english):
    f = _write(tmp_path / "partners.csv", "Телефон;Должность\n79161234567;x\n")
    with pytest.raises(InputError) as err:
        import_csv(catalog, "partners", f)
    text = str(err.value)
    assert 'partners.csv, line 1: unknown column "Должность"' in text
    assert "partners.csv, line 1: the required column name is missing" in text


def test_line_numbers_count_physical_lines_of_quoted_multiline_cells(catalog, tmp_path, english):
    f = _write(tmp_path / "partners.csv", 'number;name\n79161234567;"ООО\nРога"\nабв;Копыта\n')
    with pytest.raises(InputError, match=r'partners.csv, line 4, field "number": "абв" is not a phone number'):
        import_csv(catalog, "partners", f)


def test_department_cycles_and_unknown_parents_are_refused(catalog, tmp_path, english):
    f = _write(tmp_path / "departments.csv", "name;parent\nA;C\nB;A\nC;B\nD;Нет\n")
    with pytest.raises(InputError) as err:
        import_csv(catalog, "departments", f)
    text = str(err.value)
    assert 'line 2, field "parent": department "A" ends up inside itself: A → C → B → A' in text
    assert 'line 5, field "parent": "Нет" is not in the directory "Departments"' in text
    assert catalog.read("departments").empty


def test_efficiency_panel_scope_must_be_a_known_employee_or_department(catalog, tmp_path, english):
    catalog.upsert("departments", pd.DataFrame([{"name": "Продажи"}]))
    catalog.upsert("employees", pd.DataFrame([{"extension": "101"}]))
    ok = _write(tmp_path / "efficiency_panels.csv",
                "Для;Объект;Минимальный разговор;Направления;План в день\n"
                "отдел;Продажи;30;исходящие;40\nсотрудник;101;15;все;\n")
    import_csv(catalog, "efficiency_panels", ok)
    got = catalog.read("efficiency_panels").set_index("scope")
    assert got.loc["Продажи", "directions"] == "outgoing" and got.loc["101", "directions"] == "incoming,outgoing"
    assert got.loc["Продажи", "daily_target"] == 40
    bad = _write(tmp_path / "panels2.csv", "scope_kind;scope;min_talk_s\nemployee;999;-5\nкто;x;1\n")
    with pytest.raises(InputError) as err:
        import_csv(catalog, "efficiency_panels", bad)
    text = str(err.value)
    assert 'line 2, field "scope": "999" is not in the directory "Employees"' in text
    assert 'line 2, field "min_talk_s": "-5" should be a whole number, zero or more' in text
    assert 'line 3, field "scope_kind": "кто" is not one of: department, employee' in text


def test_partial_files_update_only_their_columns_and_replace_removes_the_rest(catalog, tmp_path):
    catalog.upsert("departments", pd.DataFrame([{"name": "Продажи"}]))
    catalog.upsert("employees", pd.DataFrame([{"extension": "101", "name": "Старое", "department": "Продажи"},
                                              {"extension": "102", "name": "Уйдёт"}]))
    f = _write(tmp_path / "names.csv", "ФИО;Добавочный\nНовое;101\nНовый;103\n")
    assert import_csv(catalog, "employees", f).added == 1
    got = catalog.read("employees").set_index("extension")
    assert got.loc["101", "name"] == "Новое" and got.loc["101", "department"] == "Продажи"
    result = import_csv(catalog, "employees", f, replace=True)
    assert (result.added, result.updated, result.removed) == (0, 2, 1)
    assert sorted(catalog.read("employees").extension) == ["101", "103"]


def test_export_round_trips_and_never_shows_tokens(catalog, tmp_path):
    catalog.upsert("telegram_bots", pd.DataFrame([{"name": "alerts", "token": "123:SECRET", "username": "x_bot"}]))
    catalog.upsert("mailings", pd.DataFrame([{"name": "Утро", "parameters": "period=yesterday",
                                              "schedule": "0 9 * * 1-5", "recipients": "a@b.ru, c@d.ru",
                                              "active": 1}]))
    text = export_text(catalog, "telegram_bots")
    assert "SECRET" not in text and text.startswith("name;token;username\r\n")
    path = tmp_path / "bots.csv"
    assert export_csv(catalog, "telegram_bots", path) == 1
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    import_csv(catalog, "telegram_bots", path)  # the blank token keeps the stored one
    assert catalog.read("telegram_bots").token[0] == "123:SECRET"
    before = catalog.read("mailings")
    export_csv(catalog, "mailings", path)
    import_csv(catalog, "mailings", path, replace=True)
    pd.testing.assert_frame_equal(catalog.read("mailings"), before)


def test_mailing_schedule_recipients_and_monitor_names_are_checked(catalog, tmp_path, english):
    f = _write(tmp_path / "m.csv", "name;schedule;recipients;parameters\nx;every day;a@b.ru;{}\ny;0 9 * * *;нет;[1]\n")
    with pytest.raises(InputError) as err:
        import_csv(catalog, "mailings", f)
    text = str(err.value)
    assert 'line 2, field "schedule": "every day" is not a five-field cron schedule' in text
    assert 'line 3, field "recipients": "нет" is not an e-mail address' in text
    assert 'line 3, field "parameters": "[1]" is not a report\'s filters like period=yesterday' in text
    g = _write(tmp_path / "mon.csv", "name;refresh_s\nЗал продаж;60\n")
    with pytest.raises(InputError, match='field "name": "Зал продаж" may hold only Latin letters'):
        import_csv(catalog, "monitors", g)


def test_unknown_directory_and_missing_file_are_clear_errors(catalog, tmp_path, english):
    with pytest.raises(InputError, match='There is no directory "staff"'):
        import_csv(catalog, "staff", tmp_path / "x.csv")
    with pytest.raises(InputError, match=r"nothing\.csv cannot be read: No such file"):
        import_csv(catalog, "employees", tmp_path / "nothing.csv")


def test_frames_from_code_are_checked_like_files(catalog):
    rows = pd.DataFrame({"extension": [101.0, 102.0, None], "active": [1, None, 0]})
    clean, problems = check_rows(catalog, "employees", rows)
    assert clean.extension.tolist()[:2] == ["101", "102"] and clean.active.tolist()[0] == 1
    assert [(p.line, p.field) for p in problems] == [(3, "extension")]


def test_excel_separator_hint_line_is_honoured_and_counted(catalog, tmp_path, english):
    f = _write(tmp_path / "partners.csv", "sep=,\r\nnumber,name\r\n79161234567,ООО «Ромашка»\r\nx1,Бар\r\n")
    with pytest.raises(InputError, match=r'partners.csv, line 4, field "number": "x1" is not a phone number'):
        import_csv(catalog, "partners", f)
    _write(f, "sep=,\r\nnumber,name\r\n79161234567,ООО «Ромашка»\r\n")
    assert import_csv(catalog, "partners", f).added == 1
    assert catalog.read("partners").name[0] == "ООО «Ромашка»"
