"""The settings page without a browser: what ``atsnb serve`` hands its kernel, the form (sources,
locks, write-only secrets, comment-keeping saves) and every button's work against real parts — a
MariaDB user with a password only the real file holds, a real SMTP server, a fake Bot API on
loopback, the demo store's recordings, registry files as uploaded."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest

from atsnb.composition import Context
from atsnb.config import Settings, load_settings
from atsnb.delivery.mailings import MailError
from atsnb.delivery.settings_checks import check_bot_token, send_test_mail
from atsnb.delivery.telegram_api import TelegramError
from atsnb.errors import ConfigError, InputError
from atsnb.reference.numbering_upload import load_uploaded
from atsnb.serve import kernel_environment, settings_toml
from atsnb.settings_file import decode_locked, effective_settings, encode_locked, entries
from atsnb.store import Store
from atsnb.views.settings_page import SecretText, SettingsPage, newest_recording, pbx_answer
from tests.pbx_rows import create_pbx, insert, leg
from tests.support.fake_bot_api import FakeBotApi
from tests.support.smtp_server import SMTPServer

PBX_PASSWORD = "Pbx-s3cret-7781"
SMTP_PASSWORD = "Smtp-s3cret-4410"
BOT_TOKEN = "4242:Bot-s3cret-AAF19x"
NEW_SECRET = "Brand-new-s3cret-55"
SECRETS = (PBX_PASSWORD, SMTP_PASSWORD, BOT_TOKEN)

FILE = f"""# Office PBX settings: keep this comment
[pbx]
host = "10.0.0.5"   # the office server
password = "{PBX_PASSWORD}"

[smtp]
host = "127.0.0.1"
user = "reports"
password = "{SMTP_PASSWORD}"
sender = "reports@example.ru"
starttls = false

[telegram]
token = "{BOT_TOKEN}"

[thresholds]
# how long a caller may wait
service_level_s = 30
"""


@pytest.fixture
def settings_file(tmp_path) -> Path:
    path = tmp_path / "atsnb.toml"
    path.write_text(FILE, encoding="utf-8")
    path.chmod(0o600)
    return path


def page_for(path: Path | None, locked: dict | None = None, environment: Settings | None = None,
             store: Store | None = None, checker=None) -> SettingsPage:
    """The page as the composition root builds it, with the kernel's view of the server."""
    locked = locked or {}
    environment = environment or Settings()
    return SettingsPage(path, locked=locked, environment=environment,
                        store=lambda: store or Store.open(path.parent / "store"), recordings=lambda: checker,
                        send_test_mail=lambda settings, to: send_test_mail(settings.smtp, to),
                        check_bot_token=lambda settings, token: check_bot_token(settings.telegram, token))


def widget_state() -> str:
    """Every live widget model's state as the browser would receive it, as one text."""
    from ipywidgets.widgets.widget import _instances

    return json.dumps([m.get_state() for m in list(_instances.values())], default=str, ensure_ascii=False)


def test_serve_hands_the_page_the_file_and_the_names_of_the_variables_only(settings_file, monkeypatch, tmp_path):
    for name in [n for n in __import__("os").environ if n.startswith("ATSNB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ATSNB_THRESHOLDS_SHORT_ABANDON_S", "7")
    monkeypatch.setenv("ATSNB_SMTP_PASSWORD", SMTP_PASSWORD)
    settings = load_settings(settings_file)
    env = kernel_environment(settings, tmp_path / "copy.toml", settings_file)
    assert env["ATSNB_SETTINGS_FILE"] == str(settings_file.resolve())
    assert decode_locked(env["ATSNB_LOCKED_KEYS"]) == {
        ("smtp", "password"): "ATSNB_SMTP_PASSWORD", ("thresholds", "short_abandon_s"): "ATSNB_THRESHOLDS_SHORT_ABANDON_S"}
    # the store and the language serve sets for its kernels are not the administrator's: not locked
    assert "ATSNB_STORE" in env and "store.path" not in env["ATSNB_LOCKED_KEYS"]
    assert "ui.language" not in env["ATSNB_LOCKED_KEYS"]
    everything = json.dumps(env) + settings_toml(settings)
    assert not [s for s in SECRETS if s in everything]


def test_the_locked_keys_text_round_trips_and_nonsense_is_refused():
    locked = {("pbx", "host"): "ATSNB_PBX_URL", ("store", "path"): "ATSNB_STORE"}
    assert decode_locked(encode_locked(locked)) == locked and decode_locked("") == {}
    with pytest.raises(ConfigError, match="ATSNB_LOCKED_KEYS"):
        decode_locked("pbx.host=rm -rf")


def test_the_kernel_sees_the_file_with_the_servers_values_for_locked_keys(settings_file):
    environment = load_settings(settings_file, {"ATSNB_THRESHOLDS_SHORT_ABANDON_S": "7"})
    environment.smtp.password = ""  # the kernel's copy holds no secret
    locked = {("thresholds", "short_abandon_s"): "ATSNB_THRESHOLDS_SHORT_ABANDON_S",
              ("smtp", "password"): "ATSNB_SMTP_PASSWORD"}
    settings = effective_settings(settings_file, locked, environment)
    assert settings.thresholds.short_abandon_s == 7 and settings.pbx.password == PBX_PASSWORD
    assert settings.smtp.password == ""  # set only by a variable the kernel never gets
    found = {(e.section, e.key): e for e in entries(settings_file, locked=locked, environment=environment)}
    assert found["thresholds", "short_abandon_s"].locked and found["thresholds", "short_abandon_s"].value == 7
    assert found["smtp", "password"].locked and found["smtp", "password"].is_set
    assert found["thresholds", "service_level_s"].source == "file"


def test_the_form_shows_sources_locks_and_no_secret_and_saves_keeping_comments(settings_file):
    locked = {("thresholds", "short_abandon_s"): "ATSNB_THRESHOLDS_SHORT_ABANDON_S"}
    environment = load_settings(settings_file, {"ATSNB_THRESHOLDS_SHORT_ABANDON_S": "7"})
    page = page_for(settings_file, locked, environment)
    state = widget_state()
    assert not [s for s in SECRETS if s in state]
    assert page.fields["thresholds", "short_abandon_s"].disabled
    assert page.fields["thresholds", "short_abandon_s"].value == 7
    assert not page.fields["thresholds", "service_level_s"].disabled
    secret = page.fields["pbx", "password"]
    assert isinstance(secret, SecretText) and secret.value == "" and "задан" in secret.placeholder
    assert page.fields["pbx", "hosting"].options == ("cloud", "server", "other")

    page.fields["thresholds", "service_level_s"].value = 15
    page.fields["smtp", "password"].value = NEW_SECRET
    page.fields["thresholds", "short_abandon_s"].value = 3  # a disabled field a crafted message changed
    assert page.save()
    text = settings_file.read_text(encoding="utf-8")
    assert "# Office PBX settings: keep this comment" in text and "# how long a caller may wait" in text
    assert "# the office server" in text and "short_abandon_s" not in text
    reloaded = load_settings(settings_file, {})
    assert reloaded.thresholds.service_level_s == 15 and reloaded.smtp.password == NEW_SECRET
    assert page.fields["smtp", "password"].value == ""  # the new form holds nothing typed
    assert "thresholds.service_level_s" in page.message.value and "smtp.password" in page.message.value
    assert NEW_SECRET not in widget_state()
    assert not page.save() and "Ничего не изменено" in page.message.value


def test_a_value_atsnb_refuses_is_named_and_the_file_stays(settings_file):
    page = page_for(settings_file)
    page.fields["pbx", "timezone"].value = "Mars/Olympus"
    assert not page.save()
    assert "pbx.timezone" in page.message.value and "atsnb-problem" in page.message.value
    assert settings_file.read_text(encoding="utf-8") == FILE


def test_without_a_settings_file_nothing_can_be_saved(tmp_path):
    page = page_for(None, store=Store.open(tmp_path / "store"))
    assert page.save_button.disabled and page.fields["pbx", "host"].disabled
    assert not page.save() and "без файла настроек" in page.message.value


def test_the_pbx_check_uses_the_password_only_the_real_file_holds(pbx_db, tmp_path):
    server, db = pbx_db
    con = create_pbx(server, db, "freepbx")
    insert(con, "cdr", [leg(1, "2025-03-10 10:00:00")])
    con.close()
    user = f"ro_{uuid.uuid4().hex[:8]}"
    admin = server.connect()
    admin.cursor().execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{PBX_PASSWORD}'")
    try:
        admin.cursor().execute(f"GRANT SELECT ON `{db}`.* TO '{user}'@'127.0.0.1'")
        path = tmp_path / "atsnb.toml"
        path.write_text(f'[pbx]\nhost = "{server.host}"\nport = {server.port}\ndatabase = "{db}"\n'
                        f'user = "{user}"\npassword = "{PBX_PASSWORD}"\n', encoding="utf-8")
        environment = load_settings(path, {})
        environment.pbx.password = ""  # what the kernel's copy has
        page = page_for(path, environment=environment)
        page.pbx_button.click()
        assert page.pbx_button.disabled and "atsnb-spinner" in page.pbx_out.value  # at once, while it works
        page.wait()
        said = page.pbx_out.value
        assert not page.pbx_button.disabled and "atsnb-ok" in said, said
        assert "FreePBX" in said and "2025-03-10 10:00:00" in said and "мс" in said and PBX_PASSWORD not in said
        lines = pbx_answer(page.settings())
        assert lines[0] == said.split('">', 2)[2].split("</div>")[0]  # the verdict comes first
    finally:
        admin.cursor().execute(f"DROP USER '{user}'@'127.0.0.1'")


def test_an_unreachable_pbx_is_said_in_plain_words(tmp_path):
    path = tmp_path / "atsnb.toml"
    path.write_text(f'[pbx]\nhost = "127.0.0.1"\nport = 9\npassword = "{PBX_PASSWORD}"\nconnect_timeout_s = 2\n',
                    encoding="utf-8")
    page = page_for(path)
    page.pbx_button.click()
    page.wait()
    assert "atsnb-problem" in page.pbx_out.value and "127.0.0.1" in page.pbx_out.value
    assert PBX_PASSWORD not in page.pbx_out.value


def test_a_test_mail_goes_through_the_files_account(settings_file):
    with SMTPServer(user="reports", password=SMTP_PASSWORD) as smtp:
        settings_file.write_text(FILE.replace('host = "127.0.0.1"', f'host = "127.0.0.1"\nport = {smtp.port}'),
                                 encoding="utf-8")
        page = page_for(settings_file)
        page.mail_to.value = "boss@example.ru"
        page.mail_button.click()
        page.wait()
        assert "Письмо отправлено на boss@example.ru" in page.mail_out.value, page.mail_out.value
        assert smtp.envelopes == [("reports@example.ru", ["boss@example.ru"])]
        assert smtp.messages[0]["Subject"] == "atsnb: тестовое письмо"
        settings = page.settings()
        settings.smtp.password = "wrong-password-1"
        with pytest.raises(MailError, match="reports") as refused:
            send_test_mail(settings.smtp, "boss@example.ru")
        assert "wrong-password-1" not in str(refused.value)
    with pytest.raises(MailError, match="не адрес"):
        send_test_mail(settings.smtp, "boss at example")


def test_a_telegram_token_is_checked_and_never_shown(settings_file):
    with FakeBotApi() as api:
        api.add_bot(BOT_TOKEN, username="office_calls_bot", first_name="Звонки")
        settings_file.write_text(FILE.replace("[telegram]\n", f'[telegram]\napi_url = "{api.url}"\n'),
                                 encoding="utf-8")
        page = page_for(settings_file)
        page.tg_button.click()  # nothing typed: telegram.token of the file
        page.wait()
        assert "Токен действует: это бот @office_calls_bot («Звонки»)" in page.tg_out.value
        page.token.value = "999:not-a-bot-token"
        page.tg_button.click()
        page.wait()
        assert "Telegram отклонил токен" in page.tg_out.value and "not-a-bot-token" not in page.tg_out.value
        assert page.token.value == ""
        assert all(BOT_TOKEN not in v for v in (page.tg_out.value, widget_state()))
    settings = page.settings()
    settings.telegram.token = ""
    with pytest.raises(TelegramError, match="BotFather"):
        check_bot_token(settings.telegram, "")


def test_the_newest_recording_is_the_latest_recorded_call_and_gets_a_player(demo):
    folder, settings = demo
    ctx = Context.from_settings(settings, store=folder)
    calls = ctx.store.table("calls").read(columns=["call_id", "start", "recording"])
    recorded = calls[calls["recording"].fillna("") != ""]
    newest = recorded.loc[recorded["start"].idxmax()]
    sentence, call = newest_recording(ctx.store)
    assert call["call_id"] == newest["call_id"]
    assert newest["start"].strftime("%Y-%m-%d %H:%M") in sentence
    page = page_for(None, environment=settings, store=ctx.store, checker=ctx.recordings)
    page.rec_button.click()
    page.wait()
    assert "Последний звонок с записью" in page.rec_out.value
    assert f"atsnb/recordings/{newest['call_id']}" in page.rec_player.children[0].value


def test_no_recorded_call_is_said(tmp_path):
    store = Store.open(tmp_path / "store")
    sentence, call = newest_recording(store)
    assert call is None and "нет ни одного звонка с записью" in sentence


HEADER = "\ufeffАВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН\n"


def test_uploaded_registry_files_are_loaded_with_counts(tmp_path):
    store = Store.open(tmp_path / "store")
    files = {"DEF-9xx.csv": (HEADER + '916;0000000;0999999;1000000;ПАО "МТС";г. Москва и Московская область;;5\n'
                             "916;2000000;1000000;1;X;Y;;5\n").encode(),
             "ABC-4xx.csv": (HEADER + "495;0000000;0999999;1000000;ПАО МГТС;г. Москва;;7\n").encode()}
    page = page_for(tmp_path / "atsnb.toml", store=store)
    page.upload.value = tuple({"name": name, "content": data, "type": "text/csv", "size": len(data),
                               "last_modified": dt.datetime.now(dt.UTC)} for name, data in files.items())
    page.reg_button.click()
    page.wait()
    said = page.reg_out.value
    assert "Реестр загружен: файлов 2, строк прочитано 3, отброшено 1" in said, said
    assert "загружен в хранилище, 2 диапазонов" in said
    assert page.upload.value == ()
    with pytest.raises(InputError, match="report.pdf"):
        load_uploaded(store, {"report.pdf": b"%PDF"})
    with pytest.raises(InputError, match="выберите файлы"):
        load_uploaded(store, {})
