"""The directories editor, driven through its real widgets (typed cells, clicks, uploads) over a
real store: the import's checks on each cell and on Save, nothing written while a row is bad,
rows added and deleted, undo, paging, secrets kept out, the CSV tools and the fill."""

import base64
from datetime import UTC, datetime
from pathlib import Path

import ipywidgets as widgets
import pandas as pd
import pytest

from atsnb.directory.editor import DirectoryEditor
from atsnb.directory.editor_draft import Draft
from atsnb.directory.editor_table import DirectoryTable
from atsnb.store import Store


@pytest.fixture
def store(store_path, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    store = Store.open(store_path)
    store.catalog.upsert("departments", pd.DataFrame([{"name": "Продажи"}, {"name": "Опт", "parent": "Продажи"}]))
    store.catalog.upsert("employees", pd.DataFrame([
        {"extension": "101", "name": "Иванов", "department": "Продажи", "active": 1, "calls": 12},
        {"extension": "102", "name": "Петрова", "department": "Опт"},
    ]))
    return store


def typed(table: DirectoryTable, row: int, column: str, value) -> None:
    table.cells[(row, column)].control.value = value


def test_cells_are_typed_by_what_the_column_holds(store):
    table = DirectoryEditor(store, "employees").table
    kinds = {name: type(cell.control) for (row, name), cell in table.cells.items() if row == 0}
    assert kinds == {"extension": widgets.Text, "name": widgets.Text, "department": widgets.Combobox,
                     "mobile": widgets.Text, "active": widgets.Checkbox}
    assert list(table.cells[(0, "department")].control.options) == ["Продажи", "Опт"]  # the tree's order
    assert table.cells[(0, "active")].control.value is True
    assert table.cells[(1, "active")].control.value is False
    header, first_row = table.grid.children[0], table.grid.children[1]
    headers = [child.value for child in header.children[:len(table.columns)]]
    assert "<b>calls</b>" in headers and "<b>extension</b> *" in headers  # filled columns shown, read-only
    assert first_row.children[headers.index("<b>calls</b>")].value == "12"


def test_a_bad_cell_shows_the_import_message_on_its_row_and_save_writes_nothing(store):
    table = DirectoryEditor(store, "employees").table
    typed(table, 0, "extension", "10a")
    assert "extension: &quot;10a&quot; is not an extension number (2–6 digits)" in table.row_notes[0].value
    assert "atsnb-dir-bad" in table.cells[(0, "extension")].control._dom_classes
    typed(table, 1, "department", "Склад")  # only the whole check knows the departments
    table.save_button.click()
    assert "Not saved, nothing was changed; problems: 2" in table.message.value
    assert "department: &quot;Склад&quot; is not in the directory &quot;Departments&quot;" in table.row_notes[1].value
    assert store.catalog.read("employees").extension.tolist() == ["101", "102"]
    assert table.draft.rows[0]["extension"] == "10a"  # the bad rows stay in the editor
    typed(table, 0, "extension", "103")
    assert table.row_notes[0].value == "" and "atsnb-dir-bad" not in table.cells[(0, "extension")].control._dom_classes
    typed(table, 1, "department", "Продажи")
    assert table.save()
    stored = store.catalog.read("employees").set_index("extension")
    assert sorted(stored.index) == ["102", "103"]
    assert stored.loc["102", "department"] == "Продажи" and "1 added, 1 updated, 1 removed" in table.message.value


def test_rows_are_added_deleted_and_undone_until_saved(store):
    table = DirectoryEditor(store, "employees").table
    table.add_button.click()
    typed(table, 2, "extension", "104")
    typed(table, 2, "active", True)
    table.delete_row(0)
    assert [r["extension"] for r in table.draft.rows] == ["102", "104"]
    assert store.catalog.read("employees").extension.tolist() == ["101", "102"]  # nothing saved yet
    table.undo_button.click()
    assert [r["extension"] for r in table.draft.rows] == ["101", "102"] and not table.draft.dirty
    table.add_row()
    typed(table, 2, "extension", "104")
    typed(table, 2, "active", True)
    table.delete_row(1)
    assert table.save()
    stored = store.catalog.read("employees").set_index("extension")
    assert sorted(stored.index) == ["101", "104"] and stored.loc["104", "active"] == 1
    assert stored.loc["101", "calls"] == 12  # the columns filled from the records survive a save


def test_an_untouched_empty_flag_stays_empty(store):
    table = DirectoryEditor(store, "employees").table
    typed(table, 1, "name", "Петрова Анна")
    assert table.save()
    assert store.catalog.read("employees").set_index("extension").active.isna()["102"]


def test_long_directories_are_paged_and_only_the_page_has_widgets(store):
    store.catalog.upsert("partners", pd.DataFrame({"number": [f"7916{i:07d}" for i in range(120)],
                                                   "name": [f"Клиент {i}" for i in range(120)]}))
    table = DirectoryTable(store.catalog, "partners", page_size=50)
    assert len(table.cells) == 50 * 2 and "Page 1 of 3 (120 rows)" in table.page_label.value
    table.next_button.click()
    table.next_button.click()
    assert {row for row, _ in table.cells} == set(range(100, 120))
    typed(table, 119, "number", "12a")  # not a phone number: shown on the last page
    table.prev_button.click()
    table.save_button.click()
    assert table.page == 2 and "is not a phone number" in table.row_notes[119].value


def test_switching_directories_builds_each_table_once_and_keeps_its_edits(store):
    editor = DirectoryEditor(store, "employees")
    assert list(editor.tables) == ["employees"]
    assert editor.fill_button.layout.display == ""
    typed(editor.table, 0, "name", "Иванов Иван")
    editor.choice.value = "departments"
    assert list(editor.tables) == ["employees", "departments"] and editor.fill_button.layout.display == "none"
    editor.choice.value = "employees"
    assert editor.table.cells[(0, "name")].control.value == "Иванов Иван" and editor.table.draft.dirty


def test_departments_cannot_end_up_inside_themselves(store):
    table = DirectoryEditor(store, "departments").table
    row = next(i for i, r in enumerate(table.draft.rows) if r["name"] == "Продажи")
    typed(table, row, "parent", "Опт")
    assert not table.save()
    assert "ends up inside itself" in table.row_notes[row].value
    assert store.catalog.read("departments").set_index("name").parent.isna()["Продажи"]


def test_bot_tokens_are_never_shown_exported_or_lost(store):
    store.catalog.upsert("telegram_bots", pd.DataFrame([{"name": "alerts", "token": "123:SECRET"}]))
    editor = DirectoryEditor(store, "telegram_bots")
    assert [c.name for c in editor.table.columns] == ["name", "username"]
    assert "SECRET" not in repr(editor.table.draft.rows)
    payload = editor.download.value.split("base64,")[1].split('"')[0]
    assert base64.b64decode(payload).decode("utf-8") == "\ufeffname;token;username\r\nalerts;;\r\n"
    typed(editor.table, 0, "username", "alerts_bot")
    assert editor.table.save()
    assert store.catalog.read("telegram_bots").token[0] == "123:SECRET"


def test_monitors_pick_indicators_and_participants_from_lists(store):
    editor = DirectoryEditor(store, "monitors")
    editor.table.add_row()
    typed(editor.table, 0, "name", "sales")
    participants = editor.table.cells[(0, "participants")].control
    assert ("Продажи", "Продажи") in participants.options and ("\u00a0\u00a0Опт", "Опт") in participants.options
    assert ("Иванов (101)", "101") in participants.options
    participants.value = ("Продажи", "102")
    indicators = editor.table.cells[(0, "indicators")].control
    indicators.value = ("answered", "missed")
    assert editor.table.save()
    row = store.catalog.read("monitors").iloc[0]
    assert (row["participants"], row["indicators"]) == ("Продажи,102", "answered,missed")


def test_a_mailing_schedule_shows_its_next_runs_and_subscribers_pick_bots_and_lines(store):
    store.catalog.upsert("telegram_bots", pd.DataFrame([{"name": "alerts", "token": "1:X"}]))
    store.catalog.upsert("lines", pd.DataFrame([{"number": "74951112233", "name": "Реклама"}]))
    editor = DirectoryEditor(store, "mailings", tz="Europe/Moscow")
    editor.table.add_row()
    schedule = editor.table.cells[(0, "schedule")]
    schedule.control.value = "0 9 * * 1-5"
    assert schedule.note.value.count("09:00") == 3
    schedule.control.value = "every morning"
    assert schedule.note.value == "" and "is not" in editor.table.row_notes[0].value
    assert ("dashboard") in [v for _, v in editor.table.cells[(0, "report")].control.options]
    editor.choice.value = "telegram_subscribers"
    editor.table.add_row()
    assert [v for _, v in editor.table.cells[(0, "bot")].control.options] == ["", "alerts"]
    assert editor.table.cells[(0, "lines")].control.options == (("Реклама (74951112233)", "74951112233"),)


def test_uploading_a_file_imports_it_and_fill_reads_the_records(store):
    editor = DirectoryEditor(store, "employees")
    upload = ({"name": "staff.csv", "type": "text/csv", "size": 0, "last_modified": datetime.now(UTC),
               "content": memoryview("Добавочный;ФИО\n101;Иванов Иван\n".encode("cp1251"))},)
    editor.upload.value = upload
    assert store.catalog.read("employees").set_index("extension").name["101"] == "Иванов Иван"
    assert editor.upload.value == ()
    assert editor.table.cells[(0, "name")].control.value == "Иванов Иван"
    editor.upload.value = ({**upload[0], "content": memoryview(b"extension\n10a\n")},)
    assert 'staff.csv, line 2, field &quot;extension&quot;' in editor.table.message.value
    cdr = pd.DataFrame({"_key": ["a"], "calldate": [pd.Timestamp("2025-03-01 10:00")],
                        "channel": ["PJSIP/101-00000001"], "dstchannel": ["PJSIP/105-00000002"],
                        "did": [""], "cnum": ["101"], "outbound_cnum": [""], "linkedid": ["1"], "uniqueid": ["1"]})
    with store.writing():
        store.table("cdr").upsert(cdr)
    editor.fill_button.click()
    assert "2 found in the records, 1 added, 1 updated" in editor.table.message.value
    assert [r["extension"] for r in editor.table.draft.rows] == ["101", "102", "105"]


def test_the_draft_saves_through_the_import_checks(store):
    draft = Draft(store.catalog, "departments")
    draft.add({"name": "Продажи"})  # a duplicate key, as a CSV file with two such lines
    assert draft.save() is None
    assert [(p.field, p.message) for p in draft.problems[2]] == [("name", "\"Продажи\" is already on line 2")]
    assert draft.rows[2] == {"name": "Продажи", "parent": None}  # the bad row stays in the draft
    assert len(store.catalog.read("departments")) == 2


@pytest.mark.slow
def test_the_dashboard_page_runs_and_shows_the_editor(store, store_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("ATSNB_STORE", str(store_path))
    notebook = nbformat.read(Path(__file__).resolve().parents[1] / "dashboards" / "directories.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[-1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
