"""The Content-Security-Policy in a real browser: Debian's Chromium opens a dashboard through the
guarded server and the page works (widgets, bqplot charts, the kernel's websocket) with nothing
blocked; the login form works and is photographed at desktop and phone width."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from atsnb.serve import Server, start_dashboards
from tests.support.demo_store import DEMO_PERIOD

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(scope="module")
def server(demo) -> Iterator[Server]:
    _, settings = demo
    running = start_dashboards(settings, preheat=False)
    try:
        yield running
    finally:
        running.stop()


def test_a_dashboard_works_under_the_content_security_policy(server, browser):
    blocked: list[str] = []
    errors: list[str] = []
    page = browser.new_page(**VIEWPORTS["desktop"])
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    query = f"period=custom&start={DEMO_PERIOD['start']}&end={DEMO_PERIOD['end']}"
    answer = page.goto(f"{server.url}voila/render/lines.ipynb?{query}&token={server.tokens['viewer']}",
                       timeout=240_000)
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    page.wait_for_selector(".atsnb-status:has-text('Обновлено'), .atsnb-error, .voila-error", timeout=240_000)
    assert page.locator(".voila-error, .atsnb-error").count() == 0
    assert page.locator("table.atsnb-table").count() >= 1
    page.locator("svg.svg-figure").first.wait_for(timeout=60_000)  # bqplot drew (eval, inline styles)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "csp-lines-desktop.png"))
    page.close()
    assert not blocked, blocked
    assert not errors, errors


def test_the_login_form_logs_a_role_in(server, browser):
    for name, options in VIEWPORTS.items():
        context = browser.new_context(**options)
        page = context.new_page()
        page.goto(f"{server.url}login?next=%2Fmonitor%2F", timeout=60_000)
        page.fill("#password", "wrong")
        page.click("button[type=submit]")
        assert page.locator("text=Неверный пароль").count() == 1
        page.screenshot(path=str(SCREENSHOTS / f"login-{name}.png"))
        page.fill("#password", server.tokens["viewer"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}monitor/", timeout=60_000)
        cookie = next(c for c in context.cookies() if c["name"].startswith("username-"))
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        context.close()
