"""The records page in a real browser (``atsnb serve`` and Chromium, as tests/test_dashboards_browser.py
drives them): a part of a number typed the way a person writes it finds the call, its row opens the
call in the same page with a route map whose lanes are the call's parties, ``?call=`` opens a call
directly, and nothing scrolls sideways at 390 px."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb.calls import load_calls
from atsnb.store import Store
from tests import test_dashboards_browser as dashboards
from tests.support.demo_store import demo_store
from tests.test_dashboards_browser import PERIOD_QUERY, SCREENSHOTS, VIEWPORTS

# the dashboards' fixtures: `atsnb serve` over the demo store, a page opened in it (Chromium: conftest)
served, visit = dashboards.served, dashboards.visit
pytestmark = pytest.mark.browser
WAIT_MS = 120_000


@pytest.fixture(scope="module")
def transferred(tmp_path_factory) -> pd.Series:
    path, settings = demo_store(tmp_path_factory)
    calls = load_calls("2025-03-03", "2025-03-17", store=Store.open(path), settings=settings)
    chosen = calls[(calls["direction"] == "incoming") & (calls["transfers"] > 0) & (calls["talk_s"] > 0)]
    return chosen.iloc[len(chosen) // 3]


def lanes(page) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('.atsnb-route-lane .atsnb-route-name')]"
                         ".map(n => n.innerText.trim())")


def steps_targets(page) -> set[str]:
    return set(page.evaluate("""() => [...document.querySelectorAll(
        "table.atsnb-table[data-key='steps'] tbody tr")].map(tr => tr.children[4].innerText.trim())"""))


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_partial_number_finds_the_call_and_its_row_opens_the_route_map(visit, transferred, viewport):
    page = visit("records", viewport)
    number = transferred["external_number"]
    typed = f"8 {number[1:4]} {number[4:7]}"  # the start of the number, as a person writes it
    field = page.page.locator(".atsnb-search-number input")
    field.fill(typed)
    field.press("Enter")
    rows = page.page.locator("table.atsnb-table[data-key='calls'] tbody tr")
    page.page.wait_for_function(
        """digits => [...document.querySelectorAll("table.atsnb-table[data-key='calls'] tbody tr")]
             .every(tr => tr.innerText.replace(/\\D/g, '').includes(digits))""",
        arg=number[1:7], timeout=WAIT_MS)
    assert rows.count() >= 1
    start = transferred["start"].strftime("%d.%m.%Y %H:%M:%S")
    row = rows.filter(has_text=start)
    assert row.count() == 1, start
    page.screenshot(SCREENSHOTS / f"records-search-{viewport}.png")
    row.locator("a.atsnb-call-link").click()
    page.page.locator(".atsnb-route-map").wait_for(timeout=WAIT_MS)
    assert page.page.locator("table.atsnb-table[data-key='calls']").is_hidden()  # the same page, the list put away
    shown = lanes(page.page)
    assert shown[0] == f"Клиент {number}" and any(lane.startswith("Линия ") for lane in shown)
    # every phone the route rang has its lane, by the name the steps table gives it
    assert {t for t in steps_targets(page.page) if t and not t[0].isdigit() and "(" in t} <= set(shown)
    assert page.page.locator(".atsnb-route-mark", has_text="↪").count() == transferred["transfers"]
    page.page.locator(".atsnb-raw-toggle").click()
    page.page.locator(".atsnb-raw table.atsnb-table[data-key='cdr']").wait_for(timeout=WAIT_MS)
    page.screenshot(SCREENSHOTS / f"records-call-{viewport}.png")
    width = VIEWPORTS[viewport]["viewport"]["width"]
    assert page.page.evaluate("document.querySelector('#rendered_cells').scrollWidth") <= width
    page.page.locator(".atsnb-call-back").click()
    rows.first.wait_for(timeout=WAIT_MS)
    assert page.problems() == []


def test_an_address_with_a_call_opens_it_directly(visit, transferred):
    page = visit("records", "phone", f"{PERIOD_QUERY}&call={transferred['call_id']}")
    page.page.locator(".atsnb-route-map").wait_for(timeout=WAIT_MS)
    assert transferred["call_id"] in page.page.locator(".atsnb-call-view h3").inner_text()
    assert lanes(page.page)[0] == f"Клиент {transferred['external_number']}"
    assert page.problems() == []


def test_the_employees_detail_table_links_each_call_to_the_records_page(visit):
    page = visit("employees")
    link = page.page.locator("table.atsnb-table[data-key='detail'] a.atsnb-call-link").first
    assert link.get_attribute("href").startswith("records.ipynb?call=")
    assert page.problems() == []
