"""The sync survives its worst days: ``kill -9`` mid-import, and the server killing its connection."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest

from atsnb.errors import PBXConnectionError
from atsnb.flow import sync_pbx
from atsnb.store import Store
from tests.pbx_rows import create_pbx, insert, leg, settings_for, stored, sync_env

TABLES = ["cdr", "cel", "queue_log", "calls"]


def _three_months(con, per_month: int = 800) -> None:
    """Legs and CEL events spread over March–May 2025 (so the import writes several month files)."""
    legs, events = [], []
    for i in range(3 * per_month):
        when = pd.Timestamp("2025-03-01") + pd.Timedelta(minutes=int(i * 90 * 24 * 60 / (3 * per_month)))
        legs.append(leg(i + 1, when))
        events.append({"eventtype": "CHAN_START", "eventtime": str(when), "uniqueid": f"{1700000001 + i}.{i + 1}",
                       "linkedid": f"{1700000001 + i}.{i + 1}"})
    insert(con, "cdr", legs)
    insert(con, "cel", events)


def _same_store(a, b) -> None:
    for table in TABLES:
        pd.testing.assert_frame_equal(stored(a, table), stored(b, table), obj=table)


def test_kill_9_mid_import_then_a_second_run_equals_one_clean_run(pbx_db, tmp_path):
    server, db = pbx_db
    _three_months(create_pbx(server, db))
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    env = sync_env(server, db, killed, ATSNB_SYNC_BATCH_ROWS="100")
    proc = subprocess.Popen([sys.executable, "-m", "atsnb.cli", "sync", "--no-progress"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(killed.glob("cdr/*.parquet")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert proc.returncode == -signal.SIGKILL, "the sync finished before it could be killed"
    partial = stored(killed, "cdr")
    assert 0 < len(partial) < 2400
    done = subprocess.run([sys.executable, "-m", "atsnb.cli", "sync", "--no-progress"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    sync_pbx(settings_for(server, db, clean))
    assert len(stored(clean, "cdr")) == 2400
    _same_store(killed, clean)


def _kill_sync_connection(server, db, store_root, killed: list[int]) -> None:
    """Once the first month is stored, KILL the sync's connection from another session."""
    deadline = time.monotonic() + 60
    while not any(store_root.glob("cdr/*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.01)
    admin = server.connect()
    cur = admin.cursor()
    cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID()", (db,))
    for (conn_id,) in cur.fetchall():
        cur.execute(f"KILL {int(conn_id)}")
        killed.append(int(conn_id))
    admin.close()


def test_a_connection_killed_by_the_server_is_retried_and_the_sync_completes(pbx_db, tmp_path, caplog):
    server, db = pbx_db
    _three_months(create_pbx(server, db))
    store_root = tmp_path / "store"
    settings = settings_for(server, db, store_root, ATSNB_SYNC_BATCH_ROWS="50")
    killed: list[int] = []
    killer = threading.Thread(target=_kill_sync_connection, args=(server, db, store_root, killed))
    killer.start()
    report = sync_pbx(settings, store=Store.open(store_root))
    killer.join()
    assert killed, "no sync connection was found to kill"
    assert report.retries >= 1
    assert "retrying" in caplog.text or "повтор" in caplog.text
    clean = tmp_path / "clean"
    sync_pbx(settings_for(server, db, clean))
    _same_store(store_root, clean)


class _Proxy:
    """A TCP relay to MariaDB that can be cut, like a network that goes away for good."""

    def __init__(self, server):
        self.target = (server.host, server.port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


def test_a_network_that_stays_down_ends_the_sync_with_one_sentence_and_keeps_what_was_stored(pbx_db, tmp_path):
    server, db = pbx_db
    _three_months(create_pbx(server, db))
    proxy = _Proxy(server)
    store_root = tmp_path / "store"
    settings = settings_for(server, db, store_root, ATSNB_SYNC_BATCH_ROWS="50", ATSNB_SYNC_RETRIES="2",
                            ATSNB_PBX_URL=f"mysql://{server.user}:{server.password}@127.0.0.1:{proxy.port}/{db}")

    def cut_after_first_month() -> None:
        deadline = time.monotonic() + 60
        while not any(store_root.glob("cdr/*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.01)
        proxy.cut()

    cutter = threading.Thread(target=cut_after_first_month)
    cutter.start()
    with pytest.raises(PBXConnectionError, match="после 2 попыток|after 2 reconnection attempts"):
        sync_pbx(settings, store=Store.open(store_root))
    cutter.join()
    kept = stored(store_root, "cdr")
    assert 0 < len(kept) < 2400
    sync_pbx(settings_for(server, db, store_root))  # the network is back: the next run completes
    clean = tmp_path / "clean"
    sync_pbx(settings_for(server, db, clean))
    _same_store(store_root, clean)
