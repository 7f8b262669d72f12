"""The browser editor of directories, driven through its real widgets (clicks, text, uploads)."""

import base64
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from atsnb.directory.editor import DirectoryEditor
from atsnb.store import Store


@pytest.fixture
def store(store_path, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    return Store.open(store_path)


def test_saving_the_text_writes_the_directory_and_errors_change_nothing(store):
    editor = DirectoryEditor(store, "departments")
    assert editor.text.value == "name;parent\n" and "Rows: 0." in editor.message.value
    editor.text.value = "name;parent\nПродажи;\nОпт;Продажи\n"
    editor.save_button.click()
    assert sorted(store.catalog.read("departments").name) == ["Опт", "Продажи"]
    assert "2 added" in editor.message.value
    editor.text.value = "name;parent\nПродажи;Опт\nОпт;Продажи\n"
    editor.save_button.click()
    assert "line 2, field &quot;parent&quot;: department &quot;Продажи&quot; ends up inside itself" in editor.message.value
    assert store.catalog.read("departments").set_index("name").parent.isna()["Продажи"]
    editor.reload_button.click()
    assert editor.text.value == "name;parent\nОпт;Продажи\nПродажи;\n"


def test_switching_directories_shows_fill_only_where_it_applies_and_offers_a_download(store):
    store.catalog.upsert("telegram_bots", pd.DataFrame([{"name": "alerts", "token": "123:SECRET"}]))
    editor = DirectoryEditor(store, "employees")
    assert editor.fill_button.layout.display == ""
    editor.choice.value = "telegram_bots"
    assert editor.fill_button.layout.display == "none"
    assert "SECRET" not in editor.text.value
    payload = editor.download.value.split("base64,")[1].split('"')[0]
    assert base64.b64decode(payload).decode("utf-8") == "\ufeffname;token;username\r\nalerts;;\r\n"
    editor.text.value = "name;token;username\nalerts;;alerts_bot\n"
    assert editor.save()
    assert store.catalog.read("telegram_bots").token[0] == "123:SECRET"


def test_uploading_a_file_imports_it_and_fill_reads_the_records(store):
    editor = DirectoryEditor(store, "employees")
    upload = ({"name": "staff.csv", "type": "text/csv", "size": 0, "last_modified": datetime.now(UTC),
               "content": memoryview("Добавочный;ФИО\n101;Иванов\n".encode("cp1251"))},)
    editor.upload.value = upload
    assert store.catalog.read("employees").name.tolist() == ["Иванов"]
    assert editor.upload.value == ()
    assert "101;Иванов" in editor.text.value
    cdr = pd.DataFrame({"_key": ["a"], "calldate": [pd.Timestamp("2025-03-01 10:00")],
                        "channel": ["PJSIP/101-00000001"], "dstchannel": ["PJSIP/102-00000002"],
                        "did": [""], "cnum": ["101"], "outbound_cnum": [""], "linkedid": ["1"], "uniqueid": ["1"]})
    with store.writing():
        store.table("cdr").upsert(cdr)
    editor.fill_button.click()
    assert "2 found in the records, 1 added, 1 updated" in editor.message.value
    assert sorted(store.catalog.read("employees").extension) == ["101", "102"]
    assert "102;" in editor.text.value


@pytest.mark.slow
def test_the_dashboard_page_runs_and_shows_the_editor(store, store_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("ATSNB_STORE", str(store_path))
    store.catalog.upsert("departments", pd.DataFrame([{"name": "Продажи"}]))
    notebook = nbformat.read(Path(__file__).resolve().parents[1] / "dashboards" / "directories.ipynb", as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    outputs = notebook.cells[-1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
