"""Serve the Voila dashboards (``dashboards/*.ipynb``) safely: behind a token or a password,
on the address it is told, with idle kernels culled and no kernel leaked on page reload.

Voila runs in a child process; this module only prepares it:

* secrets (the token, the password hash, the cookie secret) go into a private ``voila.py``
  (mode 600, in a private temporary folder) — never onto the command line, where ``ps`` shows them;
* the kernels get the settings as a TOML file without secrets (``ATSNB_CONFIG``) plus
  ``ATSNB_STORE`` and ``ATSNB_UI_LANGUAGE``, so every dashboard reads the same store and language;
* Voila 0.5 pitfalls are handled (see ``docs/dashboards.md``): ``--Voila.ip`` (there is no
  ``--ip`` alias), ``disable_check_xsrf`` so the page's shutdown beacon really stops its kernel on
  reload, culling of idle kernels opened by link previews and probes, and one preheated kernel
  for the main dashboard (its notebook waits for the request before loading data).
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
from dataclasses import dataclass
from pathlib import Path

from atsnb.config import SECRET_KEYS, Settings
from atsnb.errors import AtsnbError
from atsnb.shipped import dashboards_dir

DEFAULT_PORT = 8866
MAIN_DASHBOARD = "dashboard.ipynb"
PAGES = ("directories",)  # dashboards that are pages of their own, not reports of the registry
CULL_INTERVAL_S = 60
CULL_IDLE_TIMEOUT_S = 600
START_TIMEOUT_S = 120
TEMPLATES_ROOT = Path(__file__).resolve().parent / "views"  # holds voila/templates/atsnb
TEMPLATE = "atsnb"


class ServeError(AtsnbError):
    """The dashboards cannot be served as asked (unsafe address, busy port, Voila failed)."""


@dataclass
class Server:
    """A running dashboard server: its process, the address to open, and the token (if any)."""

    process: subprocess.Popen
    url: str
    token: str | None
    workdir: Path

    def page(self, name: str, query: str = "") -> str:
        """The address of one dashboard, with the token so the first visit logs in."""
        params = "&".join(p for p in (query, f"token={self.token}" if self.token else "") if p)
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
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")  # JSON scalars are valid TOML
    return "\n".join(lines) + "\n"


def kernel_environment(settings: Settings, config_file: Path) -> dict[str, str]:
    """The environment of Voila and its kernels: ours without stray ``ATSNB_*`` overrides, then
    the settings file, the store and the language."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
    env["ATSNB_CONFIG"] = str(config_file)
    env["ATSNB_STORE"] = str(settings.store_path)
    env["ATSNB_UI_LANGUAGE"] = settings.ui.language
    env["PYTHONUNBUFFERED"] = "1"
    # Our Voila template (``atsnb``: the lab template without CDN stylesheets) lives in the package.
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(TEMPLATES_ROOT), env.get("JUPYTER_PATH", "")) if p)
    return env


def voila_config(root: Path, *, token: str | None, password: str | None, preheat: bool) -> str:
    """Voila's configuration file (Python, so that the cookie secret can be bytes): how a visitor
    proves they may look, and the kernel policies of the module docstring."""
    lines = [
        f"c.Voila.cookie_secret = bytes.fromhex({secrets.token_hex(32)!r})",
        # The page's shutdown beacon carries no XSRF token; without this every reload leaks a kernel.
        "c.Voila.tornado_settings = {'disable_check_xsrf': True}",
        f"c.MappingKernelManager.cull_interval = {CULL_INTERVAL_S}",
        f"c.MappingKernelManager.cull_idle_timeout = {CULL_IDLE_TIMEOUT_S}",
        f"c.VoilaConfiguration.template = {TEMPLATE!r}",
        "c.VoilaConfiguration.show_tracebacks = False",
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
    if password:
        from jupyter_server.auth import passwd

        lines += [f"c.PasswordIdentityProvider.hashed_password = {passwd(password)!r}", "c.Voila.token = ''"]
    elif token:
        lines.append(f"c.Voila.token = {token!r}")
    if preheat and (root / MAIN_DASHBOARD).exists():
        others = sorted(p.name for p in root.glob("*.ipynb") if p.name != MAIN_DASHBOARD)
        lines += [
            "c.VoilaConfiguration.preheat_kernel = True",
            "c.VoilaConfiguration.default_pool_size = 1",
            f"c.VoilaKernelManager.preheat_denylist = {others!r}",
        ]
    return "\n".join(lines) + "\n"


def voila_command(root: Path, *, ip: str, port: int, config_dir: Path) -> list[str]:
    """The Voila command line (no secrets in it: they are in ``config_dir/voila.py``)."""
    return [
        sys.executable, "-m", "voila", str(root), "--no-browser",
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
) -> Server:
    """Start Voila on the dashboards and return once it answers HTTP (the caller stops it)."""
    if no_auth and not is_loopback(ip):
        raise ServeError(
            f"Refusing to serve the dashboards without authentication on {ip}: "
            "--no-auth is allowed only on a loopback address such as 127.0.0.1."
        )
    root = root or dashboards_dir()
    if not any(root.glob("*.ipynb")):
        raise ServeError(f"No dashboard notebooks found in {root}.")
    port = free_port(ip, port)
    token = None if no_auth or password else secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix="atsnb-serve-"))  # mode 700
    config_file = workdir / "atsnb.toml"
    config_file.write_text(settings_toml(settings), encoding="utf-8")
    voila_py = workdir / "voila.py"
    voila_py.touch(mode=0o600)
    voila_py.write_text(voila_config(root, token=token, password=password, preheat=preheat), encoding="utf-8")
    cmd = voila_command(root, ip=ip, port=port, config_dir=workdir)
    # A session of its own: Ctrl-C reaches atsnb, which then stops Voila (and its kernels) with SIGTERM.
    process = subprocess.Popen(cmd, cwd=root, env=kernel_environment(settings, config_file), start_new_session=True)
    host = f"[{ip}]" if ":" in ip else ip
    server = Server(process=process, url=f"http://{host}:{port}/", token=token, workdir=workdir)
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
) -> int:
    """Serve the dashboards until Ctrl-C: print the address (with the token, once), open the
    browser if asked.  ``demo`` only changes the greeting.  Returns Voila's exit code."""
    from atsnb.i18n import t

    server = start_dashboards(settings, port=port, ip=ip, no_auth=no_auth, password=password, preheat=preheat)
    address = server.page(MAIN_DASHBOARD.removesuffix(".ipynb"))
    print(t("dash_serve_demo" if demo else "dash_serve_ready", url=address), flush=True)
    print(t("dash_serve_others", url=server.url + (f"?token={server.token}" if server.token else "")), flush=True)
    if password:
        print(t("dash_serve_password"), flush=True)
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
