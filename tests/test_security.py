"""The dashboards server's defences over HTTP, against a real ``atsnb serve`` (Voila with atsnb's
guard): every endpoint refused without a login, roles kept apart (a viewer's token opens neither
the directories page nor its kernel), no ``500`` and no traceback on odd addresses, no token in the
log, an open server refused off loopback, the login rate-limited, cookie flags and the
Content-Security-Policy header (docs/security.md lists what each test here covers)."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import websockets

from atsnb.serve import Server, free_port, start_dashboards
from tests.support.browser import run_async

REPO = Path(__file__).resolve().parent.parent

# one address per endpoint (docs/security.md), each answered only after a login
GUARDED = [
    "", "voila/tree/", "voila/render/dashboard.ipynb", "voila/render/directories.ipynb",
    "voila/static/voila.js", "voila/templates/atsnb/static/voila.js", "voila/api/themes/theme.css",
    "voila/labextensions/@voila-dashboards/widgets-manager8/package.json", "voila/files/logo.png",
    "voila/api/contents/", "api/kernels/00000000-0000-4000-8000-000000000000",
    "atsnb/recordings/1.1", "atsnb/view/dashboard", "atsnb/kernels.json", "monitor/", "monitor/sales",
    "atsnb/monitor/sales.json",
]
ODD = [
    "voila/templates/", "voila/templates/x", "voila/templates/../../etc/passwd", "voila/templates/lab/static/",
    "voila/static/", "voila/static/../../../etc/passwd", "voila/api/themes/", "voila/labextensions/",
    "voila/files/", "voila/files/../README.md", "voila/files/dashboard.ipynb", "voila/render/",
    "voila/render/nope.ipynb", "voila/render/..%2f..%2fetc%2fpasswd", "voila/render/%ff.ipynb",
    "voila/tree/nope", "voila/api/contents/nope", "voila/api/shutdown/abc", "voila/query/abc",
    "api/kernels/abc", "api/kernels/00000000-0000-4000-8000-000000000000/channels", "%", "%00", "..", "logout",
    "login?next=//evil.example", "atsnb/view/", "atsnb/view/nope", "atsnb/view/dashboard?period=lastweek",
    "atsnb/view/dashboard?start=2025-13-01", "atsnb/recordings/", "atsnb/recordings/%2e%2e", "monitor/%ff",
    "nothing/here",
]


@pytest.fixture(scope="module")
def served(demo, tmp_path_factory) -> Iterator[tuple[Server, Path]]:
    store, settings = demo
    log = tmp_path_factory.mktemp("security") / "voila.log"
    with log.open("wb") as sink:
        server = start_dashboards(settings, preheat=False, log=sink)
        try:
            yield server, log
        finally:
            server.stop()


def get(server: Server, path: str, role: str | None = None, **kwargs) -> httpx.Response:
    headers = kwargs.pop("headers", {})
    if role:
        headers["Authorization"] = f"token {server.tokens[role]}"
    return httpx.get(server.url + path, headers=headers, follow_redirects=False, timeout=120, **kwargs)


def kernels(server: Server) -> int:
    return sum("ipykernel" in " ".join(p.cmdline()) for p in psutil.Process(server.process.pid).children(recursive=True))


def test_three_roles_three_tokens(served):
    server, _ = served
    assert set(server.tokens) == {"viewer", "editor", "admin"} and len(set(server.tokens.values())) == 3
    assert server.token == server.tokens["admin"]


@pytest.mark.parametrize("path", GUARDED)
def test_every_endpoint_is_refused_without_a_login(served, path):
    server, _ = served
    for headers in ({}, {"Authorization": "token wrong"}, {"Cookie": "username-127-0-0-1=forged"}):
        answer = get(server, path, headers=headers)
        assert answer.status_code in (302, 403), (path, headers, answer.status_code)
        if answer.status_code == 302:
            assert answer.headers["location"].startswith("/login?next="), path
        assert "Traceback" not in answer.text


def test_a_viewer_token_opens_the_reports_but_not_the_directories_and_starts_no_kernel_there(served):
    server, _ = served
    before = kernels(server)
    refused = get(server, "voila/render/directories.ipynb", "viewer")
    assert refused.status_code == 403 and "редактор справочников" in refused.text
    assert get(server, "voila/render/directories.ipynb?token=" + server.tokens["viewer"]).status_code == 403
    assert kernels(server) == before
    # a viewer's cookie is a viewer's: it cannot be raised by asking for another page
    with httpx.Client(base_url=server.url, timeout=120) as browser:
        assert browser.get("monitor/", params={"token": server.tokens["viewer"]}).status_code == 200
        assert browser.get("voila/render/directories.ipynb", follow_redirects=False).status_code == 403


def test_the_directories_kernel_is_refused_to_a_viewer_over_its_api_and_websocket(served):
    server, _ = served
    page = get(server, "voila/render/directories.ipynb?template=../../../etc&theme=../x", "editor")
    assert page.status_code == 200  # a visitor cannot pick the server's templates (that was a 500)
    kernel = re.search(r'"kernelId"\s*:\s*"([0-9a-f-]{36})"', page.text) or \
        re.search(r"kernel_id\W+([0-9a-f-]{36})", page.text)
    assert kernel, "no kernel id in the page"
    kernel_id = kernel.group(1)
    assert get(server, f"api/kernels/{kernel_id}", "viewer").status_code == 403
    assert get(server, f"api/kernels/{kernel_id}", "editor").status_code == 200
    ws = server.url.replace("http://", "ws://") + f"api/kernels/{kernel_id}/channels"

    async def connect(role: str) -> str:
        try:
            async with websockets.connect(ws, additional_headers={
                    "Authorization": f"token {server.tokens[role]}", "Origin": server.url.rstrip("/")}):
                return "open"
        except websockets.exceptions.InvalidStatus as exc:
            return str(exc.response.status_code)

    assert run_async(connect("viewer")) == "403"
    assert run_async(connect("editor")) == "open"
    shut = httpx.post(server.url + f"voila/api/shutdown/{kernel_id}",
                      headers={"Authorization": f"token {server.tokens['viewer']}"}, timeout=60)
    assert shut.status_code == 403
    assert get(server, f"api/kernels/{kernel_id}", "editor").status_code == 200  # still running


@pytest.mark.parametrize("role", [None, "viewer", "admin"])
def test_odd_addresses_answer_a_clear_status_never_500(served, role):
    server, log = served
    for path in ODD:
        answer = get(server, path, role)
        assert answer.status_code < 500, (path, role, answer.status_code, answer.text[:200])
        assert "Traceback" not in answer.text, path
    assert "Traceback" not in log.read_text(errors="replace")


def test_no_token_or_password_reaches_the_log(served):
    server, log = served
    secrets = list(server.tokens.values())
    for token in secrets:
        get(server, f"voila/files/README.md?token={token}")
        get(server, f"voila/render/nope.ipynb?token={token}")
        get(server, f"atsnb/recordings/nope?token={token}&download=1")
        get(server, f"voila/api/shutdown/abc?token={token}")
        get(server, "voila/templates/x", headers={"Authorization": f"token {token}", "Referer": f"/x?token={token}"})
    with httpx.Client(base_url=server.url) as client:
        page = client.get("login")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
        client.post("login", data={"password": "hunter2-typed-wrong", "_xsrf": xsrf},
                    headers={"X-Real-IP": "198.51.100.9"})
    text = log.read_text(errors="replace")
    assert "[secret]" in text  # the refused requests were written, their tokens blanked
    assert not any(token in text for token in secrets)
    assert "hunter2" not in text


def test_an_open_server_refuses_to_listen_beyond_loopback(tmp_path):
    """``atsnb serve`` refuses first (tests/test_views_serve.py); the server itself refuses too,
    however it is started."""
    port = free_port("127.0.0.1", None)
    run = subprocess.run([sys.executable, "-m", "atsnb.web", str(REPO / "dashboards"), "--no-browser",
                          "--Voila.ip=0.0.0.0", f"--port={port}", f"--Voila.config_file_paths={tmp_path}"],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ATSNB_STORE": str(tmp_path / "store")})
    assert run.returncode == 1
    assert "Refusing to serve the dashboards without authentication on 0.0.0.0" in run.stderr


def login(client: httpx.Client, secret: str, ip: str) -> httpx.Response:
    page = client.get("login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    return client.post("login", data={"password": secret, "_xsrf": xsrf}, headers={"X-Real-IP": ip},
                       follow_redirects=False)


def test_the_login_sets_a_role_cookie_with_its_flags(served):
    server, _ = served
    with httpx.Client(base_url=server.url, timeout=60) as client:
        answer = login(client, server.tokens["editor"], "192.0.2.10")
        assert answer.status_code == 302
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
        assert client.get("voila/render/settings.ipynb", follow_redirects=False).status_code == 403  # admin's
        assert client.get("atsnb/view/nope").status_code == 404  # logged in: a sentence, not a refusal
    with httpx.Client(base_url=server.url, timeout=60) as forged:
        forged.cookies.set(cookie.split("=", 1)[0], "2|1:0|10:1|5:admin|4:e30=|deadbeef")
        assert forged.get("atsnb/kernels.json").status_code == 403
    without_xsrf = httpx.post(server.url + "login", data={"password": server.tokens["admin"]}, timeout=60)
    assert without_xsrf.status_code == 403


def test_the_login_is_rate_limited_per_client(served):
    server, _ = served
    with httpx.Client(base_url=server.url, timeout=60) as attacker:
        for _ in range(5):
            assert login(attacker, "guess", "203.0.113.7").status_code == 403
        blocked = login(attacker, server.tokens["admin"], "203.0.113.7")  # even the right one now
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert "попробуйте снова" in blocked.text
    with httpx.Client(base_url=server.url, timeout=60) as colleague:  # another client is not locked out
        assert login(colleague, server.tokens["viewer"], "203.0.113.8").status_code == 302


def test_every_answer_has_the_security_headers(served):
    server, _ = served
    for path, role in (("login", None), ("voila/tree/", "viewer"), ("nothing", None), ("voila/static/x", "viewer"),
                       ("atsnb/recordings/x", "viewer"), ("monitor/", "viewer")):
        headers = get(server, path, role).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'self'" in csp, path
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"


def test_recordings_can_be_kept_from_viewers(demo, tmp_path):
    _, settings = demo
    closed = dataclasses.replace(settings, recordings=dataclasses.replace(settings.recordings, viewers=False))
    server = start_dashboards(closed, preheat=False)
    try:
        refused = get(server, "atsnb/recordings/nope", "viewer")
        assert refused.status_code == 403 and "recordings.viewers" in refused.text
        assert get(server, "atsnb/recordings/nope", "editor").status_code == 404  # looked for: not there
    finally:
        server.stop()
