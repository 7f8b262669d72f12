"""``atsnb serve`` without a browser: the safety rules (no open server off loopback, no secret on
the command line or in the kernels' settings) and a real Voila answering behind its token."""

from __future__ import annotations

import os
import socket
import stat
import tomllib
from pathlib import Path

import httpx
import pytest

from atsnb.cli import main
from atsnb.config import ServeSettings, Settings
from atsnb.serve import (
    ServeError,
    free_port,
    is_loopback,
    kernel_environment,
    settings_toml,
    start_dashboards,
    voila_command,
    voila_config,
)


def test_no_auth_is_refused_on_an_address_other_than_loopback(tmp_path):
    with pytest.raises(ServeError, match="only on a loopback address"):
        start_dashboards(Settings(), ip="0.0.0.0", no_auth=True)


def test_the_cli_says_so_in_one_sentence_without_a_traceback(capsys):
    assert main(["serve", "--no-auth", "--ip", "192.168.1.10", "--no-browser"]) == 2
    err = capsys.readouterr().err
    assert "Refusing to serve the dashboards without authentication on 192.168.1.10" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("ip", "loopback"), [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                              ("0.0.0.0", False), ("10.0.0.5", False), ("example.org", False)])
def test_loopback_addresses_are_recognised(ip, loopback):
    assert is_loopback(ip) is loopback


def test_a_port_whose_last_connection_is_still_closing_is_free_to_serve_on():
    """A server stopped a moment ago leaves its port in TIME_WAIT for a minute; Voila (Tornado)
    can listen there again, so the port check must not send the demo elsewhere."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        served, _ = listener.accept()
        served.close()  # the server's side closes first, so its end of the connection waits in TIME_WAIT
        client.recv(1)
        client.close()
    assert free_port("127.0.0.1", port) == port


def test_a_port_somebody_listens_on_is_refused_by_name():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(ServeError, match=f"Port {port} on 127.0.0.1 is already in use"):
            free_port("127.0.0.1", port)


def test_secrets_stay_out_of_the_kernels_settings_and_off_the_command_line(tmp_path):
    settings = Settings()
    settings.pbx.password = "pbx-secret"
    settings.smtp.password = "smtp-secret"
    settings.pbx.url = "mysql://u:url-secret@h/db"
    settings.store.path = str(tmp_path / "store")
    toml = settings_toml(settings)
    assert not any(secret in toml for secret in ("pbx-secret", "smtp-secret", "url-secret"))
    assert 'timezone = "Europe/Moscow"' in toml
    assert tomllib.loads(toml)["store"]["path"] == str(tmp_path / "store")
    root = tmp_path / "dashboards"
    root.mkdir()
    (root / "dashboard.ipynb").write_text("{}")
    (root / "lines.ipynb").write_text("{}")
    config = voila_config(root, tokens={"viewer": "tok-123"}, passwords={}, preheat=True)
    assert "c.RoleIdentityProvider.role_tokens = {'viewer': 'tok-123'}" in config
    assert "'dashboard.ipynb': {'pool_size': 1}, 'lines.ipynb': {'pool_size': 1}" in config  # every report preheated
    main_only = voila_config(root, tokens={}, passwords={}, preheat=True, kernels=ServeSettings(preheat_reports=False))
    assert "'dashboard.ipynb': {'pool_size': 1}}" in main_only and "lines.ipynb" not in main_only
    assert "disable_check_xsrf" in config and "cull_idle_timeout" in config
    command = " ".join(voila_command(root, ip="127.0.0.1", port=1, config_dir=tmp_path))
    assert "tok-123" not in command and "--Voila.ip=127.0.0.1" in command


def test_a_password_is_stored_only_as_a_hash():
    config = voila_config(Path("."), tokens={}, passwords={"admin": "letmein"}, preheat=False)
    assert "letmein" not in config and "role_password_hashes = {'admin': 'argon2:" in config


def test_kernels_get_the_store_and_language_of_these_settings_not_stray_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("ATSNB_PBX_PASSWORD", "leak")
    settings = Settings()
    settings.store.path = str(tmp_path)
    settings.ui.language = "en"
    env = kernel_environment(settings, tmp_path / "atsnb.toml")
    assert env["ATSNB_STORE"] == str(tmp_path) and env["ATSNB_UI_LANGUAGE"] == "en"
    assert "ATSNB_PBX_PASSWORD" not in env


def test_a_real_voila_answers_only_with_the_token_and_keeps_its_secrets_private(tmp_path):
    settings = Settings()
    settings.store.path = str(tmp_path / "store")
    server = start_dashboards(settings, preheat=False)
    try:
        config = server.workdir / "voila.py"
        assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
        assert server.token and server.token in config.read_text()
        page = server.page("lines").replace(f"?token={server.token}", "")
        refused = httpx.get(page, follow_redirects=False, timeout=30)
        assert refused.status_code in {302, 403} and "login" in refused.headers.get("location", "login")
        cmdline = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().decode()
        assert server.token not in cmdline
    finally:
        server.stop()
    assert server.process.poll() is not None and not server.workdir.exists()
