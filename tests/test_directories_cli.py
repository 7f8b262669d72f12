"""``atsnb directory`` end to end: the real command line against a real store."""

import pandas as pd
import pytest

from atsnb.cli import main
from atsnb.store import Store


@pytest.fixture
def store(store_path, monkeypatch):
    monkeypatch.setenv("ATSNB_STORE", str(store_path))
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    return Store.open(store_path)


def test_import_show_export_round_trip(store, tmp_path, capsys):
    src = tmp_path / "departments.csv"
    src.write_text("Отдел;Родитель\nПродажи;\nОпт;Продажи\n", encoding="utf-8")
    assert main(["directory", "import", "departments", str(src)]) == 0
    assert '"Departments": 2 added, 0 updated, 0 removed.' in capsys.readouterr().out
    assert main(["directory", "show", "departments"]) == 0
    assert "Опт" in capsys.readouterr().out
    out = tmp_path / "out.csv"
    assert main(["directory", "export", "departments", str(out)]) == 0
    assert out.read_bytes().decode("utf-8-sig") == "name;parent\r\nОпт;Продажи\r\nПродажи;\r\n"
    assert main(["directory", "export", "departments"]) == 0
    assert capsys.readouterr().out.endswith("name;parent\nОпт;Продажи\nПродажи;\n")


def test_a_bad_file_exits_with_every_problem_and_changes_nothing(store, tmp_path, capsys):
    src = tmp_path / "employees.csv"
    src.write_text("extension;name\n10a;A\n1;B\n", encoding="utf-8")
    assert main(["directory", "import", "employees", str(src)]) == 2
    err = capsys.readouterr().err
    assert 'employees.csv, line 2, field "extension": "10a" is not an extension number' in err
    assert 'employees.csv, line 3, field "extension": "1" is not an extension number' in err
    assert store.catalog.read("employees").empty


def test_show_masks_tokens_and_list_counts_rows(store, capsys):
    store.catalog.upsert("telegram_bots", pd.DataFrame([{"name": "alerts", "token": "123:SECRET"}]))
    assert main(["directory", "show", "telegram_bots"]) == 0
    out = capsys.readouterr().out
    assert "SECRET" not in out and "********" in out
    assert main(["directory", "list"]) == 0
    assert any(line.split()[:2] == ["telegram_bots", "1"] for line in capsys.readouterr().out.splitlines())


def test_fill_needs_records_and_then_lists_what_it_added(store, capsys):
    assert main(["directory", "fill-employees"]) == 2
    assert "no call records" in capsys.readouterr().err
    cdr = pd.DataFrame({"_key": ["a"], "calldate": [pd.Timestamp("2025-03-01 10:00")],
                        "channel": ["PJSIP/101-00000001"], "dstchannel": ["PJSIP/102-00000002"],
                        "did": [""], "cnum": ["101"], "outbound_cnum": [""], "linkedid": ["1.1"],
                        "uniqueid": ["1.1"]})
    with store.writing():
        store.table("cdr").upsert(cdr)
    assert main(["directory", "fill-employees"]) == 0
    out = capsys.readouterr().out
    assert '"Employees": 2 found in the records, 2 added, 0 updated.' in out
    assert "  + 101" in out and "  + 102" in out


def test_check_reports_rows_written_without_validation(store, capsys):
    store.catalog.upsert("departments", pd.DataFrame([{"name": "A", "parent": "B"}, {"name": "B", "parent": "A"}]))
    store.catalog.upsert("employees", pd.DataFrame([{"extension": "101", "department": "A"}]))
    assert main(["directory", "check", "employees"]) == 0
    assert "Checked; problems: 0." in capsys.readouterr().out
    assert main(["directory", "check"]) == 1
    out = capsys.readouterr().out
    assert 'departments, line 1, field "parent": department "A" ends up inside itself: A → B → A' in out
    assert "Checked; problems: 2." in out
