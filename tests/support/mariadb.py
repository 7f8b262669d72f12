"""A real MariaDB for the tests: the one already running, or a throwaway ``mariadbd``.

Order: ``ATSNB_TEST_MYSQL`` (``mysql://user:pass@host:port``) if set; else 127.0.0.1:3306 as root
with an empty password if it answers; else a fresh ``mariadbd`` on a free port in a temporary data
folder (needs the Debian package ``mariadb-server``).  If none is possible the tests fail with a
sentence saying what to install — they never skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pymysql


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str

    def connect(self, database: str | None = None, **kw) -> pymysql.Connection:
        return pymysql.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                               database=database, autocommit=True, charset="utf8mb4", **kw)

    def url(self, database: str) -> str:
        return f"mysql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"


def _answers(server: Server) -> bool:
    try:
        server.connect(connect_timeout=3).close()
        return True
    except pymysql.err.MySQLError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Throwaway:
    """A private ``mariadbd`` in a temporary folder, stopped and removed by :meth:`stop`."""

    def __init__(self) -> None:
        binary = shutil.which("mariadbd") or ("/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None)
        installer = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
        if not binary or not installer:
            raise RuntimeError(
                "No MariaDB answers at 127.0.0.1:3306 and mariadbd is not installed: "
                "install the Debian package mariadb-server (apt-get install mariadb-server) "
                "or set ATSNB_TEST_MYSQL=mysql://user:password@host:port."
            )
        self.dir = Path(tempfile.mkdtemp(prefix="atsnb-mariadb-"))
        self.port = free_port()
        user = ["--user=root"] if os.geteuid() == 0 else []
        done = subprocess.run([installer, "--no-defaults", f"--datadir={self.dir / 'data'}",
                               "--auth-root-authentication-method=normal", "--skip-test-db", *user],
                              capture_output=True, text=True)
        if done.returncode != 0:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise RuntimeError(f"{installer} failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
        self.command = [binary, "--no-defaults", f"--datadir={self.dir / 'data'}", f"--port={self.port}",
                        "--bind-address=127.0.0.1", f"--socket={self.dir / 'sock'}", f"--pid-file={self.dir / 'pid'}",
                        "--skip-log-bin", "--innodb-buffer-pool-size=256M", *user]
        self.server = Server("127.0.0.1", self.port, "root", "")
        self._launch()

    def _launch(self) -> None:
        self.proc = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "err.log", "a"))  # noqa: SIM115
        deadline = time.monotonic() + 60
        while not _answers(self.server):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                log = (self.dir / "err.log").read_text()[-2000:]
                self.stop()
                raise RuntimeError(f"The throwaway mariadbd did not start:\n{log}")
            time.sleep(0.3)

    def halt(self) -> None:
        """Stop the server as a service manager does (SIGTERM, a clean shutdown), keeping its data."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def restart(self, down_s: float = 0.0) -> None:
        """A server restart: down for ``down_s`` seconds, then up again on the same port and data."""
        self.halt()
        time.sleep(down_s)
        self._launch()

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)


def find_or_start() -> tuple[Server, Throwaway | None]:
    url = os.environ.get("ATSNB_TEST_MYSQL")
    if url:
        p = urlsplit(url)
        server = Server(p.hostname or "127.0.0.1", p.port or 3306, p.username or "root", p.password or "")
        if not _answers(server):
            raise RuntimeError(f"ATSNB_TEST_MYSQL points at {server.host}:{server.port}, which does not answer.")
        return server, None
    default = Server("127.0.0.1", 3306, "root", "")
    if _answers(default):
        return default, None
    throwaway = Throwaway()
    return throwaway.server, throwaway
