"""The directories editor in a real browser: ``atsnb serve`` (the CLI, in a subprocess) over a copy
of the demo store, driven by Debian's Chromium at desktop and phone width.

A person edits a cell and sees the import's message under the row, adds a row and deletes one,
saves, and the page opened again shows the directory as saved (and the store holds it).  On a
phone the page fits the screen (the table scrolls inside its own box) and no label is cut.
Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from atsnb.directory.rules import title
from atsnb.store import Store
from tests.support.smtp_server import free_port

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "test-artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"viewport": {"width": 1366, "height": 900}},
             "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}
EDITOR_TOKEN = secrets.token_urlsafe(24)  # the directories page is for the editor role
LOAD_TIMEOUT_MS = 180_000  # a cold kernel on a busy two-core machine
STEP_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def served(demo, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """``atsnb serve`` over a copy of the demo store: (the directories page's address, the store)."""
    store = tmp_path_factory.mktemp("editor") / "store"
    shutil.copytree(demo[0], store)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
    env |= {"ATSNB_STORE": str(store), "ATSNB_UI_LANGUAGE": "ru", "PYTHONUNBUFFERED": "1",
            "ATSNB_ACCESS_EDITOR_TOKEN": EDITOR_TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "atsnb.cli", "serve", "--no-browser", "--no-preheat", "--port", str(free_port())],
        cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = process.stdout.readline()
        found = re.search(r"(http://\S+/)voila/render/", first)
        assert found, f"atsnb serve printed no address: {first!r}"
        yield f"{found.group(1)}voila/render/directories.ipynb?token={EDITOR_TOKEN}", store
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0


def open_editor(browser, address: str, viewport: str) -> tuple[Page, list[str], float]:
    """The page with its table drawn: the page, its JavaScript errors, seconds until the table showed."""
    context = browser.new_context(locale="ru-RU", **VIEWPORTS[viewport])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"JavaScript error: {exc}"))
    began = time.monotonic()
    page.goto(address, timeout=LOAD_TIMEOUT_MS)
    page.locator(".atsnb-dir-cell-extension input").first.wait_for(timeout=LOAD_TIMEOUT_MS)
    return page, errors, time.monotonic() - began


def screenshot(page: Page, name: str) -> None:
    """The whole page: Voila scrolls inside #rendered_cells, so grow the viewport to its height."""
    size = page.viewport_size
    height = page.evaluate("document.querySelector('#rendered_cells').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 8_000)})
    page.wait_for_timeout(500)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))
    page.set_viewport_size(size)


def type_into(page: Page, column: str, index: int, text: str) -> None:
    cell = page.locator(f".atsnb-dir-cell-{column} input").nth(index)
    cell.fill(text)
    cell.press("Enter")


def cut_labels(page: Page) -> list[str]:
    """Labels, headers and buttons whose text does not fit their box (shown cut or with an ellipsis)."""
    return page.evaluate("""() => [...document.querySelectorAll(
        '.atsnb-directories .widget-label, .atsnb-directories .atsnb-dir-head, .atsnb-directories button,'
        + ' .atsnb-directories .widget-checkbox label')]
        .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.innerText)""")


def test_edit_validate_add_delete_save_and_reload(served, browser):
    address, store = served
    before = Store.open(store).catalog.read("employees")
    first, second = before.extension.iloc[0], before.extension.iloc[1]
    page, errors, opened_s = open_editor(browser, address, "desktop")
    print(f"directories page: table shown {opened_s:.1f} s after the request")
    assert page.locator(".atsnb-dir-cell-extension input").count() == len(before)

    type_into(page, "extension", 0, "10a")
    problem = page.locator(".atsnb-dir-problem", has_text="10a")
    problem.wait_for(timeout=STEP_TIMEOUT_MS)
    assert problem.inner_text() == "Добавочный: «10a» — не внутренний номер (2–6 цифр)"
    screenshot(page, "directories-editor-bad-cell-desktop.png")
    type_into(page, "extension", 0, first)
    problem.wait_for(state="detached", timeout=STEP_TIMEOUT_MS)

    page.locator(".atsnb-dir-add").click()
    added = page.locator(".atsnb-dir-cell-extension input").nth(len(before))
    added.wait_for(timeout=STEP_TIMEOUT_MS)
    type_into(page, "extension", len(before), "999")
    type_into(page, "name", len(before), "Новый Сотрудник")
    page.locator(".atsnb-dir-delete").nth(1).click()  # the second employee goes
    page.wait_for_function("n => document.querySelectorAll('.atsnb-dir-cell-extension input').length === n",
                           arg=len(before), timeout=STEP_TIMEOUT_MS)
    page.locator(".atsnb-dir-save").click()
    page.locator(".atsnb-dir-message", has_text="добавлено 1").wait_for(timeout=STEP_TIMEOUT_MS)
    screenshot(page, "directories-editor-saved-desktop.png")
    assert errors == []
    page.context.close()

    stored = Store.open(store).catalog.read("employees").set_index("extension")
    assert "999" in stored.index and second not in stored.index and len(stored) == len(before)
    assert stored.loc["999", "name"] == "Новый Сотрудник"

    page, errors, _ = open_editor(browser, address, "desktop")
    shown = page.locator(".atsnb-dir-cell-extension input").evaluate_all("cells => cells.map(c => c.value)")
    assert "999" in shown and second not in shown
    assert cut_labels(page) == []
    assert errors == []
    page.context.close()


# a directory, and a header only its table has
PHONE_DIRECTORIES = {"employees": "ФИО", "monitors": "Показатели", "mailings": "Расписание"}


@pytest.mark.parametrize("directory", PHONE_DIRECTORIES)
def test_the_editor_fits_a_phone_without_cut_labels(served, browser, directory):
    address, _store = served
    page, errors, opened_s = open_editor(browser, address, "phone")
    print(f"directories page on a phone: table shown {opened_s:.1f} s after the request")
    if directory != "employees":
        page.locator(".widget-dropdown", has_text="Справочник").locator("select").select_option(label=title(directory))
        page.locator(".atsnb-dir-head", has_text=PHONE_DIRECTORIES[directory]).wait_for(timeout=STEP_TIMEOUT_MS)
        rows = page.locator(".atsnb-dir-delete").count()
        page.locator(".atsnb-dir-add").click()  # a new row shows every typed cell, even in an empty directory
        page.wait_for_function("n => document.querySelectorAll('.atsnb-dir-delete').length === n", arg=rows + 1,
                               timeout=STEP_TIMEOUT_MS)
    screenshot(page, f"directories-editor-{directory}-phone.png")
    assert page.evaluate("document.querySelector('#rendered_cells').scrollWidth") <= 390
    assert cut_labels(page) == []
    assert errors == []
    page.context.close()
