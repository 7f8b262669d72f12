"""Serve the Voila dashboards (``dashboards/*.ipynb``) safely: behind a token or a password,
on the address it is told, with idle kernels culled and no kernel leaked on page reload.

Voila runs in a child process; this module only prepares it:

* secrets (the token, the password hash, the cookie secret) go into a private ``voila.py``
  (mode 600, in a private temporary folder) — never onto the command line, where ``ps`` shows them;
* the kernels get the settings as a TOML file without secrets (``ATSNB_CONFIG``) plus
  ``ATSNB_STORE`` and ``ATSNB_UI_LANGUAGE``, so every dashboard reads the same store and language;
  the settings page (administrators only) also gets the real settings file's path
  (``ATSNB_SETTINGS_FILE``) and the names — not the values — of the administrator's ``ATSNB_*``
  variables that set a setting (``ATSNB_LOCKED_KEYS``), which it shows locked;
* Voila 0.5 pitfalls are handled (see ``docs/dashboards.md``): ``--Voila.ip`` (there is no
  ``--ip`` alias), ``disable_check_xsrf`` so the page's shutdown beacon really stops its kernel on
  reload, culling of idle kernels opened by link previews and probes;
* the kernel economy (:mod:`atsnb.web.kernels`): kernels of pages that never connect or were
  closed are shut down within a minute, a cap on live kernels, and a preheated kernel for every
  report's default view within that cap (its notebook waits for the request before loading data).
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from atsnb.config import SECRET_KEYS, ServeSettings, Settings
from atsnb.errors import AtsnbError
from atsnb.settings_file import FILE_VARIABLE, LOCKED_VARIABLE, encode_locked, locked_by
from atsnb.shipped import dashboards_dir
from atsnb.web.kernel_budget import kernel_policy

DEFAULT_PORT = 8866
MAIN_DASHBOARD = "dashboard.ipynb"
PAGES = ("directories", "monitor", "settings")  # dashboards that are pages of their own, not reports of the registry
CULL_INTERVAL_S = 60
CULL_IDLE_TIMEOUT_S = 600
START_TIMEOUT_S = 120
TEMPLATES_ROOT = Path(__file__).resolve().parent / "views"  # holds voila/templates/atsnb
TEMPLATE = "atsnb"


class ServeError(AtsnbError):
    """The dashboards cannot be served as asked (unsafe address, busy port, Voila failed)."""


@dataclass
class Server:
    """A running dashboard server: its process, the address to open, the administrators' token
    (if any) and every role's (``tokens``: viewer, editor, admin; docs/security.md)."""

    process: subprocess.Popen
    url: str
    token: str | None
    workdir: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def page(self, name: str, query: str = "", role: str = "admin") -> str:
        """The address of one dashboard, with ``role``'s token so the first visit logs in."""
        token = self.tokens.get(role)
        params = "&".join(p for p in (query, f"token={token}" if token else "") if p)
        return f"{self.url}voila/render/{name}.ipynb" + (f"?{params}" if params else "")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)


def is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def free_port(ip: str, preferred: int | None) -> int:
    """``preferred`` when it is free; without a preference 8866, or any free port if that is taken."""
    for candidate in ([preferred] if preferred else [DEFAULT_PORT, 0]):
        with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as sock:
            # as Tornado binds: a port whose last connections are still closing (TIME_WAIT for a
            # minute after a server stops) is free to listen on again
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((ip, candidate))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise ServeError(f"Port {preferred} on {ip} is already in use; choose another one with --port.")


def settings_toml(settings: Settings) -> str:
    """The settings as TOML for the dashboard kernels, with every secret left out."""
    lines: list[str] = []
    for section, values in settings.as_dict().items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            if key in SECRET_KEYS or key == "url":
                continue
            if key == "base_url":  # the recordings URL's user and password stay with the server
                value = without_credentials(value)
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")  # JSON scalars are valid TOML
    return "\n".join(lines) + "\n"


def without_credentials(url: str) -> str:
    """``https://user:pw@pbx/rec`` → ``https://pbx/rec``."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def kernel_environment(settings: Settings, config_file: Path, settings_file: Path | None = None) -> dict[str, str]:
    """The environment of Voila and its kernels: ours without stray ``ATSNB_*`` overrides, then
    the settings file, the store and the language; for the settings page the real file and which
    settings our own ``ATSNB_*`` variables set (module docstring)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
    env[LOCKED_VARIABLE] = encode_locked(locked_by(os.environ))
    if settings_file is not None:
        env[FILE_VARIABLE] = str(Path(settings_file).expanduser().resolve())
    env["ATSNB_CONFIG"] = str(config_file)
    env["ATSNB_STORE"] = str(settings.store_path)
    env["ATSNB_UI_LANGUAGE"] = settings.ui.language
    env["PYTHONUNBUFFERED"] = "1"
    # Our Voila template (``atsnb``: the lab template without CDN stylesheets) lives in the package.
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATES_ROOT), env.get("JUPYTER_PATH", "")) if p)
    return env


def voila_config(root: Path, *, tokens: Mapping[str, str], passwords: Mapping[str, str], preheat: bool,
                 recordings_url: str = "", kernels: ServeSettings | None = None, secure_cookie: bool = False) -> str:
    """Voila's configuration file (Python, so that the cookie secret can be bytes): how a visitor
    proves they may look and in which role (a token per role, a password per role stored only as a
    hash; :mod:`atsnb.web.roles`), the kernel policies of the module docstring, and the recordings
    URL with its credentials (which the kernels' settings leave out)."""
    lines = [
        f"c.Voila.cookie_secret = bytes.fromhex({secrets.token_hex(32)!r})",
        # The page's shutdown beacon carries no XSRF token; without this every reload leaks a kernel.
        "c.Voila.tornado_settings = {'disable_check_xsrf': True}",
        f"c.MappingKernelManager.cull_interval = {CULL_INTERVAL_S}",
        f"c.MappingKernelManager.cull_idle_timeout = {CULL_IDLE_TIMEOUT_S}",
        f"c.VoilaConfiguration.template = {TEMPLATE!r}",
        "c.VoilaConfiguration.show_tracebacks = False",
        # A visitor's ?template= / ?theme= would pick files on the server (and fail with a 500).
        "c.VoilaConfiguration.allow_template_override = 'NO'",
        "c.VoilaConfiguration.allow_theme_override = 'NO'",
        # Kernels talk to Voila over Unix sockets in the private folder, not loopback TCP ports.
        "c.KernelManager.transport = 'ipc'",
        # Jupyter Server keeps its own websocket pings in milliseconds (timeout 3 × interval, which
        # it needs) and hands the same numbers to Tornado, which reads them as seconds and warns at
        # the first connection that the timeout exceeds the interval: noise on the console, nothing
        # to act on, so that one message is dropped.
        "import logging",
        "logging.getLogger('tornado.general').addFilter("
        "lambda record: 'websocket_ping_timeout' not in record.getMessage())",
    ]
    if recordings_url != without_credentials(recordings_url):
        lines.append(f"c.AtsnbVoila.recordings_base_url = {recordings_url!r}")
    lines += access_config(tokens, passwords, secure_cookie=secure_cookie)
    kernels = kernels or ServeSettings()
    lines += kernel_policy(root, unconnected_timeout_s=kernels.unconnected_timeout_s,
                           disconnected_grace_s=kernels.disconnected_grace_s, max_kernels=kernels.max_kernels,
                           pool_size=kernels.pool_size, preheat=preheat, pages=PAGES, main=MAIN_DASHBOARD,
                           preheat_reports=kernels.preheat_reports)
    return "\n".join(lines) + "\n"


ROLES = ("viewer", "editor", "admin")


def role_tokens(settings: Settings, *, fresh: bool) -> dict[str, str]:
    """Each role's token: the ``access`` settings' (links that survive restarts), else — unless
    the server logs in with passwords — a fresh one for this run."""
    access = settings.access
    tokens = {role: getattr(access, f"{role}_token") for role in ROLES}
    if fresh:
        tokens = {role: token or secrets.token_urlsafe(24) for role, token in tokens.items()}
    tokens = {role: token for role, token in tokens.items() if token}
    if len(set(tokens.values())) != len(tokens):
        raise ServeError("Two roles have the same access token in the settings; give each role its own.")
    return tokens


def role_passwords(settings: Settings, password: str | None) -> dict[str, str]:
    """Each role's password: the ``access`` settings', ``password`` standing for the administrators'."""
    access = settings.access
    passwords = {role: getattr(access, f"{role}_password") for role in ROLES}
    if password:
        passwords["admin"] = password
    passwords = {role: pw for role, pw in passwords.items() if pw}
    if len(set(passwords.values())) != len(passwords):
        raise ServeError("Two roles have the same password; give each role its own, the password decides the role.")
    return passwords


def access_config(tokens: Mapping[str, str], passwords: Mapping[str, str], *, secure_cookie: bool) -> list[str]:
    """The configuration lines of :class:`atsnb.web.roles.RoleIdentityProvider`."""
    from jupyter_server.auth import passwd

    lines = [f"c.RoleIdentityProvider.role_tokens = {dict(tokens)!r}",
             f"c.RoleIdentityProvider.role_password_hashes = { {r: passwd(p) for r, p in passwords.items()}!r}"]
    if secure_cookie:  # behind a TLS proxy the server itself sees plain HTTP
        lines.append("c.RoleIdentityProvider.secure_cookie = True")
    return lines


def voila_command(root: Path, *, ip: str, port: int, config_dir: Path) -> list[str]:
    """The Voila command line (no secrets in it: they are in ``config_dir/voila.py``): Voila with
    atsnb's own endpoints (:mod:`atsnb.web`, e.g. the call recordings)."""
    return [
        sys.executable, "-m", "atsnb.web", str(root), "--no-browser",
        f"--Voila.ip={ip}", f"--port={port}",
        f"--Voila.config_file_paths={config_dir}",
        "--Voila.log_level=ERROR",  # not a line per request about unsigned notebooks
    ]


def start_dashboards(
    settings: Settings,
    *,
    port: int | None = None,
    ip: str = "127.0.0.1",
    no_auth: bool = False,
    password: str | None = None,
    preheat: bool = True,
    root: Path | None = None,
    log: IO[bytes] | None = None,
    settings_file: str | os.PathLike[str] | None = None,
) -> Server:
    """Start Voila on the dashboards and return once it answers HTTP (the caller stops it).
    Tokens are the ``access`` settings' or fresh ones; with ``password`` (the administrators') or
    the ``access`` passwords, only the configured tokens are taken.  ``log``: where Voila's log
    goes (default: this process's stderr).  ``settings_file``: the TOML file ``settings`` were read
    from, which the settings page edits."""
    if no_auth and not is_loopback(ip):
        raise ServeError(
            f"Refusing to serve the dashboards without authentication on {ip}: "
            "--no-auth is allowed only on a loopback address such as 127.0.0.1."
        )
    root = root or dashboards_dir()
    if not any(root.glob("*.ipynb")):
        raise ServeError(f"No dashboard notebooks found in {root}.")
    port = free_port(ip, port)
    passwords = {} if no_auth else role_passwords(settings, password)
    tokens = {} if no_auth else role_tokens(settings, fresh=not passwords)
    workdir = Path(tempfile.mkdtemp(prefix="atsnb-serve-"))  # mode 700
    config_file = workdir / "atsnb.toml"
    config_file.write_text(settings_toml(settings), encoding="utf-8")
    voila_py = workdir / "voila.py"
    voila_py.touch(mode=0o600)
    voila_py.write_text(voila_config(root, tokens=tokens, passwords=passwords, preheat=preheat,
                                      recordings_url=settings.recordings.base_url, kernels=settings.serve,
                                      secure_cookie=settings.ui.public_url.startswith("https://")),
                        encoding="utf-8")
    cmd = voila_command(root, ip=ip, port=port, config_dir=workdir)
    # A session of its own: Ctrl-C reaches atsnb, which then stops Voila (and its kernels) with SIGTERM.
    env = kernel_environment(settings, config_file, Path(settings_file) if settings_file else None)
    process = subprocess.Popen(cmd, cwd=root, env=env, start_new_session=True, stderr=log)
    host = f"[{ip}]" if ":" in ip else ip
    server = Server(process=process, url=f"http://{host}:{port}/", token=tokens.get("admin"), workdir=workdir,
                    tokens=tokens)
    try:
        _wait_until_up(server)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_until_up(server: Server) -> None:
    """Until Voila answers HTTP (any answer: the login redirect counts), or fails, or times out."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServeError(f"Voila stopped at start-up with exit code {server.process.returncode}; see the log above.")
        try:
            with urllib.request.urlopen(server.url, timeout=2):  # plain urllib: no request log lines
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise ServeError(f"Voila did not answer on {server.url} within {START_TIMEOUT_S} s.")


def serve_dashboards(
    settings: Settings,
    *,
    port: int | None = None,
    ip: str = "127.0.0.1",
    no_auth: bool = False,
    password: str | None = None,
    open_browser: bool = True,
    demo: bool = False,
    preheat: bool = True,
    settings_file: str | os.PathLike[str] | None = None,
) -> int:
    """Serve the dashboards until Ctrl-C: print the address (with the token, once), open the
    browser if asked.  ``demo`` only changes the greeting.  Returns Voila's exit code."""
    from atsnb.i18n import t

    server = start_dashboards(settings, port=port, ip=ip, no_auth=no_auth, password=password, preheat=preheat,
                              settings_file=settings_file)
    address = server.page(MAIN_DASHBOARD.removesuffix(".ipynb"), role="viewer")
    print(t("dash_serve_demo" if demo else "dash_serve_ready", url=address), flush=True)
    print(t("dash_serve_others", url=server.url + (f"?token={server.token}" if server.token else "")), flush=True)
    if server.tokens:
        print(t("sec_serve_viewer", url=address), flush=True)
        print(t("sec_serve_editor", url=server.page("directories", role="editor")), flush=True)
        print(t("sec_serve_admin", url=server.url + f"?token={server.token}"), flush=True)
    passwords = {} if no_auth else role_passwords(settings, password)
    if passwords:
        print(t("sec_serve_passwords", roles=", ".join(t(f"sec_role_{role}") for role in passwords)), flush=True)
    print(t("dash_serve_stop"), flush=True)
    if open_browser:
        webbrowser.open(address)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # a service manager's stop = Ctrl-C
    try:
        return server.process.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
