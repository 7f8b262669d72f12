"""The settings page in a real browser: ``atsnb --config FILE serve`` (the CLI, in a subprocess) over
the demo store, with a PBX user whose password only the file holds (real MariaDB), a real SMTP
server and a fake Bot API on loopback, driven by Debian's Chromium through Playwright.

An administrator sees every setting with its source, the variable-set one locked; every button
answers in plain words; an edit survives a restart of the server and keeps the file's comments; a
viewer is refused the page; and no secret of the file appears in the page's HTML or in any message
on its websocket, either way.  Screenshots at 1366×900 and 390×844 go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.pbx_rows import create_pbx, insert, leg
from tests.support.demo_store import demo_store
from tests.support.fake_bot_api import FakeBotApi
from tests.support.mariadb import free_port
from tests.support.secrets_scan import forms
from tests.support.smtp_server import SMTPServer

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
LOAD_TIMEOUT_MS = 180_000
ANSWER_TIMEOUT_MS = 60_000
PBX_PASSWORD = "Pbx-br0wser-s3cret"
SMTP_PASSWORD = "Smtp-br0wser-s3cret"
BOT_TOKEN = "5151:Bot-br0wser-s3cretZZ"
ADMIN_TOKEN = "admin-" + uuid.uuid4().hex
VIEWER_TOKEN = "viewer-" + uuid.uuid4().hex
SECRETS = {"pbx password": PBX_PASSWORD, "smtp password": SMTP_PASSWORD, "bot token": BOT_TOKEN}
HEADER = "\ufeffАВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН\n"


@contextmanager
def serving(config: Path) -> Iterator[str]:
    """``atsnb --config FILE serve`` with one setting locked by a variable; its base address."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
    env |= {"ATSNB_THRESHOLDS_SHORT_ABANDON_S": "7", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "atsnb.cli", "--config", str(config), "serve", "--no-browser", "--no-preheat",
         "--port", str(free_port())],
        cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = process.stdout.readline()
        found = re.search(r"(http://[^/\s]+/)", first)
        assert found, f"atsnb serve printed no address: {first!r}"
        yield found.group(1)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(60) == 0


@pytest.fixture
def scene(pbx_db, tmp_path_factory, tmp_path) -> Iterator[dict]:
    """The PBX (a read-only user with a password), SMTP, Bot API and the settings file naming them."""
    server, db = pbx_db
    con = create_pbx(server, db, "freepbx")
    insert(con, "cdr", [leg(1, "2025-03-10 10:00:00")])
    con.close()
    user = f"ro_{uuid.uuid4().hex[:8]}"
    admin = server.connect()
    admin.cursor().execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{PBX_PASSWORD}'")
    admin.cursor().execute(f"GRANT SELECT ON `{db}`.* TO '{user}'@'127.0.0.1'")
    demo, _settings = demo_store(tmp_path_factory)
    store = shutil.copytree(demo, tmp_path / "store")  # the registry loaded here stays out of the shared store
    try:
        with SMTPServer(user="reports", password=SMTP_PASSWORD) as smtp, FakeBotApi() as bots:
            bots.add_bot(BOT_TOKEN, username="office_calls_bot", first_name="Звонки")
            config = tmp_path / "atsnb.toml"
            config.write_text(f"""# Our office: keep this comment
[pbx]
host = "{server.host}"   # the PBX database
port = {server.port}
database = "{db}"
user = "{user}"
password = "{PBX_PASSWORD}"

[store]
path = "{store}"

[thresholds]
# how long a caller may wait
service_level_s = 30

[smtp]
host = "127.0.0.1"
port = {smtp.port}
user = "reports"
password = "{SMTP_PASSWORD}"
sender = "reports@example.ru"
starttls = false

[telegram]
api_url = "{bots.url}"
token = "{BOT_TOKEN}"

[access]
admin_token = "{ADMIN_TOKEN}"
viewer_token = "{VIEWER_TOKEN}"
""", encoding="utf-8")
            config.chmod(0o600)
            yield {"config": config, "smtp": smtp, "uploads": tmp_path}
    finally:
        admin.cursor().execute(f"DROP USER '{user}'@'127.0.0.1'")
        admin.close()


class SettingsVisit:
    """The settings page open in a browser context, with every websocket frame and error kept."""

    def __init__(self, browser, base: str, viewport: str):
        self.context = browser.new_context(locale="ru-RU", **VIEWPORTS[viewport])
        self.page: Page = self.context.new_page()
        self.frames: list[bytes] = []
        self.errors: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(f"JavaScript error: {exc}"))
        self.page.on("websocket", self._watch)
        self.page.goto(f"{base}voila/render/settings.ipynb?token={ADMIN_TOKEN}", timeout=LOAD_TIMEOUT_MS)
        self.page.wait_for_selector(".atsnb-setting-pbx-host, .voila-error", timeout=LOAD_TIMEOUT_MS)

    def _watch(self, socket) -> None:
        def keep(payload) -> None:
            self.frames.append(payload if isinstance(payload, bytes) else str(payload).encode())

        socket.on("framereceived", keep)
        socket.on("framesent", keep)

    def row(self, section: str, key: str):
        return self.page.locator(f".atsnb-setting-{section}-{key}")

    def press(self, text: str, answer_box: str = ".atsnb-action") -> str:
        """Click the button ``text``; the answer of its box once the spinner is gone."""
        box = self.page.locator(answer_box, has=self.page.locator(f"button:has-text('{text}')"))
        box.evaluate("box => box.querySelectorAll('.atsnb-answer').forEach(a => a.dataset.before = '1')")
        box.locator(f"button:has-text('{text}')").click()
        box.locator(".atsnb-answer:not([data-before])").wait_for(timeout=ANSWER_TIMEOUT_MS)  # the spinner gone
        return box.locator(".atsnb-answer").last.inner_text()

    def leaks(self) -> list[str]:
        """Which secret, in which form, is in the HTML or in a websocket message."""
        html = self.page.content().encode()
        found = []
        for name, secret in SECRETS.items():
            for form, data in forms(secret).items():
                if data in html:
                    found.append(f"{name} ({form}) in the page's HTML")
                if any(data in frame for frame in self.frames):
                    found.append(f"{name} ({form}) in a websocket message")
        return found

    def problems(self) -> list[str]:
        found = list(self.errors)
        for node in self.page.locator(".voila-error, [data-mime-type='application/vnd.jupyter.stderr']").all():
            found.append(node.inner_text()[:500])
        return found

    def screenshot(self, name: str) -> None:
        size = self.page.viewport_size
        height = self.page.evaluate("document.querySelector('#rendered_cells').scrollHeight")
        self.page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 12_000)})
        self.page.wait_for_timeout(500)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / name))
        self.page.set_viewport_size(size)

    def close(self) -> None:
        self.context.close()


def test_the_settings_page_shows_checks_saves_and_keeps_every_secret_out(browser, scene):
    config: Path = scene["config"]
    uploads: Path = scene["uploads"]
    (uploads / "DEF-9xx.csv").write_text(
        HEADER + '916;0000000;0999999;1000000;ПАО "МТС";г. Москва и Московская область;;5\n'
        "916;2000000;1000000;1;X;Y;;5\n", encoding="utf-8")
    with serving(config) as base:
        with pytest.raises(urllib.error.HTTPError) as refused:  # a viewer never reaches the page
            urllib.request.urlopen(f"{base}voila/render/settings.ipynb?token={VIEWER_TOKEN}", timeout=30)
        assert refused.value.code == 403

        visit = SettingsVisit(browser, base, "desktop")
        page = visit.page
        assert visit.problems() == []
        locked = visit.row("thresholds", "short_abandon_s")
        assert "ATSNB_THRESHOLDS_SHORT_ABANDON_S" in locked.inner_text()
        assert locked.locator("input").is_disabled() and locked.locator("input").input_value() == "7"
        assert "из файла" in visit.row("thresholds", "service_level_s").inner_text()
        assert "по умолчанию" in visit.row("sync", "batch_rows").inner_text()
        password = visit.row("pbx", "password").locator("input")
        assert password.get_attribute("type") == "password" and password.input_value() == ""
        assert "задан" in password.get_attribute("placeholder")

        said = visit.press("Проверить АТС")
        assert "FreePBX" in said and "2025-03-10 10:00:00" in said and "мс" in said, said
        page.locator(".atsnb-action input[placeholder='адрес получателя']").fill("boss@example.ru")
        assert "Письмо отправлено на boss@example.ru" in visit.press("Отправить тестовое письмо")
        assert scene["smtp"].envelopes == [("reports@example.ru", ["boss@example.ru"])]
        assert "это бот @office_calls_bot" in visit.press("Проверить токен")
        assert "Последний звонок с записью" in visit.press("Прослушать последнюю запись")
        assert page.locator(".atsnb-player audio").count() == 1
        with page.expect_file_chooser() as chooser:  # ipywidgets keeps its file input out of the page
            page.locator(".atsnb-action .widget-upload").click()
        chooser.value.set_files(str(uploads / "DEF-9xx.csv"))
        page.wait_for_function("() => [...document.querySelectorAll('.atsnb-action button')]"
                               ".some(b => b.innerText.includes('(1)'))", timeout=ANSWER_TIMEOUT_MS)
        said = visit.press("Загрузить реестр")
        assert "файлов 1, строк прочитано 2, отброшено 1" in said, said

        field = visit.row("thresholds", "service_level_s").locator("input")
        field.fill("15")
        field.press("Tab")
        page.locator("button:has-text('Сохранить')").click()
        page.locator(".atsnb-answer:has-text('Сохранено в')").wait_for(timeout=ANSWER_TIMEOUT_MS)
        visit.screenshot("settings-desktop.png")
        assert visit.problems() == []
        assert visit.frames, "no websocket message was seen: the leak check would prove nothing"
        assert visit.leaks() == []
        visit.close()

    text = config.read_text(encoding="utf-8")
    assert "service_level_s = 15" in text
    for comment in ("# Our office: keep this comment", "# the PBX database", "# how long a caller may wait"):
        assert comment in text

    with serving(config) as base:  # the edit survives a restart
        visit = SettingsVisit(browser, base, "phone")
        row = visit.row("thresholds", "service_level_s")
        assert row.locator("input").input_value() == "15" and "из файла" in row.inner_text()
        visit.screenshot("settings-phone.png")
        layout = visit.page.evaluate("""() => ({
            width: document.querySelector('#rendered_cells').scrollWidth,
            cut: [...document.querySelectorAll('.atsnb-setting-label, .atsnb-action button')]
                   .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > 391)
                   .map(e => e.innerText),
            columns: [...document.querySelectorAll('.atsnb-setting')].filter(row => {
                const [label, input] = row.children;
                return input.getBoundingClientRect().top < label.getBoundingClientRect().bottom - 1;
            }).length})""")
        assert layout["width"] <= 390, "the page scrolls sideways on a phone"
        assert layout["cut"] == [], layout["cut"]
        assert layout["columns"] == 0, "on a phone a setting's field goes under its label"
        assert visit.problems() == [] and visit.leaks() == []
        visit.close()
