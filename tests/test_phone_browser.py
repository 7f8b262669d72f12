"""The dashboards and the wall-board on a phone (390×844, touch): the filter bar folds into one row
with a "Фильтры" toggle that opens and closes it in the browser alone, every control of the bar and
of the tables is at least 44 px each way, nothing scrolls sideways, and the page head makes it an
app on the home screen (manifest, theme colour, Apple touch icon) while loading nothing from
anywhere but the server.  At 1366 px the bar stays open, without the toggle."""

from __future__ import annotations

import pytest

from atsnb.views.home_page import THEME_COLOUR
from tests import test_dashboards_browser as dashboards
from tests.test_dashboards_browser import SCREENSHOTS, VIEWPORTS

# the dashboards' fixtures: `atsnb serve` over the demo store, a page opened in it (Chromium: conftest)
served, visit = dashboards.served, dashboards.visit
pytestmark = pytest.mark.browser
PHONE = VIEWPORTS["phone"]["viewport"]["width"]

CONTROLS = """() => [...document.querySelectorAll(
    '.atsnb-filters select, .atsnb-filters input:not(.atsnb-filters-switch), .atsnb-filters label.atsnb-filters-button,'
    + '.atsnb-controls select, .atsnb-controls button')]
  .filter(node => node.offsetParent !== null)
  .map(node => { const box = node.getBoundingClientRect();
                 return [node.className || node.tagName, Math.round(box.width), Math.round(box.height)]; })"""


def sideways(page) -> list[int]:
    return page.evaluate("[document.documentElement.scrollWidth, document.querySelector('#rendered_cells').scrollWidth]")


def head_and_requests(page) -> tuple[dict[str, str], list[str]]:
    head = page.evaluate("""() => ({
        manifest: document.querySelector('link[rel=manifest]')?.getAttribute('href'),
        theme: document.querySelector('meta[name=theme-color]')?.content,
        touch: document.querySelector('link[rel=apple-touch-icon]')?.getAttribute('href')})""")
    loaded = page.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")
    return head, loaded


@pytest.mark.parametrize("name", ["employees", "records", "dashboard"])  # the pool of kernels settles first
def test_on_a_phone_the_filters_fold_into_one_row_and_every_control_takes_a_finger(visit, served, name):
    page = visit(name, "phone")
    screen = page.page
    bar, pickers = screen.locator(".atsnb-filters"), screen.locator(".atsnb-filters select")
    toggle = screen.locator("label.atsnb-filters-button")
    assert toggle.is_visible() and toggle.inner_text().startswith("Фильтры")
    assert pickers.count() >= 2 and not pickers.first.is_visible()
    assert bar.bounding_box()["height"] <= 56, "the folded bar is more than one row"
    assert screen.locator(".atsnb-filters-chosen").inner_text().startswith("Произвольный период") or \
        screen.locator(".atsnb-filters-chosen").inner_text().startswith("03.03.2025 – 16.03.2025")
    folded = [c for c in screen.evaluate(CONTROLS) if min(c[1], c[2]) < 44]
    assert folded == [], folded
    screen.screenshot(path=str(SCREENSHOTS / f"{name}-phone-filters-folded.png"))

    toggle.click()
    assert all(pickers.nth(n).is_visible() for n in range(pickers.count()))
    small = [c for c in screen.evaluate(CONTROLS) if min(c[1], c[2]) < 44]
    assert small == [], small
    assert max(sideways(screen)) <= PHONE, "the page scrolls sideways"
    screen.screenshot(path=str(SCREENSHOTS / f"{name}-phone-filters-open.png"))
    if name == "dashboard":  # a filter chosen on the open bar still recomputes, the summary follows
        pickers.first.select_option(label="Вчера")
        screen.wait_for_function("() => document.querySelector('.atsnb-filters-chosen').innerText === 'Вчера'",
                                 timeout=120_000)
    toggle.click()
    assert not pickers.first.is_visible()
    assert max(sideways(screen)) <= PHONE

    head, loaded = head_and_requests(screen)
    assert head == {"manifest": "/atsnb/manifest.webmanifest", "theme": THEME_COLOUR,
                    "touch": "/atsnb/icons/icon-180.png"}
    base = served[0]
    outside = [url for url in loaded if not url.startswith(base) and not url.startswith(("data:", "blob:"))]
    assert loaded and outside == [], outside
    assert page.problems() == []


def test_at_desktop_width_the_bar_stays_open_without_the_toggle(visit):
    page = visit("dashboard", "desktop")
    assert not page.page.locator("label.atsnb-filters-button").is_visible()
    assert page.page.locator(".atsnb-filters select").first.is_visible()
    assert page.problems() == []


def test_the_wall_board_fits_a_phone(browser, served):
    base, token, _pid = served
    context = browser.new_context(locale="ru-RU", **VIEWPORTS["phone"])
    try:
        page = context.new_page()
        page.goto(f"{base}monitor/sales?token={token}")
        page.wait_for_function("Number(document.body.dataset.refreshes || 0) >= 1", timeout=120_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
        assert page.locator("#grid tbody tr").count() >= 3
        font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#grid td')).fontSize)")
        assert font >= 10, f"unreadable on a phone: {font}px"
        page.screenshot(path=str(SCREENSHOTS / "monitor-phone.png"))
    finally:
        context.close()
