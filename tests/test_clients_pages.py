"""The Clients, Red phone and New clients pages: their notebooks run by papermill with changed
parameters show exactly the report functions' figures, and their dashboards render in Chromium at
desktop and phone width, every call row linking to its call and a recorded call playable."""

from __future__ import annotations

import re

import nbformat
import papermill
import pytest

from atsnb import reports
from atsnb.shipped import notebooks_dir
from atsnb.views.static import CHART_KINDS, element_html
from tests.support.demo_store import DEMO_PERIOD
from tests.test_dashboards_browser import SCREENSHOTS, VIEWPORTS, served, visit  # noqa: F401 (fixtures)
from tests.test_notebooks import outputs

NEW_PAGES = ("clients", "red_phone", "new_clients")


@pytest.mark.parametrize(("name", "filters"), [
    ("clients", {"direction": "incoming"}),
    ("red_phone", {"line": "78005553535"}),
    ("new_clients", {"scale": "week", "start": "2025-03-05"}),
])
def test_notebook_shows_the_report_functions_figures(name, filters, demo, tmp_path, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")
    store, settings = demo
    parameters = {**DEMO_PERIOD, **filters, "store": str(store)}
    executed = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(str(notebooks_dir() / f"{name}.ipynb"), str(executed), parameters=parameters,
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    html, images, errors = outputs(nbformat.read(executed, as_version=4))
    assert errors == []
    report = reports.REPORTS[name].build(**parameters | {"store": store}, settings=settings)
    assert images == sum(e.kind in CHART_KINDS for e in report.elements)
    for element in report.elements:
        if element.kind not in CHART_KINDS:
            assert element_html(element) in html, element.key
    assert "records.ipynb?call=" in html or name == "new_clients"  # call rows link to their calls


@pytest.mark.browser
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name", NEW_PAGES)
def test_the_page_renders_and_its_call_rows_link_to_their_calls(visit, name, viewport):  # noqa: F811
    page = visit(name, viewport)
    assert page.problems() == []
    assert page.page.locator("table.atsnb-table").count() >= 1
    assert page.page.locator("svg.svg-figure").count() >= (name != "red_phone")
    if name != "new_clients":
        link = page.page.locator("a.atsnb-call-link").first
        assert re.fullmatch(r"records\.ipynb\?call=[\d.]+", link.get_attribute("href"))
    page.screenshot(SCREENSHOTS / f"{name}-{viewport}.png")
    width = VIEWPORTS[viewport]["viewport"]["width"]
    assert page.page.evaluate("document.querySelector('#rendered_cells').scrollWidth") <= width


@pytest.mark.browser
def test_a_red_phone_call_is_played_from_the_table(visit):  # noqa: F811
    """One player for the call chosen under the table, never an audio control per row; the player
    fetches the call's recording from the dashboards server."""
    page = visit("red_phone", "phone")
    assert page.page.locator("audio").count() == 0
    picker = page.page.locator(".atsnb-recording-picker select")
    options = picker.locator("option")
    assert options.count() > 10
    label = options.nth(1).get_attribute("value")  # the widget's option label: "03.03 09:03 · 79912896756 · …"
    number = label.split("·")[1].strip()  # the row's number, after its time
    picker.select_option(index=1)
    audio = page.page.locator(".atsnb-recording-picker audio")
    audio.wait_for(timeout=30_000)
    src = audio.get_attribute("src")
    assert re.fullmatch(r"/atsnb/recordings/[\d.]+", src)
    rows = page.page.locator(f"table.atsnb-table[data-key='calls'] tr:has(td:text-is('{number}')) a.atsnb-call-link")
    assert any(href.endswith(f"call={src.rsplit('/', 1)[1]}") for href in
               (rows.nth(i).get_attribute("href") for i in range(rows.count())))
    status = page.page.evaluate("src => fetch(src, {headers: {Range: 'bytes=0-99'}}).then(r => r.status)", src)
    assert status in (200, 206), label
    assert page.problems() == []
    page.screenshot(SCREENSHOTS / "red_phone-player-phone.png")
