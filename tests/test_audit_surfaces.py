"""The data-quality audit where people read it: the note on every dashboard (without a browser) and
the analysts' notebook run by papermill, both on the simulated company's store."""

from __future__ import annotations

import html

import nbformat
import papermill

from atsnb.calls.audit import Audit
from atsnb.composition import Context
from atsnb.errors import AtsnbError
from atsnb.shipped import notebooks_dir
from atsnb.views.app import ReportApp
from atsnb.views.quality import QualityNote, note_html
from tests.support.demo_store import DEMO_PERIOD
from tests.test_notebooks import outputs
from tests.test_views_app import CHOICES, DEMO_QUERY, fake_report


def test_every_dashboard_carries_the_note_of_its_period(demo, monkeypatch):
    store, settings = demo
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", DEMO_QUERY)
    ctx = Context.from_settings(settings)
    audit = ctx.audit("custom", **DEMO_PERIOD)
    assert audit.calls > 1000 and audit.answered > 0 and audit.cel_rows > audit.cdr_rows
    for name in ctx.reports:
        if name == "records":  # a search over calls, not figures of a period: no note of its own
            continue
        app = ctx.dashboard(name).app
        assert app.quality.widget in app.widget.children  # under the filters, above the figures
        shown = app.quality.html.value
        assert shown == note_html(audit), name
    assert "<details" in shown and html.escape(audit.summary()) in shown
    assert "Звонки, которые ещё идут" in shown  # the full audit, behind the summary


def test_outside_a_kernel_the_note_is_audited_at_once_after_the_figures():
    """In a dashboard's kernel the audit runs in a worker thread (tests/test_audit_browser.py sees
    the note come); anywhere else it is audited as soon as the figures are shown."""
    seen: list[tuple[dict, int]] = []
    app: ReportApp | None = None

    def audit(filters) -> Audit:
        seen.append((dict(filters), len(app.body.children) if app is not None else -1))
        return Audit(cdr_rows=len(seen), calls=1)

    app = ReportApp("dashboard", fake_report, CHOICES, audit=audit)
    app.filters.period.value = "today"
    assert seen[-1] == ({"period": "today", "department": None, "employee": None, "line": None, "direction": None},
                        len(fake_report(period="today").elements))  # the figures were there
    assert f"записей: {len(seen)} →" in app.quality.html.value.replace("\u00a0", " ")


def test_a_failing_audit_leaves_the_figures_and_says_so_in_one_sentence():
    def audit(_filters) -> Audit:
        raise AtsnbError("The store cannot be read.")

    app = ReportApp("dashboard", fake_report, CHOICES, audit=audit)
    assert "Качество данных не проверено: The store cannot be read." in app.quality.html.value
    assert app.report is not None and "Обновлено" in app.status.value


def test_a_result_asked_for_before_the_filters_changed_is_dropped():
    note = QualityNote(lambda _f: Audit(calls=1))
    note.update({"period": "today"})
    shown = note.html.value
    stale = note._asked
    note.update({"period": "yesterday"})
    note._show(stale, Audit(calls=999))
    assert "999" not in note.html.value and note.html.value == shown


def test_the_notebook_prints_the_audit_of_its_parameters(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    store, settings = demo
    executed = tmp_path / "data_quality.ipynb"
    papermill.execute_notebook(str(notebooks_dir() / "data_quality.ipynb"), str(executed),
                               parameters={**DEMO_PERIOD, "store": str(store)}, kernel_name="python3",
                               progress_bar=False, cwd=str(tmp_path))
    notebook = nbformat.read(executed, as_version=4)
    _html, _images, errors = outputs(notebook)
    assert errors == []
    printed = "".join(out.get("text", "") for cell in notebook.cells for out in cell.get("outputs", [])
                      if out.get("output_type") == "stream")
    assert printed.strip() == Context.from_settings(settings).audit("custom", **DEMO_PERIOD).text()
