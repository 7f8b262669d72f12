"""The wall-board in the real dashboards server (``atsnb serve``) and Debian's Chromium at 1920×1080:
the board fits a TV screen, its figures change in place while the simulator keeps calling
(``atsnb simulate --follow``), two thousand accelerated refreshes leave the server's memory, its
kernels and the page's DOM flat, and the page recovers by itself from a network drop and from a
server restart.  Plus the HTTP side: the TV key, the login, unknown names, the Voila address."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psutil
import pytest
from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
TV = {"viewport": {"width": 1920, "height": 1080}}
ZONES = ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk", "Asia/Vladivostok", "Europe/London",
         "America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Asia/Kolkata", "Asia/Tokyo")
REFRESHES = 2000


def office_zone() -> str:
    """A zone where it is now office hours on a weekday, so the simulated company is calling."""
    for zone in ZONES:
        local = datetime.now(ZoneInfo(zone))
        if local.weekday() < 5 and 10 <= local.hour < 16:
            return zone
    return next(z for z in ZONES if 9 <= datetime.now(ZoneInfo(z)).hour < 18)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Served:
    """``atsnb serve`` over a store of its own on a fixed port, which can be stopped and started again."""

    def __init__(self, store: Path, zone: str):
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
        self.env |= {"ATSNB_STORE": str(store), "ATSNB_PBX_TIMEZONE": zone, "ATSNB_UI_LANGUAGE": "ru",
                     "PYTHONUNBUFFERED": "1"}
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "atsnb.cli", "serve", "--no-browser", "--no-preheat", "--port", str(self.port)],
            cwd=REPO, env=self.env, stdout=subprocess.PIPE, text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        first = self.process.stdout.readline()
        found = re.search(r"(http://\S+/)voila/render/dashboard\.ipynb\?token=(\S+)", first)
        assert found, f"atsnb serve printed no address: {first!r}"
        self.base, self.token = found.group(1), found.group(2)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(60) == 0

    def voila(self) -> psutil.Process:
        """The Voila process (``python -m atsnb.web``) under ``atsnb serve``."""
        return next(p for p in psutil.Process(self.process.pid).children(recursive=True)
                    if "atsnb.web" in " ".join(p.cmdline()))

    def kernels(self) -> int:
        return sum("ipykernel" in " ".join(p.cmdline()) for p in self.voila().children(recursive=True))

    def tv_link(self, name: str) -> str:
        listing = httpx.get(f"{self.base}monitor/", params={"token": self.token}).text
        found = re.search(rf'href="(/monitor/{name}\?key=[^"]+)"', listing)
        assert found, listing
        return self.base.rstrip("/") + found.group(1).replace("&amp;", "&")


@pytest.fixture(scope="module")
def zone() -> str:
    return office_zone()


@pytest.fixture(scope="module")
def store(tmp_path_factory, zone) -> Path:
    folder = tmp_path_factory.mktemp("monitor") / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
    env |= {"ATSNB_STORE": str(folder), "ATSNB_PBX_TIMEZONE": zone}
    subprocess.run([sys.executable, "-m", "atsnb.cli", "simulate", "--days", "1", "--calls-per-day", "6000",
                    "--no-progress"], cwd=REPO, env=env, check=True, capture_output=True)
    return folder


@pytest.fixture(scope="module")
def served(store, zone) -> Iterator[Served]:
    server = Served(store, zone)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


def refreshes(page: Page) -> int:
    return int(page.evaluate("Number(document.body.dataset.refreshes || 0)"))


def open_board(browser: Browser, url: str) -> tuple[Page, list[str]]:
    page = browser.new_context(locale="ru-RU", **TV).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    page.wait_for_function("Number(document.body.dataset.refreshes || 0) >= 1", timeout=60_000)
    return page, errors


def total_cell(page: Page, key: str) -> str:
    return page.locator(f"tr.total td[data-key='{key}']").inner_text()


# -- HTTP ------------------------------------------------------------------------------------------

def test_login_key_and_addresses(served):
    link = served.tv_link("sales")
    assert httpx.get(f"{served.base}monitor/sales").status_code == 403
    assert httpx.get(f"{served.base}monitor/sales", params={"key": "forged"}).status_code == 403
    assert httpx.get(f"{served.base}atsnb/monitor/sales.json").status_code == 403
    other = served.tv_link("support").split("key=")[1]
    assert httpx.get(f"{served.base}monitor/sales", params={"key": other}).status_code == 403  # one board per key
    page = httpx.get(link)
    assert page.status_code == 200 and "<table id=\"grid\">" in page.text
    assert served.token not in page.text
    data = httpx.get(f"{served.base}atsnb/monitor/sales.json", params={"key": link.split("key=")[1]}).json()
    assert data["title"] == "Отдел продаж" and data["rows"][-1]["kind"] == "total"
    assert {r["kind"] for r in data["rows"]} == {"department", "employee", "total"}
    redirect = httpx.get(f"{served.base}voila/render/monitor.ipynb", params={"name": "sales", "token": served.token})
    assert redirect.status_code == 302 and redirect.headers["location"].startswith("/monitor/sales?token=")
    unknown = httpx.get(f"{served.base}monitor/nosuch", params={"token": served.token})
    assert unknown.status_code == 404
    assert "Монитора «nosuch» нет" in unknown.text and "/monitor/sales" in unknown.text and "/monitor/support" in unknown.text


# -- the board on a TV -----------------------------------------------------------------------------

def test_board_fits_a_tv_and_is_coloured(served, browser):
    page, errors = open_board(browser, served.tv_link("sales"))
    rows = page.locator("#grid tbody tr").count()
    assert rows >= 5
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#grid td')).fontSize)")
    assert font >= 24, f"type too small for a TV: {font}px"
    assert page.locator("td.good, td.warn, td.bad").count() > 0
    assert re.fullmatch(r"\d\d:\d\d:\d\d", page.locator("#clock").inner_text())
    assert "обновлено в" in page.locator("#updated").inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "monitor-tv.png"))
    assert not errors
    page.context.close()


def test_figures_change_in_place_while_the_company_calls(served, browser, store, zone):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
    env |= {"ATSNB_STORE": str(store), "ATSNB_PBX_TIMEZONE": zone}
    follower = subprocess.Popen([sys.executable, "-m", "atsnb.cli", "simulate", "--days", "1", "--calls-per-day",
                                 "6000", "--no-progress", "--follow", "--tick", "2"], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        page, errors = open_board(browser, served.tv_link("sales") + "&refresh_s=1")
        page.evaluate("window.__sameDocument = true")
        before = total_cell(page, "answered"), page.locator("#asof").inner_text()
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and (total_cell(page, "answered"), page.locator("#asof").inner_text()) == before:
            page.wait_for_timeout(1000)
        after = total_cell(page, "answered"), page.locator("#asof").inner_text()
        assert after != before, "the board did not change while the simulator kept calling"
        assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
        assert not errors
        page.context.close()
    finally:
        follower.send_signal(signal.SIGINT)
        follower.wait(60)


def test_a_week_on_a_tv(served, browser):
    """2,000 refreshes (every 20 ms instead of every 5 minutes): the same kernels (none), the server's
    memory and the page's DOM flat."""
    page, errors = open_board(browser, served.tv_link("sales") + "&refresh_s=0.02")
    page.wait_for_function("Number(document.body.dataset.refreshes) >= 100", timeout=120_000)
    voila = served.voila()
    kernels, rss, nodes = served.kernels(), voila.memory_info().rss, page.evaluate("document.getElementsByTagName('*').length")
    start = refreshes(page)
    page.wait_for_function(f"Number(document.body.dataset.refreshes) >= {start + REFRESHES}", timeout=600_000)
    grown = (voila.memory_info().rss - rss) / 2**20
    nodes_after = page.evaluate("document.getElementsByTagName('*').length")
    print(f"after {REFRESHES} refreshes: server memory {rss / 2**20:.0f} MB → {voila.memory_info().rss / 2**20:.0f} MB, "
          f"kernels {kernels} → {served.kernels()}, DOM nodes {nodes} → {nodes_after}")
    assert served.kernels() == kernels == 0
    assert grown < 15, f"the server grew by {grown:.1f} MB over {REFRESHES} refreshes"
    assert nodes_after == nodes
    assert not errors
    page.context.close()


def test_recovers_from_a_network_drop_and_a_server_restart(served, browser):
    page, errors = open_board(browser, served.tv_link("sales") + "&refresh_s=1")
    page.context.set_offline(True)
    page.wait_for_selector("body.offline", timeout=20_000)
    assert "Нет связи с сервером" in page.locator("#offline").inner_text()
    page.context.set_offline(False)
    page.wait_for_function("!document.body.classList.contains('offline')", timeout=20_000)
    served.stop()
    page.wait_for_selector("body.offline", timeout=20_000)
    page.screenshot(path=str(SCREENSHOTS / "monitor-tv-offline.png"))
    served.start()  # a new login secret: only the TV key can let the page back in
    count = refreshes(page)
    page.wait_for_function(f"Number(document.body.dataset.refreshes) > {count} && "
                           "!document.body.classList.contains('offline')", timeout=60_000)
    assert not errors
    page.context.close()
