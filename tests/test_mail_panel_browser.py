"""The mailings panel of the directories page in a real browser: ``atsnb serve`` (the CLI, in a
subprocess) over a copy of the demo store holding one mailing, its SMTP settings pointing at a real
SMTP server on loopback, driven by Debian's Chromium through Playwright.

The page must show the mailing's next three run times, answer a schedule that is not cron with a
message under its row as it is typed (the stored mailing unchanged), and "send me a test now" must
deliver exactly one mail to the typed address and say so on the page.  Screenshots at desktop and phone width go to
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page

from atsnb.composition import Context
from atsnb.config import Settings
from atsnb.delivery.mailings import Mailing
from atsnb.directory.csv_io import import_text
from atsnb.directory.rules import title
from atsnb.store import Store
from tests.support.smtp_server import SMTPServer, free_port

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]
REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "test-artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"viewport": {"width": 1366, "height": 900}},
             "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}
TZ = "Europe/Moscow"
SCHEDULE = "0 9 * * 1-5"
MAILING = f"Утренняя сводка;lines;period=custom&start=2025-03-10&end=2025-03-16;{SCHEDULE};boss@example.ru;1\n"
EDITOR_TOKEN = secrets.token_urlsafe(24)  # the directories page is for the editor role (docs/security.md)
LOAD_TIMEOUT_MS = 180_000  # a cold kernel on a busy two-core machine
SEND_TIMEOUT_MS = 240_000  # the report runs in a fresh kernel of its own before the mail goes


@pytest.fixture(scope="module")
def smtp() -> Iterator[SMTPServer]:
    """The office's mail relay: takes mail from the loopback without a login."""
    with SMTPServer() as server:
        yield server


@pytest.fixture(scope="module")
def served(demo, smtp, tmp_path_factory) -> Iterator[tuple[str, str, Path]]:
    """``atsnb serve`` over a copy of the demo store with one mailing: (base address, the editors'
    token, the store)."""
    store = tmp_path_factory.mktemp("panel") / "store"
    shutil.copytree(demo[0], store)
    settings = Settings()
    settings.store.path = str(store)
    import_text(Context.from_settings(settings).directories, "mailings",
                "name;report;parameters;schedule;recipients;active\n" + MAILING, source="mailings.csv", replace=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
    env |= {"ATSNB_STORE": str(store), "ATSNB_UI_LANGUAGE": "ru", "PYTHONUNBUFFERED": "1",
            "ATSNB_ACCESS_EDITOR_TOKEN": EDITOR_TOKEN, "ATSNB_SMTP_HOST": smtp.host, "ATSNB_SMTP_PORT": str(smtp.port),
            "ATSNB_SMTP_SENDER": "atsnb@example.ru", "ATSNB_SMTP_STARTTLS": "no"}
    process = subprocess.Popen(
        [sys.executable, "-m", "atsnb.cli", "serve", "--no-browser", "--no-preheat", "--port", str(free_port())],
        cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = process.stdout.readline()
        found = re.search(r"(http://\S+/)voila/render/", first)
        assert found, f"atsnb serve printed no address: {first!r}"
        yield found.group(1), EDITOR_TOKEN, store
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0


def open_mailings(browser, served: tuple[str, str, Path], viewport: str) -> tuple[Page, list[str]]:
    """The directories page with the mailings directory chosen; the page and its JavaScript errors."""
    base, token, _store = served
    context = browser.new_context(locale="ru-RU", **VIEWPORTS[viewport])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
    page.goto(f"{base}voila/render/directories.ipynb?token={token}", timeout=LOAD_TIMEOUT_MS)
    choice = page.locator(".widget-dropdown", has_text="Справочник").locator("select")
    choice.wait_for(timeout=LOAD_TIMEOUT_MS)
    choice.select_option(label=title("mailings"))
    page.get_by_text("Ближайшие отправки").wait_for(timeout=60_000)
    return page, errors


def screenshot(page: Page, name: str) -> None:
    """The whole page: Voila scrolls inside #rendered_cells, so grow the viewport to its height."""
    size = page.viewport_size
    height = page.evaluate("document.querySelector('#rendered_cells').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 6_000)})
    page.wait_for_timeout(500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))
    page.set_viewport_size(size)


def stored_schedules(store: Path) -> list[str]:
    return Store.open(store).catalog.read("mailings").schedule.tolist()


def expected_times() -> str:
    mailing = Mailing("m", "lines", {}, SCHEDULE, ("a@example.ru",))
    zone = __import__("zoneinfo").ZoneInfo(TZ)
    return ", ".join(m.strftime("%d.%m.%Y %H:%M") for m in mailing.next_times(zone, pd.Timestamp.now(tz=TZ)))


def test_the_panel_shows_next_runs_refuses_a_wrong_cron_and_sends_a_test(served, smtp, browser):
    page, errors = open_mailings(browser, served, "desktop")
    schedule = page.locator("li", has_text="Утренняя сводка")
    assert schedule.inner_text() == f"Утренняя сводка — {SCHEDULE}: {expected_times()}"

    cell = page.locator(".atsnb-dir-cell-schedule input").first
    cell.fill("каждый день")
    cell.press("Enter")
    problem = page.locator(".atsnb-dir-problem", has_text="каждый день")
    problem.wait_for(timeout=60_000)  # under the row, as typed
    assert "не расписание cron из пяти полей (например «0 9 * * 1-5»)" in problem.inner_text()
    screenshot(page, "directories-mailings-bad-cron-desktop.png")
    assert stored_schedules(served[2]) == [SCHEDULE]  # nothing is written while a row is bad
    assert schedule.inner_text().endswith(expected_times())  # the panel still shows the stored one

    page.get_by_role("button", name="Прислать мне тест сейчас").click()
    page.get_by_text("Выберите рассылку и введите адрес почты.").wait_for(timeout=30_000)
    page.locator(".widget-text", has_text="Кому").locator("input").fill("me@example.ru")
    page.get_by_role("button", name="Прислать мне тест сейчас").click()
    page.get_by_text("Отправлено на me@example.ru").wait_for(timeout=SEND_TIMEOUT_MS)
    assert len(smtp.messages) == 1
    assert smtp.envelopes == [("atsnb@example.ru", ["me@example.ru"])]
    mail = smtp.messages[0]
    assert mail["Subject"] == "Внешние линии: 10.03.2025 – 16.03.2025 (тест)"
    assert mail["Message-ID"] in page.locator("span", has_text="Отправлено на").inner_text()
    screenshot(page, "directories-mailings-desktop.png")
    assert errors == []
    page.context.close()

    page, errors = open_mailings(browser, served, "phone")
    screenshot(page, "directories-mailings-phone.png")
    assert page.evaluate("document.querySelector('#rendered_cells').scrollWidth") <= 390
    assert errors == []
    page.context.close()
