"""Report mailings end to end: papermill runs each report notebook over the demo store, the snapshot
is mailed to a real SMTP server on loopback, and every scheduled run goes exactly once — twice
at the same time, after a kill -9, across downtime, after a wrong password."""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from atsnb.cli import main
from atsnb.composition import Context
from atsnb.delivery.channels import Happenings
from atsnb.delivery.mail import MailChannel
from atsnb.directory.csv_io import import_text
from atsnb.reports import REPORTS
from tests.support.smtp_server import SMTPServer

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
ROOT = Path(__file__).resolve().parent.parent
TZ = "Europe/Moscow"
PASSWORD = "s3cret-SMTP-pa55"
HEADER = "name;report;parameters;schedule;recipients;active;attach_notebook\n"
# one mailing per report, each on its own filters; the demo store holds 03.03–16.03.2025
FILTERS = {
    "employees": "period=this_month&scale=week",
    "departments": "period=last_7_days&department=Отдел продаж",
    "lines": "period=yesterday&direction=incoming",
}
EACH_REPORT = {name: FILTERS.get(name, "period=last_7_days") for name in REPORTS}
CHART_KINDS = {"bar", "stacked_bar", "line", "pie"}
GMAIL_CLIPS_AT = 100 * 1024  # Gmail shows "[Message clipped]" beyond about 102 KB of HTML


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def store_copy(demo, folder: Path, mailings: str) -> Path:
    """The demo store copied to ``folder`` with these mailings (CSV lines after the header)."""
    source, _ = demo
    shutil.copytree(source, folder)
    import_text(Context.from_settings(settings_for(folder, None)).directories, "mailings", HEADER + mailings,
                source="mailings.csv", replace=True)
    return folder


def settings_for(store: Path, server: SMTPServer | None, password: str = PASSWORD):
    from atsnb.config import Settings

    settings = Settings()
    settings.store.path = str(store)
    settings.smtp.sender = "atsnb@example.ru"
    settings.smtp.starttls = False
    settings.smtp.timeout_s = 10
    settings.ui.public_url = "https://calls.example.ru/"
    if server is not None:
        settings.smtp.host, settings.smtp.port = server.host, server.port
        settings.smtp.user, settings.smtp.password = "reports", password
    return settings


def channel(store: Path, server: SMTPServer | None, password: str = PASSWORD) -> MailChannel:
    found = Context.from_settings(settings_for(store, server, password)).channel("mail")
    assert isinstance(found, MailChannel)
    return found


def tick(store: Path, server: SMTPServer, now: str, password: str = PASSWORD) -> MailChannel:
    mail = channel(store, server, password)
    mail.deliver(Happenings(now=at(now)))
    return mail


def runs(store: Path) -> pd.DataFrame:
    with sqlite3.connect(store / "atsnb.sqlite") as con:
        return pd.read_sql("SELECT * FROM mail_runs ORDER BY due", con)


# -- one mail of every report ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def each_report(demo, tmp_path_factory):
    """Every report mailed once by one run-due at 09:00:30 on 17.03.2025; then a second run-due at
    the same moment.  (store, server, messages after the first tick, messages after the second)."""
    rows = "".join(f"{name};{name};{filters};0 9 * * *;boss@example.ru, sales@example.ru;1;"
                   f"{1 if name == 'lines' else 0}\n" for name, filters in EACH_REPORT.items())
    store = store_copy(demo, tmp_path_factory.mktemp("each") / "store", rows)
    with SMTPServer(user="reports", password=PASSWORD) as server:
        tick(store, server, "2025-03-17 09:00:30")
        first = list(server.messages)
        tick(store, server, "2025-03-17 09:00:30")
        yield store, server, first, list(server.messages)


def by_report(messages) -> dict[str, object]:
    return {m["X-Atsnb-Mailing"]: m for m in messages}


def test_each_report_arrives_once_in_one_shape_with_its_charts_as_inline_parts(each_report):
    """Every report, with charts or without: text and HTML alternatives, the HTML inside a
    multipart/related with one inline PNG per chart; the notebook (when attached) beside them."""
    _, server, first, _ = each_report
    mails = by_report(first)
    assert set(mails) == set(EACH_REPORT)
    for name, msg in mails.items():
        charts = sum(e[1] in CHART_KINDS for e in REPORTS[name].elements)
        top = msg.get_content_type()
        assert top == ("multipart/mixed" if name == "lines" else "multipart/alternative"), name
        alternative = msg if top == "multipart/alternative" else next(msg.iter_parts())
        assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "multipart/related"], name
        related = list(alternative.iter_parts())[1]
        assert related.get_param("type") == "text/html", name
        assert [p.get_content_type() for p in related.iter_parts()] == ["text/html"] + ["image/png"] * charts, name
        page = msg.get_body(("html",)).get_content()
        images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
        cids = set(re.findall(r'src="cid:([^"]+)"', page))
        assert cids == {p["Content-ID"].strip("<>") for p in images}, name
        assert all(p.get_content_disposition() == "inline" for p in images)
        assert "<script" not in page.lower() and "data:" not in page and "<style" not in page.lower()
        assert "jupyter-widgets" not in page and "application/vnd.jupyter" not in page
        assert len(server.raw[list(mails).index(name)]) < 1_000_000, name
        assert msg["To"] == "boss@example.ru, sales@example.ru" and msg["From"] == "atsnb@example.ru"
        assert server.envelopes[0][1] == ["boss@example.ru", "sales@example.ru"]


def test_every_reports_html_part_stays_under_the_size_gmail_clips_at(each_report):
    """With the default ``mail.table_rows`` the HTML part of each report (images are parts of
    their own) stays below what Gmail shows whole."""
    sizes = {name: len(msg.get_body(("html",)).get_content().encode("utf-8"))
             for name, msg in by_report(each_report[2]).items()}
    assert {name: size for name, size in sizes.items() if size >= GMAIL_CLIPS_AT} == {}, sizes


def test_the_mail_names_its_period_and_filters_and_links_to_the_same_dashboard(each_report):
    mails = by_report(each_report[2])
    departments = mails["departments"]
    # last_7_days at 09:00 on 17.03 means 11.03–17.03, fixed as dates in the subject, text and link
    assert departments["Subject"] == "Отделы: 11.03.2025 – 17.03.2025"
    text = departments.get_body(("plain",)).get_content()
    assert "Отделы" in text and "Период: 11.03.2025 – 17.03.2025" in text and "Отдел продаж" in text
    link = ("https://calls.example.ru/voila/render/departments.ipynb?period=custom&start=2025-03-11&end=2025-03-17"
            "&department=%D0%9E%D1%82%D0%B4%D0%B5%D0%BB%20%D0%BF%D1%80%D0%BE%D0%B4%D0%B0%D0%B6")
    assert link in text and f'href="{html.escape(link)}"' in departments.get_body(("html",)).get_content()
    dashboard = mails["dashboard"].get_body(("plain",)).get_content()
    assert re.search(r"Внешних звонков:\s+\d", dashboard) and re.search(r"Средний разговор,\sч:мм:сс:\s+\d:\d\d:\d\d",
                                                                        dashboard)
    assert "Рассылка «dashboard», расписание 0 9 * * *, отчёт на 17.03.2025 09:00." in dashboard


def test_long_tables_are_cut_with_how_many_rows_are_left_to_the_dashboard(each_report):
    page = by_report(each_report[2])["employees"].get_body(("html",)).get_content()
    table = re.search(r"<table [^>]*data-key=\"detail\".*?</table>(.*?)</p>", page, re.S)
    assert table.group(0).count("<tr") <= 22  # header, 20 rows, totals
    assert re.search(r"Ещё строк: [\d\u202f]+ — <a href=\"https://calls.example.ru/voila/render/employees", table.group(1))
    assert "ч:мм:сс" in page and re.search(r">\d+:\d\d:\d\d<", page)  # durations as h:mm:ss


def test_nothing_secret_goes_into_the_mail_or_the_attached_notebook(each_report):
    store, server, first, _ = each_report
    for raw in server.raw:
        assert PASSWORD.encode() not in raw
    lines = by_report(first)["lines"]
    attached = [p for p in lines.iter_attachments() if p.get_filename().endswith(".ipynb")]
    assert len(attached) == 1
    notebook = nbformat.reads(attached[0].get_content().decode() if isinstance(attached[0].get_content(), bytes)
                              else attached[0].get_content(), as_version=4)
    assert PASSWORD not in nbformat.writes(notebook)
    assert not list((store / "mail-spool").glob("*/*.ipynb"))  # the executed notebooks are gone once sent


def test_run_due_twice_at_the_same_time_sends_once(each_report):
    store, _, first, second = each_report
    assert len(first) == len(second) == len(EACH_REPORT)
    assert set(runs(store).status) == {"sent"}


# -- exactly once across crashes, downtime and failures ----------------------------------------------------
def test_a_run_killed_mid_report_and_a_second_scheduler_still_send_exactly_once(demo, tmp_path):
    store = store_copy(demo, tmp_path / "store", "crash;dashboard;period=yesterday;0 9 * * *;boss@example.ru;1;0\n")
    with SMTPServer(user="reports", password=PASSWORD) as server:
        env = {**os.environ, "ATSNB_STORE": str(store), "ATSNB_SMTP_HOST": server.host,
               "ATSNB_SMTP_PORT": str(server.port), "ATSNB_SMTP_USER": "reports", "ATSNB_SMTP_PASSWORD": PASSWORD,
               "ATSNB_SMTP_SENDER": "atsnb@example.ru", "ATSNB_SMTP_STARTTLS": "no"}
        proc = subprocess.Popen([sys.executable, "-m", "atsnb.cli", "mail", "run-due", "--now", "2025-03-17 09:00:30"],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not list((store / "mail-spool").glob("*/*.part.ipynb")):  # papermill is executing
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
            busy = channel(store, server)  # a second scheduler while the first works: does nothing
            assert busy.deliver(Happenings(now=at("2025-03-17 09:00:40"))) == []
        finally:
            os.killpg(proc.pid, signal.SIGKILL)  # the scheduler and its kernel, as a power cut would
            proc.wait()
        assert runs(store).status.tolist() == ["running"] and server.messages == []
        tick(store, server, "2025-03-17 09:01:00")
        tick(store, server, "2025-03-17 09:02:00")
        assert len(server.messages) == 1
        row = runs(store).iloc[0]
        assert (row.status, row.attempts, row.late) == ("sent", 2, 0)


def test_downtime_across_three_due_times_sends_one_late_mail(demo, tmp_path):
    store = store_copy(demo, tmp_path / "store", "daily;recovery;period=yesterday;0 9 * * *;boss@example.ru;1;0\n")
    with SMTPServer(user="reports", password=PASSWORD) as server:
        tick(store, server, "2025-03-14 09:30:00")  # first seen after that day's run: nothing due
        assert server.messages == []
        tick(store, server, "2025-03-17 09:30:00")  # down over 15th, 16th and 17th 09:00
        assert len(server.messages) == 1
        assert server.messages[0]["Subject"] == "Дозвон до пропущенных: 16.03.2025 – 16.03.2025 (с опозданием)"
        row = runs(store).iloc[0]
        assert (row.due, row.status, row.late, row.skipped) == ("2025-03-17T06:00:00Z", "sent", 1, 2)


def test_a_wrong_smtp_password_fails_clearly_is_retried_with_back_off_and_then_sent(demo, tmp_path, capsys,
                                                                                  monkeypatch):
    store = store_copy(demo, tmp_path / "store", "Утро;lines;period=yesterday;0 9 * * *;boss@example.ru;1;0\n")
    with SMTPServer(user="reports", password=PASSWORD) as server:
        mail = tick(store, server, "2025-03-17 09:00:30", password="wrong")
        assert mail.failures == [f"Рассылка «Утро»: сервер 127.0.0.1:{server.port} не принял пользователя «reports» "
                                 "и пароль — проверьте smtp.user и smtp.password."]
        assert server.messages == [] and server.logins == [("reports", False)]
        assert tick(store, server, "2025-03-17 09:01:00", password="wrong").failures == []  # not yet: back-off
        assert tick(store, server, "2025-03-17 09:01:31", password="wrong").failures  # 2nd try after 60 s
        monkeypatch.setenv("ATSNB_STORE", str(store))
        assert main(["mail", "status"]) == 1
        out = capsys.readouterr().out
        assert "Утро  ошибка, будет повтор  попыток: 2" in out and "не принял пользователя" in out
        assert PASSWORD not in out and "wrong" not in out
        assert "Следующая попытка: 17.03.2025 09:03" in out  # 120 s after the second failure
        tick(store, server, "2025-03-17 09:03:31")
        assert len(server.messages) == 1
        row = runs(store).iloc[0]
        assert (row.status, row.attempts) == ("sent", 3)


# -- commands -----------------------------------------------------------------------------------------------
def test_preview_writes_one_html_file_and_send_to_makes_a_test_mail(demo, tmp_path, capsys, monkeypatch):
    store = store_copy(demo, tmp_path / "store", "Утро;dashboard;period=yesterday;0 9 * * 1-5;boss@example.ru;1;0\n")
    monkeypatch.setenv("ATSNB_STORE", str(store))
    assert main(["mail", "preview", "Утро", "--out", str(tmp_path / "out")]) == 0
    path = Path(capsys.readouterr().out.strip())
    page = path.read_text(encoding="utf-8")
    assert path.parent == tmp_path / "out" and "<script" not in page and page.count('src="data:image/png') == 8
    assert main(["mail", "list"]) == 0
    listed = capsys.readouterr().out
    assert "Утро  [активна]" in listed and "0 9 * * 1-5  →" in listed
    with SMTPServer() as server:
        monkeypatch.setenv("ATSNB_SMTP_HOST", server.host)
        monkeypatch.setenv("ATSNB_SMTP_PORT", str(server.port))
        monkeypatch.setenv("ATSNB_SMTP_SENDER", "atsnb@example.ru")
        monkeypatch.setenv("ATSNB_SMTP_STARTTLS", "no")
        assert main(["mail", "send", "Утро", "--to", "me@example.ru"]) == 0
        assert server.envelopes == [("atsnb@example.ru", ["me@example.ru"])]
        assert server.messages[0]["Subject"].endswith("(тест)")


# -- how it looks -------------------------------------------------------------------------------------------
SHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.mark.browser
def test_the_mails_read_right_without_javascript_at_desktop_and_phone_width(each_report, browser, tmp_path):
    """Each mail's HTML with its cid: images resolved to the parts, as a mail client shows it, in
    Chromium with JavaScript off: every image loads, nothing but a table's own box is wider than a
    phone."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = {}
    for name, msg in by_report(each_report[2]).items():
        page = msg.get_body(("html",)).get_content()
        for part in msg.walk():
            if part.get_content_type() == "image/png":
                file = tmp_path / f"{name}-{part.get_filename()}"
                file.write_bytes(part.get_content())
                page = page.replace(f'cid:{part["Content-ID"].strip("<>")}', file.name)
        pages[name] = tmp_path / f"{name}.html"
        pages[name].write_text(page, encoding="utf-8")
    for width, label in ((1366, "desktop"), (390, "phone")):
        context = browser.new_context(java_script_enabled=False, viewport={"width": width, "height": 900})
        tab = context.new_page()
        for name, path in pages.items():
            tab.goto(path.as_uri())
            loaded = tab.evaluate("[...document.images].map(i => i.complete && i.naturalWidth > 0)")
            assert all(loaded) and len(loaded) == path.read_text().count("<img"), name
            widest = tab.evaluate("Math.max(...[...document.querySelectorAll('.atsnb-snapshot > *')]"
                                  ".map(e => e.getBoundingClientRect().right))")
            assert widest <= width + 1, (name, label)
            tab.screenshot(path=SHOTS / f"mail-{name}-{label}.png", full_page=True)
        context.close()
