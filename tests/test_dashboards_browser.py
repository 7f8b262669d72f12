"""The dashboards in a real browser: ``atsnb serve`` (the CLI, in a subprocess) over a simulated
company's store, driven by Debian's Chromium through Playwright.

Every dashboard must load at desktop and phone width with no JavaScript error, no Voila error and
no Python output on stderr; changing a filter must change the figures; a CSV/XLSX download must
hold exactly the rows of the table on screen.  Screenshots of every page are kept in
``test-artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Browser, Page

from atsnb.reports import REPORTS
from tests.support.demo_store import DEMO_PERIOD, demo_store

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
DASHBOARDS = tuple(REPORTS)
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
PERIOD_QUERY = f"period=custom&start={DEMO_PERIOD['start']}&end={DEMO_PERIOD['end']}"
LOAD_TIMEOUT_MS = 180_000  # a cold kernel on a busy two-core machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def served(tmp_path_factory) -> Iterator[tuple[str, str, int]]:
    """``atsnb serve`` on a free loopback port over the demo store: (base address, token, its pid)."""
    store, _settings = demo_store(tmp_path_factory)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
    env |= {"ATSNB_STORE": str(store), "ATSNB_UI_LANGUAGE": "ru", "PYTHONUNBUFFERED": "1",
            # the main dashboard kept warm (its test below), not every report: each visit would start
            # a second kernel to refill its page's pool, on a machine that runs the other tests too
            "ATSNB_SERVE_PREHEAT_REPORTS": "false"}
    process = subprocess.Popen(
        [sys.executable, "-m", "atsnb.cli", "serve", "--no-browser", "--port", str(_free_port())],
        cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
        # Ctrl-C must reach atsnb even when the tests run in a background job, where SIGINT is ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = process.stdout.readline()  # "Дашборды открыты: http://…/voila/render/dashboard.ipynb?token=…"
        found = re.search(r"(http://\S+/)voila/render/dashboard\.ipynb\?token=(\S+)", first)
        assert found, f"atsnb serve printed no address: {first!r}"
        yield found.group(1), found.group(2), process.pid
    finally:
        process.send_signal(signal.SIGINT)  # like Ctrl-C: atsnb stops Voila and its kernels
        assert process.wait(60) == 0


class Visit:
    """One dashboard page open in a browser context, with the errors it raised."""

    def __init__(self, browser: Browser, served: tuple[str, str, int], name: str, viewport: str = "desktop",
                 query: str = PERIOD_QUERY):
        base, token, _pid = served
        self.context = browser.new_context(accept_downloads=True, locale="ru-RU", **VIEWPORTS[viewport])
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"JavaScript error: {exc}"))
        self.page.on("requestfailed", lambda req: self.errors.append(f"request failed: {req.url}"))
        self.page.goto(f"{base}voila/render/{name}.ipynb?{query}&token={token}", timeout=LOAD_TIMEOUT_MS)
        self.wait_until_computed()

    def wait_until_computed(self) -> None:
        self.page.wait_for_selector(".atsnb-status:has-text('Обновлено'), .atsnb-error, .voila-error",
                                    timeout=LOAD_TIMEOUT_MS)

    def problems(self) -> list[str]:
        found = list(self.errors)
        for selector, what in ((".voila-error", "Voila error"), (".atsnb-error", "report error"),
                               ("[data-mime-type='application/vnd.jupyter.stderr']", "stderr output")):
            for node in self.page.locator(selector).all():
                found.append(f"{what}: {node.inner_text()[:500]}")
        if "Traceback" in self.page.content():
            found.append("a Python traceback is on the page")
        return found

    def screenshot(self, path: Path) -> None:
        """The whole page: Voila scrolls inside #rendered_cells, so grow the viewport to its height."""
        size = self.page.viewport_size
        height = self.page.evaluate("document.querySelector('#rendered_cells').scrollHeight")
        self.page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 12_000)})
        self.page.wait_for_timeout(700)  # charts re-layout to the new size
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path))
        self.page.set_viewport_size(size)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, served):
    opened: list[Visit] = []

    def open_page(name: str, viewport: str = "desktop", query: str = PERIOD_QUERY) -> Visit:
        opened.append(Visit(browser, served, name, viewport, query))
        return opened[-1]

    yield open_page
    for page in opened:
        page.close()


def test_the_preheated_dashboard_shows_the_figures_of_the_address_it_was_opened_with(visit, tmp_path_factory):
    """The first visit takes the kernel computed ahead for the default view (the last 30 days, no
    calls in the demo store); it must follow the address's period before showing anything."""
    import atsnb.reports
    from atsnb.views.format import cell

    _store, settings = demo_store(tmp_path_factory)
    report = atsnb.reports.REPORTS["dashboard"].build(period="custom", **DEMO_PERIOD, store=settings.store_path,
                                                      settings=settings)
    cards = next(e for e in report.elements if e.kind == "kpi")
    page = visit("dashboard")
    assert page.problems() == []
    for column in cards.data.columns[:4]:
        shown = page.page.locator(f".atsnb-kpi[data-column='{column}'] .atsnb-kpi-value").inner_text()
        assert shown == cell(cards.data[column].iloc[0], cards.units.get(column)), column


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name", DASHBOARDS)
def test_every_dashboard_loads_cleanly_and_is_photographed(visit, name, viewport):
    page = visit(name, viewport)
    assert page.problems() == []
    assert page.page.locator("table.atsnb-table").count() >= 1
    if name in {"dashboard", "lines"}:
        assert page.page.locator("svg.svg-figure").count() >= 1
    page.screenshot(SCREENSHOTS / f"{name}-{viewport}.png")
    width = VIEWPORTS[viewport]["viewport"]["width"]
    overflow = page.page.evaluate("document.querySelector('#rendered_cells').scrollWidth")
    assert overflow <= width, "the page scrolls sideways; wide tables must scroll inside their own box"


def test_changing_the_period_changes_the_figures(visit):
    page = visit("dashboard")
    kpi = page.page.locator(".atsnb-kpi-value").first
    before = kpi.inner_text()
    page.page.locator("input[type=date]").first.fill("2025-03-12")
    page.page.wait_for_function(
        "before => document.querySelector('.atsnb-kpi-value').innerText !== before", arg=before, timeout=120_000)
    assert int(re.sub(r"\D", "", kpi.inner_text())) < int(re.sub(r"\D", "", before))
    assert page.problems() == []


def test_an_address_naming_a_department_that_does_not_exist_says_so_above_the_whole_company(visit):
    page = visit("departments", "phone", f"{PERIOD_QUERY}&department=%D0%9F%D1%80%D0%BE%D0%B4%D0%B0%D0%B6%D0%B8")
    assert page.problems() == []
    warning = page.page.locator(".atsnb-warning")
    assert warning.count() == 1 and warning.is_visible()
    assert "«Отдел» = «Продажи», но такого нет. Есть: " in warning.inner_text()
    assert "Отдел продаж" in warning.inner_text() and warning.inner_text().endswith("Показано: все.")
    efficiency = page.page.locator("table.atsnb-table[data-key='efficiency']")
    assert "Техническая поддержка" in efficiency.inner_text()  # the whole company under the message
    page.screenshot(SCREENSHOTS / "departments-unknown-department-phone.png")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_data_quality_note_is_one_line_that_opens_into_the_audit(visit, viewport):
    """The note (atsnb/views/quality.py) comes after the figures, from the kernel's worker thread."""
    page = visit("dashboard", viewport)
    note = page.page.locator("details.atsnb-quality")
    note.wait_for(timeout=120_000)
    summary = note.locator("summary")
    assert summary.inner_text().startswith("Качество данных: записей: ")
    assert "ответ только по CDR" in summary.inner_text()
    lines = note.locator(".atsnb-quality-lines")
    assert not lines.is_visible()
    summary.click()
    assert lines.is_visible() and "Момент ответа" in lines.inner_text() and "ещё идут" in lines.inner_text()
    page.screenshot(SCREENSHOTS / f"dashboard-quality-{viewport}.png")
    assert page.page.evaluate("document.querySelector('#rendered_cells').scrollWidth") <= \
        VIEWPORTS[viewport]["viewport"]["width"]
    assert page.problems() == []


def test_choosing_a_department_narrows_the_employees(visit):
    page = visit("employees")
    rows = page.page.locator("table.atsnb-table[data-key='summary'] tbody tr")
    before = rows.count()
    department = page.page.locator(".atsnb-filters select").nth(1)
    department.select_option(index=1)
    page.page.wait_for_function(
        "n => document.querySelectorAll(\"table.atsnb-table[data-key='summary'] tbody tr\").length !== n",
        arg=before, timeout=120_000)
    assert 1 < rows.count() < before
    assert page.problems() == []


def _table_rows(page: Page, key: str) -> list[list[str]]:
    return page.evaluate(
        """key => [...document.querySelectorAll(`table.atsnb-table[data-key='${key}'] tbody tr`)]
             .map(tr => [...tr.children].map(td => td.innerText.trim()))""", key)


def _download(page: Page, key: str, fmt: str) -> bytes:
    view = page.locator(".atsnb-table-view", has=page.locator(f"table.atsnb-table[data-key='{key}']"))
    with page.expect_download(timeout=60_000) as download:
        view.locator(f".atsnb-export-{fmt}").click()
    assert download.value.suggested_filename == f"employees_{key}.{fmt}"
    return Path(download.value.path()).read_bytes()


def test_an_export_downloads_exactly_the_rows_of_the_table(visit):
    page = visit("employees")
    shown = _table_rows(page.page, "summary")
    assert shown[-1][0] == "Итого" and len(shown) > 3
    text = _download(page.page, "summary", "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[0] == page.page.locator("table.atsnb-table[data-key='summary'] th").first.inner_text()
    assert [r[0] for r in body] == [r[0] for r in shown]  # same rows, same order, totals last
    calls = header.index("Звонков")
    assert [r[calls] for r in body] == [re.sub(r"\s", "", r[calls]) for r in shown]
    book = openpyxl.load_workbook(io.BytesIO(_download(page.page, "summary", "xlsx")), read_only=True)
    sheet_rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert [str(r[0]) for r in sheet_rows[1:]] == [r[0] for r in shown]
    assert page.problems() == []


def test_the_line_load_profile_draws_its_bars(visit):
    """Grouped bars (mean and peak per hour) need their y range given (bqplot 0.13 sets none)."""
    page = visit("dashboard")
    heights = page.page.evaluate("""() => [...document.querySelectorAll('.atsnb-chart')]
        .filter(chart => chart.innerText.includes('рабочие дни'))
        .flatMap(chart => [...chart.querySelectorAll('rect.bar')].map(bar => bar.getBoundingClientRect().height))""")
    assert len(heights) == 48 and sum(h > 1 for h in heights) >= 24, heights
    assert page.problems() == []


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_key_columns_are_in_view_and_the_first_column_stays_when_a_table_scrolls_sideways(visit, viewport):
    """What a manager reads first is visible at 1366 px without scrolling; on a phone the names stay
    beside the figures while the table scrolls; the period picker shows its whole choice."""
    page = visit("employees", viewport)
    if viewport == "phone":  # the bar is folded on a phone: opened, as a manager opens it to choose
        page.page.locator("label.atsnb-filters-button").click()
    found = page.page.evaluate("""() => {
      const select = document.querySelector('.atsnb-filters select');
      const pen = document.createElement('canvas').getContext('2d');
      pen.font = getComputedStyle(select).font;
      const out = {period: [select.options[select.selectedIndex].text,
                            pen.measureText(select.options[select.selectedIndex].text).width, select.clientWidth]};
      for (const key of ['efficiency', 'summary']) {
        const table = document.querySelector(`table.atsnb-table[data-key='${key}']`);
        const box = table.closest('.atsnb-table-body');
        out[key] = {edge: box.getBoundingClientRect().right,
                    headers: Object.fromEntries([...table.querySelectorAll('th')].map(
                      th => [th.innerText, th.getBoundingClientRect().right]))};
        const name = table.querySelector('tbody td'), figure = table.querySelector('tbody td:nth-child(2)');
        const [nameAt, figureAt] = [name.getBoundingClientRect().left, figure.getBoundingClientRect().left];
        box.scrollLeft = 300;
        out[key].scrolled = box.scrollLeft;
        out[key].moved = [name.getBoundingClientRect().left - nameAt, figure.getBoundingClientRect().left - figureAt];
      }
      return out;
    }""")
    text, width, room = found["period"]
    assert text.replace("\u00a0", " ") == "Произвольный период" and width + 24 <= room  # the text and the arrow fit
    for key, wanted in (("efficiency", ["Эффективных", "Цель за период", "Выполнение цели"]),
                        ("summary", ["Звонков", "Эффективных"])):
        table = found[key]
        if viewport == "desktop":
            assert all(table["headers"][h] <= table["edge"] for h in wanted), (key, table)
        assert table["scrolled"] > 0 and table["moved"][0] == 0 and table["moved"][1] < 0, (key, table)
    assert page.problems() == []


def _kernels_under(pid: int) -> int:
    """How many IPython kernels run below a process (Voila's kernels below ``atsnb serve``)."""
    children: dict[int, list[int]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat_file.parent.name))
    found, todo = 0, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            with contextlib.suppress(OSError):  # a process that has just ended
                found += b"ipykernel" in Path(f"/proc/{child}/cmdline").read_bytes()
    return found


def test_reloading_a_page_does_not_leave_kernels_behind(visit, served):
    page = visit("lines")
    before = _kernels_under(served[2])
    for _ in range(3):
        page.page.reload()
        page.wait_until_computed()
    deadline = time.monotonic() + 60  # each reload's beacon shuts its kernel down, not instantly when busy
    while _kernels_under(served[2]) > before and time.monotonic() < deadline:
        time.sleep(1)
    assert _kernels_under(served[2]) <= before, "a reload left its kernel running"
