"""Read-only views (``/atsnb/view/<report>``) in the real dashboards server: the same page as
papermill + the mail snapshot, computed without a kernel, cached until the store changes, shown
by Chromium with JavaScript off at desktop and phone width; link previews never start a kernel."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from atsnb.composition import Context
from atsnb.delivery.mail_notebook import execute_report
from atsnb.serve import Server, start_dashboards
from atsnb.store import Store
from atsnb.views.snapshot import render_snapshot
from atsnb.web.view import VIEW_ROWS, report_notebook
from tests.support.demo_store import DEMO_PERIOD

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
QUERY = f"period=custom&start={DEMO_PERIOD['start']}&end={DEMO_PERIOD['end']}"


@pytest.fixture(scope="module")
def store_copy(demo, tmp_path_factory):
    """A copy of the demo store this module may write to (the session's stays as it is)."""
    path, settings = demo
    copy = tmp_path_factory.mktemp("view-store") / "store"
    shutil.copytree(path, copy)
    return copy, dataclasses.replace(settings, store=dataclasses.replace(settings.store, path=str(copy)))


@pytest.fixture(scope="module")
def server(store_copy) -> Iterator[Server]:
    _, settings = store_copy
    running = start_dashboards(settings, preheat=False)
    try:
        yield running
    finally:
        running.stop()


def view(server: Server, report: str, query: str = QUERY, role: str = "viewer", **kwargs) -> httpx.Response:
    return httpx.get(f"{server.url}atsnb/view/{report}?{query}", timeout=180,
                     headers={"Authorization": f"token {server.tokens[role]}", **kwargs.pop("headers", {})}, **kwargs)


def kernels(server: Server) -> int:
    return sum("ipykernel" in " ".join(p.cmdline()) for p in psutil.Process(server.process.pid).children(recursive=True))


def test_the_view_is_the_page_papermill_and_the_snapshot_make(demo, tmp_path):
    """What the server computes in-process is what a mailing's papermill run gives."""
    path, settings = demo
    executed = execute_report("test", "employees", {**DEMO_PERIOD, "period": "custom", "store": str(path)},
                              tmp_path / "employees.ipynb", language="ru", timeout_s=300)
    report = Context.from_settings(settings).report("employees", "custom", **DEMO_PERIOD)
    by_papermill = render_snapshot(executed, max_rows=VIEW_ROWS, link="/x")
    in_process = render_snapshot(report_notebook(report), max_rows=VIEW_ROWS, link="/x")
    assert in_process.html == by_papermill.html
    assert [i.png for i in in_process.images] == [i.png for i in by_papermill.images]


def test_the_view_serves_the_report_links_to_the_dashboard_and_previews_well(server):
    answer = view(server, "employees", QUERY + f"&token={server.tokens['viewer']}&unknown=1")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    assert "<script" not in page and "<table" in page
    assert 'property="og:title" content="Сотрудники"' in page and 'name="robots" content="noindex' in page
    assert f'href="/voila/render/employees.ipynb?period=custom&amp;start={DEMO_PERIOD["start"]}' in page
    assert server.tokens["viewer"] not in page  # the link to the dashboard carries no token
    assert "Статичная копия отчёта" in page
    assert "default-src 'self'" in answer.headers["content-security-policy"]


def test_the_view_is_cached_until_the_store_changes(server, store_copy):
    first = view(server, "employees")
    again = view(server, "employees")
    assert again.headers["etag"] == first.headers["etag"] and again.headers["last-modified"] == first.headers["last-modified"]
    unchanged = view(server, "employees", headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and not unchanged.content
    catalog = Store.open(store_copy[0]).catalog
    employees = catalog.read("employees")
    renamed = employees.iloc[:1].copy()
    old_name = str(renamed["name"].iloc[0])
    renamed["name"] = "Переименованный Сотрудник"
    catalog.upsert("employees", renamed)
    fresh = view(server, "employees")
    assert fresh.status_code == 200 and fresh.headers["etag"] != first.headers["etag"]
    assert old_name in first.text and "Переименованный Сотрудник" not in first.text
    assert "Переименованный Сотрудник" in fresh.text


def test_bad_filters_and_unknown_reports_answer_a_sentence(server):
    bad = view(server, "employees", "period=lastweek")
    assert bad.status_code == 400 and "lastweek" in bad.text
    unknown = view(server, "nope", "")
    assert unknown.status_code == 404 and "employees" in unknown.text
    assert httpx.get(f"{server.url}atsnb/view/employees?{QUERY}", timeout=60).status_code == 403


def test_a_link_preview_starts_no_kernel(server):
    before = kernels(server)
    link = f"{server.url}voila/render/employees.ipynb?{QUERY}&token={server.tokens['viewer']}"
    bot = httpx.get(link, headers={"User-Agent": "TelegramBot (like TwitterBot)"}, follow_redirects=True, timeout=180)
    assert bot.status_code == 200 and 'property="og:title" content="Сотрудники"' in bot.text
    assert str(bot.url).startswith(f"{server.url}atsnb/view/employees?")
    head = httpx.head(link.replace("employees", "lines"), timeout=60)
    assert head.status_code == 302 and "/atsnb/view/lines?" in head.headers["location"]
    anonymous = httpx.get(link.split("&token=")[0], headers={"User-Agent": "WhatsApp/2.23"}, timeout=60)
    assert anonymous.status_code == 200 and "Сотрудники" in anonymous.text and "<img" not in anonymous.text
    for agent in ("Slackbot-LinkExpanding 1.0", "facebookexternalhit/1.1", "Discordbot/2.0", "SkypeUriPreview Preview/0.5"):
        assert httpx.get(link.split("&token=")[0], headers={"User-Agent": agent}, timeout=60).status_code == 200
    assert kernels(server) == before


def test_chromium_without_javascript_shows_the_view(server, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    address = f"{server.url}atsnb/view/dashboard?{QUERY}&token={server.tokens['viewer']}"
    for name, options in {"desktop": {"viewport": {"width": 1366, "height": 900}},
                          "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True}}.items():
        context = browser.new_context(java_script_enabled=False, **options)
        page = context.new_page()
        blocked: list[str] = []
        page.on("console", lambda m, seen=blocked: seen.append(m.text) if "Content Security" in m.text else None)
        page.goto(address, timeout=180_000, wait_until="load")
        assert "Сводка" in page.title()
        assert page.locator('img.atsnb-chart[src^="data:image/png;base64,"]').count() >= 3
        assert page.locator("a", has_text="Открыть на дашборде").count() >= 1
        page.screenshot(path=str(SCREENSHOTS / f"readonly-view-{name}.png"), full_page=True)
        assert not blocked
        context.close()
