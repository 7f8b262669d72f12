"""Each report notebook executed by papermill on the simulated store: no error, and every table and
KPI it displays is exactly what the report function gives for the same parameters."""

from __future__ import annotations

import nbformat
import papermill
import pytest

from atsnb import reports
from atsnb.shipped import notebooks_dir
from atsnb.views.static import CHART_KINDS, element_html
from tests.support.demo_store import DEMO_PERIOD

NOTEBOOKS = notebooks_dir()


def outputs(notebook: nbformat.NotebookNode) -> tuple[str, int, list[str]]:
    """All HTML shown, the number of images, and any error names."""
    html, images, errors = [], 0, []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(out["ename"])
            data = out.get("data", {})
            html.append(data.get("text/html", ""))
            images += "image/png" in data
    return "".join(html), images, errors


@pytest.mark.parametrize(("name", "filters"), [
    ("dashboard", {}),
    ("employees", {"scale": "week"}),
    ("departments", {"department": "Отдел продаж"}),
    ("lines", {"direction": "incoming"}),
    ("recovery", {}),
    ("recovery", {"department": "Техническая поддержка", "line": "74957654321"}),
    ("ratings", {"scale": "week", "department": "Отдел продаж"}),
    ("callbacks", {"employee": "201"}),
])
def test_notebook_shows_the_report_functions_figures(name, filters, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    store, settings = demo
    parameters = {**DEMO_PERIOD, **filters, "store": str(store)}
    executed = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(executed), parameters=parameters,
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    html, images, errors = outputs(nbformat.read(executed, as_version=4))
    assert errors == []
    report = reports.REPORTS[name].build(**parameters | {"store": store}, settings=settings)
    assert images == sum(e.kind in CHART_KINDS for e in report.elements)
    for element in report.elements:
        if element.kind not in CHART_KINDS:
            assert element_html(element) in html, element.key


@pytest.mark.parametrize(("name", "parameters", "message"), [
    ("dashboard", {}, "нет хранилища atsnb"),  # no store given, and none where the settings point
    ("departments", {"department": "Продажи"}, "Отдела «Продажи» нет в справочнике отделов. Есть: Администрация"),
])
def test_a_notebook_fails_loudly_rather_than_showing_zeros(name, parameters, message, demo, tmp_path, monkeypatch):
    """Run by papermill on a schedule, a notebook pointed at nothing must fail with a sentence that
    says what is wrong — not create an empty store at the default path and report zeros, nor show
    the whole company for a department that does not exist."""
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    default = tmp_path / "default-store"
    monkeypatch.setenv("ATSNB_STORE", str(default))
    store, _ = demo
    given = parameters | ({"store": str(store)} if parameters else {})
    with pytest.raises(papermill.PapermillExecutionError) as failed:
        papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(tmp_path / "out.ipynb"),
                                   parameters={**DEMO_PERIOD, **given}, kernel_name="python3", progress_bar=False,
                                   cwd=str(tmp_path))
    assert message in failed.value.evalue
    assert not default.exists()  # no new, empty store
