"""The recordings endpoint in the real dashboards server (``atsnb serve``'s Voila with atsnb's
handlers) and the player in Debian's Chromium at desktop and phone width: the recording plays and
seeks, the download is the file under a readable name, and requests without the login or aiming
outside the recordings folder are refused."""

from __future__ import annotations

import dataclasses
import http.client
from collections.abc import Iterator
from pathlib import Path

import httpx
import nbformat
import pytest

from atsnb.serve import Server, start_dashboards
from tests.support.recordings_store import PBX_WEB_PASSWORD, RecordingsCase, build, pbx_web_server

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
# the players on the test page, in this order; the last one is not checked in the kernel, so only
# the browser finds out that it cannot play
SHOWN = ("pcm", "wav49", "mp3", "expired", "none", "empty")
LOAD_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> RecordingsCase:
    return build(tmp_path_factory.mktemp("recordings-server"))


@pytest.fixture(scope="module")
def server(case, tmp_path_factory) -> Iterator[Server]:
    """The dashboards server over the case's store, with one page of players (a dashboard of its
    own: the player is what is tested, not a report)."""
    root = tmp_path_factory.mktemp("player-page")
    calls = [(case.calls[name], "" if name == "none" else f"{name}.wav", name != "empty") for name in SHOWN]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import ipywidgets as w\n"
        "import atsnb\n"
        "from atsnb.views.player import recording_player\n"
        "ctx = atsnb.context()\n"
        "w.VBox([recording_player(call_id, recording, checker=ctx.recordings if checked else None)\n"
        f"        for call_id, recording, checked in {calls!r}])"
    )], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, root / "player.ipynb")
    running = start_dashboards(case.settings, root=root, preheat=False)
    try:
        yield running
    finally:
        running.stop()


def endpoint(server: Server, call_id: str, query: str = "") -> str:
    return f"{server.url}atsnb/recordings/{call_id}" + (f"?{query}" if query else "")


def authorised(server: Server) -> dict[str, str]:
    return {"Authorization": f"token {server.token}"}


# -- HTTP ------------------------------------------------------------------------------------------

def test_without_the_login_the_recording_is_refused(server, case):
    for headers in ({}, {"Authorization": "token wrong"}, {"Cookie": "username-127-0-0-1=forged"}):
        answer = httpx.get(endpoint(server, case.calls["pcm"]), headers=headers)
        assert answer.status_code == 403, headers
        assert answer.headers["content-type"].startswith("text/plain") and "RIFF" not in answer.text
    assert httpx.get(endpoint(server, case.calls["pcm"], "token=wrong")).status_code == 403


def test_the_whole_file_and_a_range_of_it(server, case):
    original = (case.folder / "2026/12/01/in-79104698494-101-20261201-081300-1764566000.1.wav").read_bytes()
    whole = httpx.get(endpoint(server, case.calls["pcm"]), headers=authorised(server))
    assert whole.status_code == 200 and whole.content == original
    assert whole.headers["accept-ranges"] == "bytes" and whole.headers["content-type"] == "audio/wav"
    assert whole.headers["content-disposition"].startswith("inline")
    part = httpx.get(endpoint(server, case.calls["pcm"]), headers={**authorised(server), "Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == original[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(original)}"
    assert part.headers["content-length"] == "1000"
    tail = httpx.get(endpoint(server, case.calls["pcm"]), headers={**authorised(server), "Range": "bytes=-44"})
    assert tail.status_code == 206 and tail.content == original[-44:]
    past = httpx.get(endpoint(server, case.calls["pcm"]), headers={**authorised(server), "Range": f"bytes={len(original)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(original)}"
    head = httpx.head(endpoint(server, case.calls["pcm"]), headers=authorised(server))
    assert head.status_code == 200 and head.headers["content-length"] == str(len(original)) and not head.content


def test_download_is_an_attachment_with_a_readable_name(server, case):
    answer = httpx.get(endpoint(server, case.calls["pcm"], "download=1"), headers=authorised(server))
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        'attachment; filename="2026-12-01_08-13_79104698494_101.wav"; '
        "filename*=UTF-8''2026-12-01_08-13_79104698494_101.wav")


def test_gsm_arrives_as_pcm_wav(server, case):
    answer = httpx.get(endpoint(server, case.calls["wav49"]), headers=authorised(server))
    assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
    assert answer.content[:4] == b"RIFF" and len(answer.content) > 40_000  # 3 s of 16-bit 8 kHz


@pytest.mark.parametrize(("name", "status", "words"), [
    ("missing", 404, "не найден на АТС"), ("expired", 410, "больше не хранится"), ("empty", 404, "пустая"),
    ("none", 404, "не записывался"), ("traversal", 404, "не найден"), ("absolute", 404, "не найден"),
    ("symlink", 404, "не найден"),
])
def test_what_cannot_be_played_answers_a_sentence(server, case, name, status, words):
    answer = httpx.get(endpoint(server, case.calls[name]), headers=authorised(server))
    assert answer.status_code == status and words in answer.text
    assert answer.headers["content-type"].startswith("text/plain") and "Traceback" not in answer.text


@pytest.mark.parametrize("path", [
    "..%2f..%2fsecret.wav", "%2e%2e%2fsecret.wav", "%2e%2e", "..", "%2Fetc%2Fpasswd", "..%5c..%5csecret.wav",
    "../secret.wav", "../../../../etc/passwd", "link.wav", "secret.wav",
])
def test_a_path_in_the_address_reaches_no_file(server, case, path):
    connection = http.client.HTTPConnection(server.url.split("//")[1].rstrip("/"), timeout=30)
    connection.request("GET", f"/atsnb/recordings/{path}", headers=authorised(server))  # sent as written
    answer = connection.getresponse()
    body = answer.read()
    connection.close()
    assert answer.status in (403, 404), (path, answer.status)
    assert b"RIFF" not in body and b"root:" not in body


def test_from_the_pbx_web_server_the_credentials_stay_in_the_server(case):
    """recordings.base_url with a password: the server fetches with it, the kernels' settings and the
    visitor never see it."""
    with pbx_web_server(case.folder) as base_url:
        settings = dataclasses.replace(case.settings, recordings=dataclasses.replace(
            case.settings.recordings, folder="", base_url=base_url))
        running = start_dashboards(settings, root=REPO / "dashboards", preheat=False)
        try:
            kernels = (running.workdir / "atsnb.toml").read_text()
            assert PBX_WEB_PASSWORD not in kernels and "127.0.0.1" in kernels
            answer = httpx.get(endpoint(running, case.calls["wav49"]), headers=authorised(running))
            assert answer.status_code == 200 and answer.content[:4] == b"RIFF"
            missing = httpx.get(endpoint(running, case.calls["missing"]), headers=authorised(running))
            assert missing.status_code == 404 and PBX_WEB_PASSWORD not in missing.text
            for header, value in answer.headers.items():
                assert PBX_WEB_PASSWORD not in value, header
        finally:
            running.stop()


# -- the browser -----------------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_player_plays_seeks_and_downloads(server, case, browser, viewport):
    context = browser.new_context(accept_downloads=True, locale="ru-RU", **VIEWPORTS[viewport])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if "/atsnb/recordings/" in r.url else None)
    try:
        page.goto(f"{server.url}voila/render/player.ipynb?token={server.token}", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_selector(".atsnb-player audio", timeout=LOAD_TIMEOUT_MS)
        players = page.locator(".atsnb-player")
        assert players.count() == 4  # pcm, wav49, mp3 and the unchecked empty one; the other two say why
        assert "больше не хранится на АТС" in page.locator(".atsnb-player-problem").inner_text()
        assert "не записывался" in page.locator(".atsnb-player-note").inner_text()

        for index in range(3):
            audio = players.nth(index).locator("audio")
            audio.scroll_into_view_if_needed()
            audio.click(position={"x": 22, "y": 20})  # the native control's play button
            audio.evaluate("a => a.play()")  # in case the click fell beside the button
            page.wait_for_function("a => a.currentTime > 0", arg=audio.element_handle(), timeout=30_000)
            assert audio.evaluate("a => a.error") is None
            assert audio.evaluate("a => a.seekable.length && a.seekable.end(0)") > 2.5  # ranges work
            audio.evaluate("a => { a.pause(); a.currentTime = 2.0; }")
            page.wait_for_function("a => !a.seeking && a.currentTime >= 1.99", arg=audio.element_handle(),
                                   timeout=30_000)
        assert 206 in statuses and all(s in (200, 206) for s in statuses), statuses

        players.nth(3).locator("audio").evaluate("a => a.play().catch(() => null)")  # the empty recording
        page.wait_for_selector(".atsnb-player-problem:has-text('Запись пустая')", timeout=30_000)
        assert players.count() == 3  # the control gave way to the sentence

        with page.expect_download() as caught:
            players.first.locator("a.atsnb-player-download").click()
        download = caught.value
        assert download.suggested_filename == "2026-12-01_08-13_79104698494_101.wav"
        original = case.folder / "2026/12/01/in-79104698494-101-20261201-081300-1764566000.1.wav"
        assert Path(download.path()).read_bytes() == original.read_bytes()

        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert not errors, errors
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"recordings-player-{viewport}.png"))
    finally:
        context.close()


def test_a_browser_without_the_login_gets_no_recording(server, case, browser):
    context = browser.new_context()
    try:
        answer = context.request.get(endpoint(server, case.calls["pcm"]))
        assert answer.status == 403 and b"RIFF" not in answer.body()
    finally:
        context.close()
