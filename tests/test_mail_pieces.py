"""The pieces of a mailing that need no report run: SMTP failures as one sentence naming the
mailing, the mailing row checked as a whole, saved filters, schedules in the PBX's zone."""

from __future__ import annotations

from email.message import EmailMessage

import pandas as pd
import pytest

from atsnb.config import SMTPSettings
from atsnb.delivery.mail_notebook import kernel_environment
from atsnb.delivery.mailings import MailError, Mailing
from atsnb.directory.csv_io import import_text
from atsnb.errors import InputError
from atsnb.reports import REPORTS
from atsnb.reports.saved_filters import fixed_period, parse_filters
from atsnb.store import Store
from tests.support.smtp_server import SMTPServer

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
TZ = "Europe/Moscow"


@pytest.fixture(scope="module")
def server():
    with SMTPServer(user="u", password="right", reject=("nobody@example.ru",)) as running:
        yield running


def smtp(server: SMTPServer, **changes) -> SMTPSettings:
    return SMTPSettings(**{"host": server.host, "port": server.port, "user": "u", "password": "right",
                           "sender": "atsnb@example.ru", "starttls": False, "timeout_s": 5, **changes})


def mail() -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = "Сводка"
    msg.set_content("текст")
    return msg


@pytest.mark.parametrize(("changes", "to", "sentence"), [
    ({"password": "wrong"}, ("a@example.ru",), "Рассылка «Утро»: сервер 127.0.0.1:{port} не принял пользователя «u» и "
                                                 "пароль — проверьте smtp.user и smtp.password."),
    ({"starttls": True}, ("a@example.ru",), "Рассылка «Утро»: сервер 127.0.0.1:{port} не принял TLS: STARTTLS "
                                             "extension not supported by server (настройки smtp.starttls / smtp.ssl)."),
    ({}, ("nobody@example.ru",), "Рассылка «Утро»: сервер 127.0.0.1:{port} отклонил всех получателей: nobody@example.ru."),
    ({"host": ""}, ("a@example.ru",), "Рассылка «Утро»: почтовый сервер не настроен (smtp.host)."),
])
def test_smtp_failures_are_one_sentence_naming_the_mailing_and_never_the_password(server, changes, to, sentence):
    from atsnb.delivery.mail_smtp import send_mail

    with pytest.raises(MailError) as failed:
        send_mail(smtp(server, **changes), mail(), to, mailing="Утро")
    assert str(failed.value) == sentence.format(port=server.port)
    assert "right" not in str(failed.value) and "wrong" not in str(failed.value)


def test_a_refused_address_does_not_stop_the_others(server):
    from atsnb.delivery.mail_smtp import send_mail

    assert send_mail(smtp(server), mail(), ("a@example.ru", "nobody@example.ru"), mailing="Утро") == ["nobody@example.ru"]
    assert server.envelopes[-1] == ("atsnb@example.ru", ["a@example.ru"])


@pytest.mark.parametrize(("row", "problem"), [
    ({"report": "sales"}, "Рассылка «m»: отчёта «sales» нет (есть: dashboard"),
    ({"report": "recovery", "parameters": "direction=incoming"},
     "Рассылка «m»: отчёт «recovery» не принимает фильтр direction (принимает: period, start, end"),
    ({"recipients": ""}, "Рассылка «m»: не указаны получатели."),
    ({"schedule": "каждый день"}, "Рассылка «m»: «каждый день» — не расписание cron"),
])
def test_a_mailing_row_that_cannot_run_says_why(row, problem):
    base = {"name": "m", "report": "dashboard", "parameters": "period=yesterday", "schedule": "0 9 * * *",
            "recipients": "a@example.ru", "active": 1}
    with pytest.raises(MailError, match="^" + problem.replace("(", r"\(").replace(")", r"\)")):
        Mailing.from_row(base | row, REPORTS)


def test_saved_filters_read_an_address_a_query_or_json_and_fix_the_period_at_the_due_time(tmp_path):
    assert parse_filters("https://calls.example.ru/voila/render/employees.ipynb?period=this_month"
                         "&department=%D0%9F%D1%80%D0%BE%D0%B4%D0%B0%D0%B6%D0%B8&token=abc") == \
        {"period": "this_month", "department": "Продажи"}
    assert parse_filters('{"period": "yesterday"}') == {"period": "yesterday"}
    due = pd.Timestamp("2025-03-17 09:00", tz=TZ)
    assert fixed_period({"period": "yesterday", "line": "74951112233"}, due, TZ) == \
        {"period": "custom", "start": "2025-03-16", "end": "2025-03-16", "line": "74951112233"}
    catalog = Store.open(tmp_path / "store").catalog
    import_text(catalog, "mailings", "Название;Отчёт;Фильтры;Расписание;Получатели;Тема;Язык\n"
                "Утро;employees;period=yesterday&department=Отдел продаж;0 9 * * 1-5;a@example.ru;Звонки;English\n",
                source="m.csv")
    row = catalog.read("mailings").iloc[0]
    assert (row.parameters, row.language, row.subject) == ("period=yesterday&department=Отдел продаж", "en", "Звонки")
    with pytest.raises(InputError, match="у отчётов нет фильтра «colour»"):
        import_text(catalog, "mailings", "name;parameters\nx;colour=red\n", source="m.csv")


def test_the_schedule_is_read_in_the_pbx_zone_and_counts_what_downtime_missed():
    m = Mailing("m", "dashboard", {}, "0 9 * * 1-5", ("a@example.ru",))
    friday = pd.Timestamp("2025-03-14 10:00", tz=TZ)
    assert [str(t) for t in m.next_times(TZ_INFO, friday)] == [
        "2025-03-17 09:00:00+03:00", "2025-03-18 09:00:00+03:00", "2025-03-19 09:00:00+03:00"]
    newest, earlier = m.latest_due(TZ_INFO, pd.Timestamp("2025-03-10 08:00", tz=TZ), pd.Timestamp("2025-03-14 12:00", tz=TZ))
    assert (str(newest), earlier) == ("2025-03-14 09:00:00+03:00", 4)
    assert m.latest_due(TZ_INFO, newest, pd.Timestamp("2025-03-17 08:59", tz=TZ)) == (None, 0)


def test_the_report_kernel_gets_the_language_and_no_secret():
    env = kernel_environment({"PATH": "/bin", "ATSNB_SMTP_PASSWORD": "x", "ATSNB_PBX_URL": "mysql://u:p@h/db",
                              "ATSNB_TELEGRAM_TOKEN": "1:A", "ATSNB_STORE": "/s"}, "en")
    assert env == {"PATH": "/bin", "ATSNB_STORE": "/s", "ATSNB_UI_LANGUAGE": "en"}


TZ_INFO = __import__("zoneinfo").ZoneInfo(TZ)


def test_the_panels_test_send_without_the_smtp_password_names_the_command_that_can(tmp_path, server):
    """A dashboard kernel's settings hold no secret: against a server that wants a login the
    button says so at once (no report run, no failed login) and gives the command to use."""
    from atsnb.composition import Context
    from atsnb.config import Settings
    from atsnb.delivery.mail_panel import MailingsPanel

    settings = Settings()
    settings.store.path = str(tmp_path / "store")
    settings.smtp.host, settings.smtp.port, settings.smtp.user = server.host, server.port, "u"
    context = Context.from_settings(settings)
    import_text(context.directories, "mailings", "name;report;parameters;schedule;recipients\n"
                "Утро;lines;period=yesterday;0 9 * * 1-5;boss@example.ru\n", source="m.csv")
    panel = MailingsPanel(context.channel("mail"))
    logins = len(server.logins)
    panel.address.value = "me@example.ru"
    panel.button.click()
    assert "«u» с паролем" in panel.result.value
    assert 'atsnb mail send &quot;Утро&quot; --to me@example.ru' in panel.result.value
    assert len(server.logins) == logins and not panel.button.disabled
