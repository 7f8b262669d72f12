"""The one-call notebook and the records notebook executed by papermill on the simulated store:
the call opened by its id and by a number and a time shows its card, route map, steps and raw rows;
the records notebook shows the report function's table."""

from __future__ import annotations

import nbformat
import pandas as pd
import papermill
import pytest

from atsnb.calls import load_calls
from atsnb.i18n import t
from atsnb.reports import REPORTS
from atsnb.shipped import notebooks_dir
from atsnb.store import Store
from atsnb.views.static import element_html
from tests.support.demo_store import DEMO_PERIOD
from tests.test_notebooks import outputs


@pytest.fixture(scope="module")
def transferred(demo) -> pd.Series:
    path, settings = demo
    calls = load_calls("2025-03-03", "2025-03-17", store=Store.open(path), settings=settings)
    chosen = calls[(calls["direction"] == "incoming") & (calls["transfers"] > 0)]
    return chosen.iloc[0]


def run(name: str, parameters: dict, tmp_path) -> tuple[str, int, list[str]]:
    executed = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(str(notebooks_dir() / f"{name}.ipynb"), str(executed), parameters=parameters,
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    return outputs(nbformat.read(executed, as_version=4))


@pytest.mark.parametrize("by", ["call_id", "number"])
def test_the_call_notebook_shows_the_call_by_id_and_by_number_and_time(by, transferred, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    store, _ = demo
    if by == "call_id":
        parameters = {"call_id": transferred["call_id"]}
    else:  # a person's spelling of the number and a time a quarter of an hour off
        number = transferred["external_number"]
        parameters = {"number": f"8 ({number[1:4]}) {number[4:7]}-{number[7:]}",
                      "around": (transferred["start"] + pd.Timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")}
    html, images, errors = run("call", {**parameters, "store": str(store)}, tmp_path)
    assert errors == []
    assert images == 1  # the route map
    assert t("rec_call_title", call_id=transferred["call_id"]) in html
    for title in (t("rec_steps"), "Записи CDR (", "События CEL (", "Строки queue_log ("):
        assert title in html
    assert "Перевод" in html and transferred["external_number"] in html


def test_the_call_notebook_names_a_call_that_is_not_there(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    store, _ = demo
    with pytest.raises(papermill.PapermillExecutionError) as failed:
        run("call", {"call_id": "1700000000.1", "store": str(store)}, tmp_path)
    assert "Звонка 1700000000.1 в хранилище нет" in failed.value.evalue


def test_the_records_notebook_shows_the_report_functions_table(transferred, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    store, settings = demo
    parameters = {**DEMO_PERIOD, "number": transferred["external_number"][-6:], "status": "answered",
                  "store": str(store)}
    html, _images, errors = run("records", parameters, tmp_path)
    assert errors == []
    report = REPORTS["records"].build(**parameters | {"store": store}, settings=settings)
    assert len(report["calls"].data) >= 1
    assert element_html(report["calls"]) in html
