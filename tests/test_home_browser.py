"""The home page (``/``) in the real dashboards server and Debian's Chromium, at 1366×900 and at
390×844: behind the login, today's figures the same as the dashboards', a tile per report, the
wall-boards, the pages of the visitor's role, nothing loaded from anywhere but the server, nothing
scrolling sideways on a phone, every link a finger can hit; the manifest and icons that make it an
app on a phone's home screen."""

from __future__ import annotations

import io
from collections.abc import Iterator

import httpx
import pandas as pd
import pytest
from PIL import Image

from atsnb.composition import Context
from atsnb.config import Settings
from atsnb.flow import store_simulation
from atsnb.reports import REPORTS
from atsnb.serve import Server, start_dashboards
from atsnb.simulate import simulate
from atsnb.store import Store
from atsnb.views.format import number, percent
from tests.test_dashboards_browser import SCREENSHOTS, VIEWPORTS
from tests.test_monitor_browser import office_zone

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def settings(tmp_path_factory) -> Settings:
    """A company that has been calling today: two days up to now, in a zone where it is office hours."""
    settings = Settings()
    settings.store.path = str(tmp_path_factory.mktemp("home") / "store")
    settings.pbx.timezone = office_zone()
    store_simulation(simulate(days=2, seed=11, employees=12, tz=settings.pbx.timezone), Store.open(settings.store.path),
                     settings, progress=False)
    return settings


@pytest.fixture(scope="module")
def server(settings) -> Iterator[Server]:
    running = start_dashboards(settings, preheat=False)
    try:
        yield running
    finally:
        running.stop()


def get(server: Server, path: str, role: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"token {server.tokens[role]}"} if role else {}
    return httpx.get(server.url + path, headers=headers, follow_redirects=False, timeout=120)


def test_the_home_page_needs_the_login_and_replaces_voilas_file_list(server):
    answer = get(server, "")
    assert answer.status_code == 302 and answer.headers["location"] == "/login?next=%2F"
    assert get(server, "?token=wrong").status_code == 302
    assert get(server, "voila/tree/").status_code == 403
    tree = get(server, "voila/tree/", "viewer")
    assert tree.status_code == 301 and tree.headers["location"] == "/"
    home = get(server, "", "viewer")
    assert home.status_code == 200 and "Аналитика звонков" in home.text and "fontawesome" not in home.text
    assert "cdn" not in home.text.lower() and "https://" not in home.text and "http://" not in home.text


def test_what_the_page_offers_follows_the_role(server):
    pages = {role: get(server, "", role).text for role in ("viewer", "editor", "admin")}
    assert "directories.ipynb" not in pages["viewer"] and "settings.ipynb" not in pages["viewer"]
    assert "directories.ipynb" in pages["editor"] and "settings.ipynb" not in pages["editor"]
    assert "directories.ipynb" in pages["admin"] and "settings.ipynb" in pages["admin"]
    for text in pages.values():
        assert all(f"/voila/render/{name}.ipynb" in text for name in REPORTS)
        assert 'href="/monitor/sales"' in text


def test_the_manifest_and_icons_are_served_without_a_login(server):
    found = get(server, "atsnb/manifest.webmanifest")
    assert found.status_code == 200 and found.headers["content-type"].startswith("application/manifest+json")
    manifest = found.json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        answer = get(server, icon["src"].lstrip("/"))
        assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
        image = Image.open(io.BytesIO(answer.content))
        assert f"{image.size[0]}x{image.size[1]}" == icon["sizes"]
    assert get(server, "atsnb/icons/icon-180.png").status_code == 200  # the Apple touch icon
    missing = get(server, "atsnb/icons/icon-77.png")
    assert missing.status_code == 404 and "180" in missing.text


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_home_page_on_a_desktop_and_a_phone(server, settings, browser, viewport):
    context = browser.new_context(locale="ru-RU", **VIEWPORTS[viewport])
    page = context.new_page()
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    try:
        page.goto(f"{server.url}?token={server.tokens['admin']}")
        page.wait_for_selector(".figures")
        page.wait_for_load_state("networkidle")
        ctx = Context.from_settings(settings)
        now = ctx.now()
        kpis = REPORTS["dashboard"].build(period="today", store=ctx.store, settings=settings, now=now)["kpis"]
        recovery = REPORTS["recovery"].build(period="today", store=ctx.store, settings=settings, now=now)["kpis"]
        sl = kpis.data.columns[7]
        assert sl.startswith("Уровень сервиса")
        shown = {key: page.locator(f"[data-figure='{key}'] .figure-value").inner_text()
                 for key in ("calls", "unanswered", "not_recovered", "service_level")}
        assert int(kpis.data.iloc[0]["Внешних звонков"]) > 0, "the simulated company made no call today"
        assert shown == {
            "calls": number(kpis.data.iloc[0]["Внешних звонков"]),
            "unanswered": number(kpis.counts["Непринятых входящих"][0]),
            "not_recovered": number(recovery.data.iloc[0]["Не дозвонились"]),
            "service_level": percent(kpis.data.iloc[0][sl]) or "—",
        }
        assert page.locator(".tiles.reports a.tile").count() == len(REPORTS)
        assert page.locator(".tiles.admin a[href$='/voila/render/settings.ipynb']").count() == 1
        width = VIEWPORTS[viewport]["viewport"]["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
        small = page.evaluate("""() => [...document.querySelectorAll('a')].map(a => {
            const box = a.getBoundingClientRect();
            return [a.getAttribute('href'), box.width, box.height];
          }).filter(([, w, h]) => w < 44 || h < 44)""")
        assert small == [], small
        if viewport == "phone":  # two figures a row, one tile a row
            boxes = [page.locator(f"[data-figure='{k}']").bounding_box() for k in ("calls", "unanswered", "not_recovered")]
            assert boxes[0]["y"] == boxes[1]["y"] < boxes[2]["y"]
        manifest = page.evaluate("document.querySelector('link[rel=manifest]').href")
        assert manifest == f"{server.url}atsnb/manifest.webmanifest"
        outside = [url for url in requested if not url.startswith(server.url) and not url.startswith("data:")]
        assert outside == [] and errors == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"home-{viewport}.png"), full_page=True)
        page.locator(".tiles.reports a.tile").first.click()
        page.wait_for_url(f"{server.url}voila/render/dashboard.ipynb", wait_until="commit", timeout=60_000)
    finally:
        context.close()
    assert pd.Timestamp.now(tz=settings.tz).date() == now.date()  # the day did not turn under the test
