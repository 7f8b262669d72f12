"""The report registry and the notebooks stay in step: every report has its notebook and its
dashboard, every notebook and dashboard names a report (or a page that is not one), the notebooks
take the filters the entry declares, reports never import each other, and every report returns the
elements its entry declares."""

from __future__ import annotations

import ast
import json

import pytest

from atsnb.reports import REPORTS
from atsnb.serve import PAGES
from atsnb.shipped import dashboards_dir, notebooks_dir
from tests.support.demo_store import DEMO_PERIOD


def stems(folder) -> set[str]:
    return {p.stem for p in folder.glob("*.ipynb")}


def cells(path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def code(path) -> str:
    return "\n".join("".join(c["source"]) for c in cells(path) if c["cell_type"] == "code")


def test_every_report_has_a_notebook_and_a_dashboard_and_nothing_else_is_there():
    # besides the reports, the data-quality audit's notebook (tests/test_audit_surfaces.py runs it)
    # and the one-call notebook (tests/test_records_notebooks.py runs it)
    assert stems(notebooks_dir()) == set(REPORTS) | {"data_quality", "call"}
    assert stems(dashboards_dir()) == set(REPORTS) | set(PAGES)


@pytest.mark.parametrize("name", list(REPORTS))
def test_the_notebooks_of_a_report_name_it_and_take_its_filters(name):
    assert f'ctx.report(\n    "{name}",' in code(notebooks_dir() / f"{name}.ipynb")
    assert f'.dashboard("{name}")' in code(dashboards_dir() / f"{name}.ipynb")
    parameters = next(c for c in cells(notebooks_dir() / f"{name}.ipynb") if "parameters" in c["metadata"].get("tags", []))
    assigned = {t.id for node in ast.parse("".join(parameters["source"])).body if isinstance(node, ast.Assign)
                for t in node.targets}
    assert assigned == {*REPORTS[name].filters, "store"}


def test_no_report_module_imports_another():
    modules = {spec.build.__module__ for spec in REPORTS.values()}
    for module in modules:
        source = (notebooks_dir().parent / "atsnb" / "reports" / f"{module.rsplit('.', 1)[1]}.py")
        if not source.exists():  # an installed wheel: the modules sit in the package
            source = notebooks_dir().parent / "reports" / f"{module.rsplit('.', 1)[1]}.py"
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not (imported & (modules - {module})), module


def test_an_unknown_report_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="no report named 'sales'.*dashboard, employees"):
        REPORTS["sales"]


@pytest.mark.parametrize("name", list(REPORTS))
def test_a_report_returns_the_elements_its_entry_declares(name, demo):
    store, settings = demo
    report = REPORTS[name].build(**DEMO_PERIOD, store=store, settings=settings)
    assert report.name == name
    assert tuple((e.key, e.kind) for e in report.elements) == REPORTS[name].elements


@pytest.mark.parametrize("name", list(REPORTS))
def test_a_report_function_takes_every_filter_its_entry_declares(name):
    import inspect

    parameters = inspect.signature(REPORTS[name].build).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    assert takes_any or set(REPORTS[name].filters) <= set(parameters)
    assert {"store", "settings"} <= set(parameters) or takes_any
