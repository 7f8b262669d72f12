"""The reliability suite, long cases: the sync on its worst days, with figures (docs/reliability.md).

Each case runs against a real MariaDB and real ``atsnb`` processes, and prints one line of the
summary table at the end:

* ``kill9``      — ``atsnb sync`` of a simulated company killed with SIGKILL at N random moments of
                   a first import (uniform over a clean run's duration, seeded), then run again:
                   the store must equal a clean run's, table by table, with no temporary file left;
* ``killconn``   — the sync's MariaDB connection killed server-side (``KILL``) at N random moments;
* ``restart``    — a MariaDB of its own (a throwaway ``mariadbd`` on a free port, never the shared
                   one) restarted N times under ``atsnb sync --follow`` while calls keep arriving;
* ``malformed``  — N rows wrong in random ways (tests/support/malformed_rows.py): crashes, good
                   rows lost, bad rows not named;
* ``history``    — the PBX purging old months of CDR, rotating it to an archive, truncating CEL;
* ``diskfull``   — the store on a small tmpfs filled up during a write (ENOSPC), and a file-size
                   limit (EFBIG): a clear error, every stored month file byte-identical;
* ``together``   — an hour of simulated live traffic, accelerated (``--speed``), with
                   ``atsnb sync --follow``, ``atsnb serve`` answering dashboard loads, readers of
                   every month file and of a report in a loop, and ``atsnb mail run-due`` /
                   ``atsnb alerts run`` when this installation has those commands: no reader may
                   see a damaged or half-written month, no process may stall on the lock;
* ``secrets``    — every artifact the run left (logs, stores, pages, reports) scanned for the PBX
                   password, SMTP password, bot token and dashboard access token.

    .venv/bin/python benchmarks/reliability.py [--cases kill9,malformed,…] [--kills 20] [--rows 1000]
        [--days 45 --employees 20] [--speed 30] [--url mysql://root:@127.0.0.1:3306] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from atsnb.config import load_settings  # noqa: E402
from atsnb.flow import sync_pbx  # noqa: E402
from atsnb.simulate import simulate, write_mysql  # noqa: E402
from atsnb.store import TABLES, Store  # noqa: E402
from tests.support.fake_bot_api import FakeBotApi  # noqa: E402
from tests.support.malformed_rows import create_loose_cdr, insert_rows, judge, malformed_cdr  # noqa: E402
from tests.support.mariadb import Server, Throwaway  # noqa: E402
from tests.support.secrets_scan import describe, scan  # noqa: E402
from tests.support.smtp_server import SMTPServer  # noqa: E402

PBX_PASSWORD = "Rel-pbx/" + uuid.uuid4().hex[:10] + "+%"
SMTP_PASSWORD = "Rel-smtp-" + uuid.uuid4().hex[:12]
BOT_TOKEN = f"{random.randrange(10**9, 10**10)}:AA{uuid.uuid4().hex}"
STATE_COMPARED = ("sync:cdr:watermark", "sync:cel:watermark", "sync:queue_log:watermark", "calls:pending_since")


@dataclass
class Result:
    case: str
    what: str
    figure: str
    ok: bool
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# -- plumbing ------------------------------------------------------------------------------------------
class Bench:
    def __init__(self, server: Server, work: Path):
        self.server, self.work = server, work
        self.artifacts = work / "artifacts"
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.databases: list[str] = []
        self.user = f"atsnb_rel_{uuid.uuid4().hex[:6]}"
        admin = server.connect().cursor()
        admin.execute(f"CREATE USER '{self.user}'@'%%' IDENTIFIED BY %s", (PBX_PASSWORD,))

    def database(self, server: Server | None = None) -> tuple[Server, str]:
        server = server or self.server
        name = f"atsnb_rel_{uuid.uuid4().hex[:10]}"
        cur = server.connect().cursor()
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        if server is self.server:
            cur.execute(f"GRANT SELECT ON `{name}`.* TO '{self.user}'@'%'")
            self.databases.append(name)
        return server, name

    def url(self, server: Server, db: str) -> str:
        """The read-only user's address for the shared server; root's for a throwaway one."""
        if server is self.server:
            return f"mysql://{self.user}:{quote(PBX_PASSWORD, safe='')}@{server.host}:{server.port}/{db}"
        return server.url(db)

    def env(self, url: str, store: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")}
        return env | {"ATSNB_PBX_URL": url, "ATSNB_STORE": str(store), "ATSNB_SMTP_PASSWORD": SMTP_PASSWORD,
                      "ATSNB_TELEGRAM_TOKEN": BOT_TOKEN, "PYTHONUNBUFFERED": "1", **extra}

    def settings(self, url: str, store: Path, **extra: str):
        return load_settings(env={"ATSNB_PBX_URL": url, "ATSNB_STORE": str(store), **extra})

    def log(self, name: str) -> Path:
        return self.artifacts / f"{name}.log"

    def close(self) -> None:
        cur = self.server.connect().cursor()
        for db in self.databases:
            cur.execute(f"DROP DATABASE IF EXISTS `{db}`")
        cur.execute(f"DROP USER IF EXISTS '{self.user}'@'%'")


def stop(procs) -> None:
    """Stop long-running atsnb processes as a service manager does (SIGTERM: sync --follow, serve
    and alerts stop cleanly on it; a background job may ignore SIGINT), killing any that hang."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def atsnb(*args: str) -> list[str]:
    return [sys.executable, "-m", "atsnb.cli", *args]


def company(bench: Bench, days: int, server: Server | None = None, employees: int = 20) -> tuple[Server, str, str]:
    """A simulated company's PBX history in a database of its own: (server, database, address)."""
    server, db = bench.database(server)
    sim = simulate(days=days, seed=11, employees=employees, end=pd.Timestamp.now(tz="Europe/Moscow").floor("h"))
    write_mysql(sim, server.url(db), progress=False)
    return server, db, bench.url(server, db)


def table_frame(root: Path, table: str) -> pd.DataFrame:
    df = Store.open(root).table(table).read()
    if df.empty:
        return df
    key = TABLES[table][1]
    return df.sort_values(key).reset_index(drop=True)


def differences(a: Path, b: Path) -> list[str]:
    """What differs between two stores: every table's rows, the sync's state, leftovers."""
    out = []
    for table in TABLES:
        x, y = table_frame(a, table), table_frame(b, table)
        try:
            pd.testing.assert_frame_equal(x, y, obj=table)
        except AssertionError as exc:
            out.append(f"{table}: {str(exc).splitlines()[0]} ({len(x)} vs {len(y)} rows)")
    ca, cb = Store.open(a).catalog, Store.open(b).catalog
    for key in STATE_COMPARED:
        if ca.get_state(key) != cb.get_state(key):
            out.append(f"state {key}: {ca.get_state(key)!r} vs {cb.get_state(key)!r}")
    leftovers = list(a.rglob("*.tmp"))
    if leftovers:
        out.append(f"temporary files left: {len(leftovers)}")
    return out


def clean_store(bench: Bench, url: str, name: str) -> tuple[Path, float]:
    root = bench.work / name
    started = time.monotonic()
    done = subprocess.run(atsnb("sync", "--no-progress"), env=bench.env(url, root), capture_output=True, text=True)
    seconds = time.monotonic() - started
    bench.log(name).write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"the clean sync failed: {done.stderr[-2000:]}")
    return root, seconds


# -- cases -----------------------------------------------------------------------------------------------
def case_kill9(bench: Bench, kills: int, rng: random.Random, size: tuple[int, int]) -> Result:
    _, _, url = company(bench, days=size[0], employees=size[1])
    reference, clean_s = clean_store(bench, url, "kill9-clean")
    passed, notes, moments = 0, [], []
    for n in range(kills):
        root = bench.work / f"kill9-{n}"
        at = rng.uniform(0.05, 0.95) * clean_s
        proc = subprocess.Popen(atsnb("sync", "--no-progress"), env=bench.env(url, root, ATSNB_SYNC_BATCH_ROWS="2000"),
                                stdout=subprocess.DEVNULL, stderr=open(bench.log(f"kill9-{n}-killed"), "w"))  # noqa: SIM115
        time.sleep(at)
        finished_first = proc.poll() is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        moments.append(f"{at:.1f}")
        done = subprocess.run(atsnb("sync", "--no-progress"), env=bench.env(url, root), capture_output=True, text=True)
        bench.log(f"kill9-{n}-resumed").write_text(done.stdout + done.stderr)
        diff = differences(root, reference) if done.returncode == 0 else [f"resume failed: {done.stderr[-300:]}"]
        if finished_first:
            notes.append(f"run {n}: finished before its kill at {at:.1f} s")
        if not diff:
            passed += 1
        else:
            notes.append(f"run {n} killed at {at:.1f} s: " + "; ".join(diff))
        shutil.rmtree(root, ignore_errors=True)
    notes.append(f"clean run {clean_s:.1f} s; killed at (s): {', '.join(moments)}")
    return Result("kill9", f"sync killed with SIGKILL at {kills} random moments, then run again",
                  f"{passed}/{kills} stores identical to a clean run", passed == kills, notes=notes)


def case_killconn(bench: Bench, kills: int, rng: random.Random, size: tuple[int, int]) -> Result:
    server, db, url = company(bench, days=size[0], employees=size[1])
    reference, clean_s = clean_store(bench, url, "killconn-clean")
    passed, hit, notes = 0, 0, []
    admin = server.connect().cursor()
    query = "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND USER = %s"
    for n in range(kills):
        root = bench.work / f"killconn-{n}"
        proc = subprocess.Popen(atsnb("sync", "--no-progress"), env=bench.env(url, root, ATSNB_SYNC_BATCH_ROWS="2000"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not admin.execute(query, (db, bench.user)) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the process starts (seconds on a busy machine) before it connects
        at = rng.uniform(0.0, 0.6) * clean_s  # a moment of the import, counted from the connection
        time.sleep(at)
        killed = 0
        admin.execute(query, (db, bench.user))
        for (conn_id,) in admin.fetchall():
            with contextlib.suppress(Exception):
                admin.execute(f"KILL CONNECTION {int(conn_id)}")
                killed += 1
        hit += bool(killed)
        _, err = proc.communicate(timeout=600)
        bench.log(f"killconn-{n}").write_text(err)
        diff = differences(root, reference) if proc.returncode == 0 else [f"exit {proc.returncode}: {err[-300:]}"]
        notes.append(f"run {n}: {killed} connection(s) killed {at:.1f} s after connecting; "
                     f"{err.count('повтор') + err.count('retrying')} reconnection(s) logged")
        if not diff:
            passed += 1
        else:
            notes.append(f"run {n}: " + "; ".join(diff))
        shutil.rmtree(root, ignore_errors=True)
    return Result("killconn", f"the sync's connection killed server-side (KILL CONNECTION) at {kills} random moments",
                  f"{passed}/{kills} runs completed, stores identical; a live connection killed in {hit} of them",
                  passed == kills and hit == kills, notes=notes)


def case_restart(bench: Bench, restarts: int, rng: random.Random) -> Result:
    own = Throwaway()
    try:
        server, db = bench.database(own.server)
        url = server.url(db)
        start = pd.Timestamp.now(tz="Europe/Moscow").floor("h") - pd.Timedelta(hours=restarts + 2)
        sim = simulate(days=3, seed=5, employees=20, end=start)
        write_mysql(sim, url, progress=False)
        root = bench.work / "restart"
        follower = subprocess.Popen(atsnb("sync", "--follow", "--interval", "1", "--json", "--no-progress"),
                                    env=bench.env(url, root, ATSNB_SYNC_RETRIES="10"), stdout=subprocess.PIPE,
                                    stderr=open(bench.log("restart-follow"), "w"), text=True)  # noqa: SIM115
        reports: list[dict] = []
        reader = threading.Thread(target=lambda: reports.extend(json.loads(line) for line in follower.stdout),
                                  daemon=True)
        reader.start()
        for n in range(restarts):
            time.sleep(rng.uniform(1, 4))
            hour = start + pd.Timedelta(hours=n)
            more = simulate(days=1, seed=100 + n, employees=20, start=hour, end=hour + pd.Timedelta(hours=1))
            write_mysql(more, url, progress=False)  # calls keep arriving, before and after the restart
            own.restart(down_s=rng.uniform(1, 5))
        seen, deadline = len(reports), time.monotonic() + 180
        while len(reports) < seen + 2 and time.monotonic() < deadline:
            time.sleep(0.5)  # two whole cycles after the last rows: the follower has caught up
        stop([follower])
        reader.join(10)
        clean = bench.work / "restart-clean"
        sync_pbx(bench.settings(url, clean))
        diff = differences(root, clean)
        retries = sum(r.get("retries", 0) for r in reports)
        log = bench.log("restart-follow").read_text()
        errors = log.count(" ERROR ")
        ok = not diff
        return Result("restart", f"MariaDB restarted {restarts} times under sync --follow while calls arrived",
                      f"{'nothing lost or doubled' if ok else 'stores differ'}; {len(reports)} cycles, "
                      f"{retries} reconnections, {errors} cycles ended by the outage and retried", ok, notes=diff)
    finally:
        own.stop()


def case_malformed(bench: Bench, rows: int) -> Result:
    server, db = bench.database()
    con = server.connect(db)
    create_loose_cdr(con)
    now = pd.Timestamp.now(tz="Europe/Moscow").tz_localize(None).floor("s")
    made = malformed_cdr(rows, seed=3, now=now)
    insert_rows(con, made)
    root = bench.work / "malformed"
    done = subprocess.run(atsnb("sync", "--json", "--no-progress"), env=bench.env(bench.url(server, db), root),
                          capture_output=True, text=True)
    bench.log("malformed").write_text(done.stdout + done.stderr)
    crashed = done.returncode != 0 or "Traceback" in done.stderr
    verdict = judge(made, table_frame(root, "cdr"), done.stderr)
    kinds = pd.Series([r.kind for r in made]).value_counts()
    notes = [f"{kind}: {count}" for kind, count in kinds.items()]
    notes += verdict.good_lost[:10] + verdict.unreported[:10] + ([verdict.wrong_count] if verdict.wrong_count else [])
    good = sum(r.kind == "good" for r in made)
    return Result("malformed", f"{rows} rows wrong in random ways ({len(kinds)} kinds; {verdict.bad} bad, {good} good)",
                  f"{int(crashed)} crashes, {len(verdict.good_lost)} good rows lost, "
                  f"{len(verdict.unreported)} bad rows not named", not crashed and verdict.ok, notes=notes)


def case_history(bench: Bench) -> Result:
    server, db, url = company(bench, days=62)
    root = bench.work / "history"
    settings = bench.settings(url, root)
    sync_pbx(settings)
    before = {t: table_frame(root, t) for t in ("cdr", "cel", "calls")}
    admin = server.connect(db).cursor()
    oldest = before["cdr"].calldate.min()
    cut = (oldest + pd.offsets.MonthBegin(1)).strftime("%Y-%m-%d")
    admin.execute("DELETE FROM cdr WHERE calldate < %s", (cut,))
    admin.execute("TRUNCATE TABLE cel")
    noon = pd.Timestamp.now(tz="Europe/Moscow").floor("D") - pd.Timedelta(hours=12)  # yesterday, working hours
    more = simulate(days=1, seed=77, employees=20, start=noon, end=noon + pd.Timedelta(minutes=45))
    write_mysql(more, server.url(db), progress=False)  # CEL is read by id: its new rows come whatever their time
    report = sync_pbx(settings)
    after = {t: table_frame(root, t) for t in ("cdr", "cel")}
    kept = all(set(before[t]._key) <= set(after[t]._key) for t in ("cdr", "cel"))
    notices = {t: r.notices for t, r in report.tables.items() if r.notices}
    again = {t: r.notices for t, r in sync_pbx(settings).tables.items() if r.notices}
    new_cel = len(after["cel"]) - len(before["cel"])
    ok = kept and set(notices) == {"cdr", "cel"} and not again and new_cel == len(more.tables["cel"])
    return Result("history", "old CDR months purged and CEL truncated on the PBX (ids from 1 again), calls go on",
                  f"history kept: {'yes' if kept else 'NO'}; noticed: {', '.join(sorted(notices)) or 'nothing'}; "
                  f"said again next run: {len(again)}; new CEL events read: {new_cel}/{len(more.tables['cel'])}",
                  ok, notes=[n for ns in notices.values() for n in ns])


def late_rows(server: Server, db: str, n: int) -> None:
    """``n`` CDR legs of the last hour, each with 200 bytes of userfield: a month file to grow."""
    from tests.pbx_rows import insert, leg

    now = pd.Timestamp.now(tz="Europe/Moscow").tz_localize(None).floor("s")
    insert(server.connect(db), "cdr", [leg(10_000_000 + i, now - pd.Timedelta(seconds=3600 - i * 3600 // n),
                                           userfield=os.urandom(100).hex()) for i in range(n)])


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*.parquet")}


def case_diskfull(bench: Bench) -> list[Result]:
    results = []
    for how in ("tmpfs", "file-size limit"):
        server, db, url = company(bench, days=40)
        disk = bench.work / f"disk-{how.split()[0]}"
        disk.mkdir()
        mounted = False
        if how == "tmpfs":
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], capture_output=True)
            mounted = done.returncode == 0
            if not mounted:
                results.append(Result("diskfull", "store on a full tmpfs (ENOSPC)", "not run: mounting needs root",
                                      True))
                continue
        try:
            root = disk / "store"
            settings = bench.settings(url, root)
            sync_pbx(settings)
            before = _digests(root)
            late_rows(server, db, 4000)
            preexec = None
            if mounted:  # the disk filled by something else, all but 256 KB: the catalog still opens
                room = shutil.disk_usage(disk).free - 256 * 1024
                with open(disk / "filler", "wb") as fh:
                    while room > 0:
                        fh.write(b"\0" * min(room, 65536))
                        room -= 65536
            else:
                newest = sorted(root.glob("cdr/*.parquet"))[-1]  # the month the late rows go to; CDR is written first
                limit = newest.stat().st_size + 16 * 1024

                def preexec(limit: int = limit) -> None:
                    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            done = subprocess.run(atsnb("sync", "--no-progress"), env=bench.env(url, root, ATSNB_UI_LANGUAGE="en"),
                                  capture_output=True, text=True, preexec_fn=preexec)
            bench.log(f"diskfull-{how.split()[0]}").write_text(done.stdout + done.stderr)
            last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
            clear = done.returncode == 2 and "disk is full" in last and "Traceback" not in done.stderr
            intact = _digests(root) == before and not list(root.rglob("*.tmp"))
            (disk / "filler").unlink(missing_ok=True)
            resumed = sync_pbx(settings)
            clean = bench.work / f"diskfull-clean-{how.split()[0]}"
            sync_pbx(bench.settings(url, clean))
            diff = differences(root, clean)
            results.append(Result(
                "diskfull", f"store's disk full during a write ({'ENOSPC on a 48 MB tmpfs' if mounted else 'EFBIG: RLIMIT_FSIZE'})",
                f"clear error: {'yes' if clear else 'NO'}; month files intact: {'yes' if intact else 'NO'}; "
                f"after freeing space: {'same as clean' if not diff else 'differs'}", clear and intact and not diff,
                notes=[last, f"resumed run added {resumed.tables['cdr'].added} CDR rows", *diff]))
        finally:
            if mounted:
                subprocess.run(["umount", "-l", str(disk)], check=False)
    return results


# -- everything at once ----------------------------------------------------------------------------------
class Readers:
    """Threads reading every month file and a report in a loop, noting every failure."""

    def __init__(self, root: Path, settings):
        self.root, self.settings = root, settings
        self.stop = threading.Event()
        self.reads = self.reports = 0
        self.failures: list[str] = []
        self.rows_seen: dict[str, int] = {}
        self.threads = [threading.Thread(target=self.files, daemon=True),
                        threading.Thread(target=self.report, daemon=True)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def files(self) -> None:
        while not self.stop.is_set():
            for path in sorted(self.root.glob("*/*.parquet")):
                try:
                    meta = pq.ParquetFile(path).metadata
                    table = pq.read_table(path)
                    if table.num_rows != meta.num_rows:
                        self.failures.append(f"{path.name}: {table.num_rows} rows read, footer says {meta.num_rows}")
                    if path.parent.name == "cdr":  # raw rows only ever grow
                        key = path.parent.name + "/" + path.name
                        if table.num_rows < self.rows_seen.get(key, 0):
                            self.failures.append(f"{key}: {table.num_rows} rows after {self.rows_seen[key]}")
                        self.rows_seen[key] = table.num_rows
                    self.reads += 1
                except FileNotFoundError:
                    continue  # replaced between the listing and the read: the next round reads the new one
                except Exception as exc:  # noqa: BLE001 - every failure is a finding
                    self.failures.append(f"{path.name}: {type(exc).__name__}: {exc}")
            time.sleep(0.05)

    def report(self) -> None:
        from atsnb.composition import Context

        while not self.stop.is_set():
            try:
                ctx = Context.from_settings(self.settings)
                rep = ctx.report("dashboard", "today")
                if rep is None:
                    self.failures.append("report: nothing built")
                self.reports += 1
            except Exception as exc:  # noqa: BLE001
                self.failures.append(f"report: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
            time.sleep(0.5)

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def available_commands() -> set[str]:
    done = subprocess.run(atsnb("--help"), capture_output=True, text=True)
    return set(re.findall(r"^    (\w+)\s", done.stdout, flags=re.MULTILINE))


def case_together(bench: Bench, speed: float, hour_s: float) -> tuple[Result, str]:
    server, db = bench.database()
    url = bench.url(server, db)
    now = pd.Timestamp.now(tz="Europe/Moscow")
    history = simulate(days=7, seed=21, employees=20, end=now - pd.Timedelta(hours=1))
    write_mysql(history, server.url(db), progress=False)
    root = bench.work / "together"
    settings = bench.settings(url, root)
    sync_pbx(settings)
    from atsnb.simulate.follow import follow
    from atsnb.simulate.sinks import MySQLSink

    wall_s = hour_s / speed
    sink = MySQLSink(server.url(db), "freepbx", progress=False)

    def live() -> None:
        """The simulated hour, from an hour ago to now, written at ``speed`` times real time: the
        simulated clock reaches the real one when the hour is over, so no row is dated ahead."""
        began = time.time()
        origin = began - hour_s

        def clock() -> float:
            return min(origin + (time.time() - began) * speed, time.time())

        follow(sink, seed=22, employees=20, calls_per_day=None, tz="Europe/Moscow", flavour="freepbx",
               recordings_share=0.5, start=pd.Timestamp(origin, unit="s", tz="UTC").tz_convert("Europe/Moscow"),
               tick_s=0.5, clock=clock, ticks=int(wall_s / 0.5))

    traffic = threading.Thread(target=live, daemon=True)
    commands = available_commands()
    with contextlib.ExitStack() as stack:
        smtp = stack.enter_context(SMTPServer(user="reports", password=SMTP_PASSWORD))
        bot_api = stack.enter_context(FakeBotApi())
        env = bench.env(url, root, ATSNB_UI_LANGUAGE="ru", ATSNB_SMTP_HOST=smtp.host, ATSNB_SMTP_PORT=str(smtp.port),
                        ATSNB_SMTP_USER="reports", ATSNB_SMTP_SENDER="atsnb@example.ru", ATSNB_SMTP_STARTTLS="no",
                        ATSNB_TELEGRAM_API_URL=bot_api.url)
        setup = _deliveries(bench, env, commands, bot_api)
        result = _together(bench, env, commands, traffic, readers_for=(root, settings), wall_s=wall_s, speed=speed,
                           url=url, setup=setup)
        for n, raw in enumerate(smtp.raw):
            (bench.artifacts / f"together-mail-{n}.eml").write_bytes(raw)
        result[0].notes.append(f"mails received by the SMTP server: {len(smtp.raw)}; "
                               f"Telegram messages sent: {len(bot_api.sent)}")
        return result


def _deliveries(bench: Bench, env: dict[str, str], commands: set[str], bot_api) -> list[str]:
    """A mailing due every minute (with the executed notebook attached) and a Telegram bot with one
    subscriber, when this installation has the mail and alerts commands."""
    done = []
    if "mail" in commands:
        csv = bench.work / "mailings.csv"
        csv.write_text("name;report;parameters;schedule;recipients;active;subject;language;attach_notebook\n"
                       "Каждую минуту;dashboard;period=today;* * * * *;boss@example.ru;1;;ru;1\n", encoding="utf-8")
        step = subprocess.run(atsnb("directory", "import", "mailings", str(csv)), env=env, capture_output=True,
                              text=True)
        bench.log("together-mailings-import").write_text(step.stdout + step.stderr)
        done.append(f"mailing import: exit {step.returncode}")
    if "telegram" in commands and "alerts" in commands:
        bot_api.add_bot(BOT_TOKEN, username="company_alerts_bot")
        step = subprocess.run(atsnb("telegram", "add-bot", "alerts"), env=env, capture_output=True, text=True,
                              input="")
        bench.log("together-add-bot").write_text(step.stdout + step.stderr)
        bot_api.write(BOT_TOKEN, chat_id=4242, text="/start", first_name="Анна")
        done.append(f"bot added: exit {step.returncode}")
    return done


def _together(bench: Bench, env: dict[str, str], commands: set[str], traffic: threading.Thread, *,
              readers_for, wall_s: float, speed: float, url: str, setup: list[str]) -> tuple[Result, str]:
    root, settings = readers_for
    procs: dict[str, subprocess.Popen] = {}
    procs["sync"] = subprocess.Popen(atsnb("sync", "--follow", "--interval", "2", "--json", "--no-progress"),
                                     env=env, stdout=open(bench.log("together-sync.out"), "w"),  # noqa: SIM115
                                     stderr=open(bench.log("together-sync"), "w"))  # noqa: SIM115
    serve = subprocess.Popen(atsnb("serve", "--no-browser", "--no-preheat"), env=env, stdout=subprocess.PIPE,
                             stderr=open(bench.log("together-serve"), "w"), text=True,  # noqa: SIM115
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    procs["serve"] = serve
    # The banner (the addresses with the token, then how to stop) is printed once, to the operator's
    # terminal, by design; it is not kept.  Everything after it is, and is scanned.
    banner: list[str] = []
    while len(banner) < 12 and (line := serve.stdout.readline()):
        banner.append(line)
        if "Ctrl-C" in line:
            break
    found = re.search(r"(http://\S+/)voila/render/dashboard\.ipynb\?token=(\S+)", banner[0] if banner else "")
    token = " ".join(sorted(set(re.findall(r"token=([\w-]+)", "".join(banner)))))  # every token it printed
    threading.Thread(target=lambda: bench.log("together-serve.out").write_text(serve.stdout.read()),
                     daemon=True).start()
    extra = []
    if "alerts" in commands:
        procs["alerts"] = subprocess.Popen(atsnb("alerts", "run"), env=env, stdout=open(bench.log("together-alerts.out"), "w"),  # noqa: SIM115
                                           stderr=open(bench.log("together-alerts"), "w"))  # noqa: SIM115
        extra.append("alerts run")
    readers = Readers(root, settings)
    traffic.start()
    readers.start()
    pages, page_failures, mail_runs, mail_failures = 0, [], 0, []
    deadline = time.monotonic() + wall_s
    import httpx

    while time.monotonic() < deadline:
        if found:
            for name in ("dashboard", "employees"):
                try:
                    answer = httpx.get(f"{found.group(1)}voila/render/{name}.ipynb", params={"token": found.group(2),
                                                                                          "period": "today"},
                                       timeout=180, follow_redirects=True)
                    pages += 1
                    (bench.artifacts / f"page-{name}-{pages}.html").write_text(answer.text)
                    if answer.status_code != 200 or "Traceback" in answer.text:
                        page_failures.append(f"{name}: HTTP {answer.status_code}")
                except httpx.HTTPError as exc:
                    page_failures.append(f"{name}: {type(exc).__name__}")
        if "mail" in commands:
            done = subprocess.run(atsnb("mail", "run-due"), env=env, capture_output=True, text=True, timeout=300)
            mail_runs += 1
            bench.log(f"together-mail-{mail_runs}").write_text(done.stdout + done.stderr)
            if done.returncode not in (0, 1) or "Traceback" in done.stderr:
                mail_failures.append(f"exit {done.returncode}")
        time.sleep(2)
    traffic.join()
    cycles_then = len(bench.log("together-sync.out").read_text().splitlines())
    while len(bench.log("together-sync.out").read_text().splitlines()) < cycles_then + 2:
        time.sleep(0.5)  # two whole cycles after the last call was written: the follower has caught up
    readers.finish()
    stalled = [name for name, p in procs.items() if p.poll() is not None]
    stop(procs.values())
    cycles = [json.loads(line) for line in bench.log("together-sync.out").read_text().splitlines() if line.startswith("{")]
    if "mail" in commands:
        extra.append(f"mail run-due ×{mail_runs}")
    gaps = _cycle_gaps(bench.log("together-sync").read_text())
    clean = bench.work / "together-clean"
    sync_pbx(bench.settings(url, clean))
    diff = [d for d in differences(root, clean) if not d.startswith("state calls:pending")]
    ok = not readers.failures and not page_failures and not mail_failures and not stalled and not diff \
        and max(gaps, default=0) < 120
    figure = (f"{readers.reads} month-file reads and {readers.reports} report builds: {len(readers.failures)} failures; "
              f"{pages} dashboard loads: {len(page_failures)} failures; {len(cycles)} sync cycles, longest gap "
              f"{max(gaps, default=0):.0f} s; store = clean sync: {'yes' if not diff else 'NO'}")
    return Result("together", f"an hour of live traffic ×{speed:g} ({wall_s:.0f} s): sync --follow, serve, "
                  f"readers{', ' + ', '.join(extra) if extra else ''}", figure, ok,
                  notes=readers.failures[:10] + page_failures[:10] + mail_failures[:5] + diff
                  + [f"exited early: {', '.join(stalled)}"] * bool(stalled)
                  + [f"missing commands (not run): {', '.join(c for c in ('mail', 'alerts') if c not in commands)}"]
                  * bool({"mail", "alerts"} - commands) + [f"access token {'seen' if token else 'not found'}"]
                  + setup), token


def _cycle_gaps(log: str) -> list[float]:
    """Seconds between the follower's consecutive log lines: a lock deadlock shows as a long one."""
    times = [pd.Timestamp(m) for m in re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", log, flags=re.MULTILINE)]
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


def case_secrets(bench: Bench, token: str) -> Result:
    secrets = {"PBX password": PBX_PASSWORD, "SMTP password": SMTP_PASSWORD, "bot token": BOT_TOKEN}
    for n, value in enumerate(token.split()):  # the tokens serve printed: dashboards, editors, administrators
        secrets[f"serve access token {n + 1}"] = value
    home = {"bot token": ("*/atsnb.sqlite", "*/atsnb.sqlite-wal")}  # the catalog keeps bot tokens by design
    hits = scan(bench.work, secrets, kept_in=home)
    files = sum(1 for p in bench.work.rglob("*") if p.is_file())
    kinds = sorted({p.suffix or p.name for p in bench.work.rglob("*") if p.is_file()})
    return Result("secrets", f"every artifact scanned ({files} files: {' '.join(kinds)}) for {len(secrets)} secrets "
                  "as is, URL-, HTML- and JSON-encoded", f"{len(hits)} hits", not hits,
                  notes=[*describe(hits).splitlines()[:20]] * bool(hits)
                  + ["the bot token is not looked for in the stores' catalogs, which keep it by design"])


# -- main ------------------------------------------------------------------------------------------------
CASES = ["kill9", "killconn", "restart", "malformed", "history", "diskfull", "together", "secrets"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--conn-kills", type=int, default=5)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--days", type=int, default=45, help="days of the simulated company that kill9/killconn import")
    parser.add_argument("--employees", type=int, default=20, help="its employees (20 calls a day each)")
    parser.add_argument("--speed", type=float, default=30.0, help="simulated seconds per real second")
    parser.add_argument("--hour", type=float, default=3600.0, help="simulated seconds of live traffic")
    parser.add_argument("--url", default="mysql://root:@127.0.0.1:3306")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--keep", metavar="DIR", help="keep the artifacts in DIR")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a stopped run still drops its databases and user
    p = urlsplit(args.url)
    server = Server(p.hostname or "127.0.0.1", p.port or 3306, p.username or "root", p.password or "")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="atsnb-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(server, work)
    rng = random.Random(args.seed)
    wanted = args.cases.split(",")
    results: list[Result] = []
    token = ""
    load = os.getloadavg()
    try:
        for case in wanted:
            started = time.monotonic()
            print(f"… {case}", file=sys.stderr, flush=True)
            try:
                if case == "kill9":
                    found = [case_kill9(bench, args.kills, rng, (args.days, args.employees))]
                elif case == "killconn":
                    found = [case_killconn(bench, args.conn_kills, rng, (args.days, args.employees))]
                elif case == "restart":
                    found = [case_restart(bench, args.restarts, rng)]
                elif case == "malformed":
                    found = [case_malformed(bench, args.rows)]
                elif case == "history":
                    found = [case_history(bench)]
                elif case == "diskfull":
                    found = case_diskfull(bench)
                elif case == "together":
                    result, token = case_together(bench, args.speed, args.hour)
                    found = [result]
                elif case == "secrets":
                    found = [case_secrets(bench, token)]
                else:
                    raise SystemExit(f"unknown case {case}; known: {', '.join(CASES)}")
            except Exception as exc:  # noqa: BLE001 - a case that breaks is a failed case, the others still run
                found = [Result(case, "the case itself failed", f"{type(exc).__name__}: {exc}", False,
                                notes=traceback.format_exc().splitlines()[-8:])]
            for result in found:
                result.seconds = time.monotonic() - started
                results.append(result)
                print(f"| {result.case} | {result.what} | {result.figure} | {'✓' if result.ok else '✗'} | "
                      f"{result.seconds:.0f} |", file=sys.stderr, flush=True)
    finally:
        bench.close()
    print(f"\nload average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; artifacts in {work}")
    print("\n| case | what | result | ok | s |\n|---|---|---|---|---|")
    for r in results:
        print(f"| {r.case} | {r.what} | {r.figure} | {'✓' if r.ok else '✗'} | {r.seconds:.0f} |")
    for r in results:
        if r.notes:
            print(f"\n{r.case}:")
            for note in r.notes:
                print(f"  {note}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
