"""Sync throughput against the driver's ceiling, measured in one run, then one ``--follow`` cycle.

1. fills a MariaDB database with N FreePBX CDR legs (default 1,000,000; generated server-side
   with the SEQUENCE engine, about a year of a busy PBX), unless it already holds them;
2. measures the raw pymysql streaming fetch (``SSCursor`` + ``fetchmany``, rows discarded) — the
   ceiling: pymysql is CPU-bound on one core;
3. runs ``atsnb sync`` into an empty store in a child process and measures its wall time, the
   share spent re-deriving calls, and the child's peak RSS;
4. prints rows/s for both and the ratios (target: the whole sync ≥ 0.8 × raw fetch; peak RSS
   < 500 MB);
5. on the year's store, times the cycles of ``atsnb sync --follow`` as its running process does
   them: one with nothing new, then one after a minute of new legs (``--follow-legs``, written
   into the last minute of the year) is inserted into MariaDB (target: < 2 s).  The new legs are
   deleted afterwards, so the database can be reused.

    .venv/bin/python benchmarks/sync.py [--rows N] [--url mysql://root:@127.0.0.1:3306] [--refill] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pymysql
import pymysql.cursors

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from atsnb.source.schemas import pbx_ddl  # noqa: E402

DATABASE = "atsnb_bench_sync"

FILL = """
INSERT INTO cdr (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec,
                 disposition, amaflags, accountcode, uniqueid, userfield, did, recordingfile, cnum, cnam,
                 outbound_cnum, outbound_cnam, dst_cnam, linkedid, peeraccount, sequence)
SELECT {calldate},
       CONCAT('"Client ', s.seq MOD 9973, '" <8495', LPAD(s.seq MOD 9999991, 7, '0'), '>'),
       CONCAT('8495', LPAD(s.seq MOD 9999991, 7, '0')),
       CONCAT('1', LPAD(s.seq MOD 50, 2, '0')),
       'from-trunk',
       CONCAT('PJSIP/trunk', s.seq MOD 5, '-', LPAD(HEX(s.seq), 8, '0')),
       CONCAT('PJSIP/1', LPAD(s.seq MOD 50, 2, '0'), '-', LPAD(HEX(s.seq * 7), 8, '0')),
       'Dial', CONCAT('PJSIP/1', LPAD(s.seq MOD 50, 2, '0'), ',30,tT'),
       15 + s.seq MOD 300, IF(s.seq MOD 4 = 0, 0, s.seq MOD 290),
       ELT(1 + s.seq MOD 4, 'NO ANSWER', 'ANSWERED', 'ANSWERED', 'BUSY'), 3, '',
       CONCAT(1735689600 + s.seq DIV 3, '.', s.seq), '', CONCAT('7495100', LPAD(s.seq MOD 10, 4, '0')),
       IF(s.seq MOD 3 = 0, CONCAT('in-7495-8495-20250101-000000-', 1735689600 + s.seq DIV 3, '.', s.seq, '.wav'), ''),
       '', '', '', '', '', CONCAT(1735689600 + s.seq DIV 3, '.', s.seq - s.seq MOD 3), '', s.seq
FROM seq_{first}_to_{last} AS s
"""
YEAR = "TIMESTAMP('2025-01-01 00:00:00') + INTERVAL (s.seq * 31536000 DIV {n}) SECOND"  # legs 1..n
# legs n+1..n+k spread over the minute that ends with the year's last leg
MINUTE = "TIMESTAMP('{end}') - INTERVAL 59 SECOND + INTERVAL ((s.seq - {n} - 1) * 60 DIV {k}) SECOND"


def server_connect(url: str, database: str | None = None, **kw) -> pymysql.Connection:
    p = urlsplit(url)
    return pymysql.connect(host=p.hostname or "127.0.0.1", port=p.port or 3306, user=p.username or "root",
                           password=p.password or "", database=database, autocommit=True, **kw)


def fill(url: str, rows: int, refill: bool) -> None:
    con = server_connect(url)
    cur = con.cursor()
    cur.execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
    cur.execute(f"USE {DATABASE}")
    cur.execute("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s AND TABLE_NAME = 'cdr'",
                (DATABASE,))
    if cur.fetchone()[0] and not refill:
        cur.execute(f"DELETE FROM cdr WHERE sequence > {rows}")  # a follow cycle's legs left by a killed run
        cur.execute("SELECT COUNT(*) FROM cdr")
        if cur.fetchone()[0] == rows:
            print(f"reusing {rows:,} legs in {DATABASE}.cdr")
            return
    for table in ("cdr", "cel", "queue_log", "quality_ratings", "website_callbacks"):
        cur.execute(f"DROP TABLE IF EXISTS {table}")
    for statement in pbx_ddl("freepbx"):
        cur.execute(statement)
    started = time.perf_counter()
    cur.execute(FILL.format(calldate=YEAR.format(n=rows), first=1, last=rows))
    cur.execute("ANALYZE TABLE cdr")
    print(f"filled {rows:,} legs in {time.perf_counter() - started:.1f} s")


def raw_fetch(url: str, batch: int) -> tuple[int, float, float]:
    """Rows, wall and CPU seconds for connect + SELECT * + fetchmany until done (rows discarded)."""
    wall, cpu = time.perf_counter(), time.process_time()
    con = server_connect(url, DATABASE, charset="utf8mb4")
    count = 0
    with con.cursor(pymysql.cursors.SSCursor) as cur:
        cur.execute("SELECT * FROM cdr")
        while rows := cur.fetchmany(batch):
            count += len(rows)
    con.close()
    return count, time.perf_counter() - wall, time.process_time() - cpu


def run_sync(url: str, store: Path) -> tuple[dict, float, float]:
    """``atsnb sync`` in a child process: its report, wall seconds, peak RSS in MB."""
    env = {**os.environ, "ATSNB_PBX_URL": url.rstrip("/") + f"/{DATABASE}", "ATSNB_STORE": str(store),
           "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "atsnb.cli", "sync", "--json", "--no-progress"], env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"atsnb sync failed:\n{done.stderr[-3000:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return json.loads(done.stdout.strip().splitlines()[-1]), wall, peak_mb


def follow_cycles(url: str, store: Path, rows: int, legs: int) -> tuple[float, float, dict]:
    """Seconds of an idle ``--follow`` cycle and of one after ``legs`` new legs in the last minute,
    and that cycle's report: in this process, warm, as the running follower does them."""
    from atsnb.composition import Context
    from atsnb.config import load_settings

    settings = load_settings(None, {"ATSNB_PBX_URL": url.rstrip("/") + f"/{DATABASE}", "ATSNB_STORE": str(store)})
    ctx = Context.from_settings(settings)
    started = time.perf_counter()
    ctx.sync()
    idle = time.perf_counter() - started
    cur = server_connect(url, DATABASE).cursor()
    cur.execute("SELECT MAX(calldate) FROM cdr")
    end = cur.fetchone()[0]
    cur.execute(FILL.format(calldate=MINUTE.format(end=end, n=rows, k=legs), first=rows + 1, last=rows + legs))
    try:
        started = time.perf_counter()
        report = ctx.sync()
        busy = time.perf_counter() - started
    finally:
        cur.execute(f"DELETE FROM cdr WHERE sequence > {rows}")
    return idle, busy, report.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="CDR legs to fill (default 1,000,000)")
    parser.add_argument("--url", default="mysql://root:@127.0.0.1:3306", help="MariaDB server, no database")
    parser.add_argument("--refill", action="store_true", help="recreate the table even if it has N rows")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument("--follow-legs", type=int, default=60,
                        help="new legs in the last minute for the follow cycle (default 60: ~30× the year's mean)")
    args = parser.parse_args()
    fill(args.url, args.rows, args.refill)
    # The raw fetch runs before and after the sync; on a shared machine the load drifts, the mean is fairer.
    count, raw_wall, raw_cpu = raw_fetch(args.url, 50_000)
    with tempfile.TemporaryDirectory(prefix="atsnb-bench-") as tmp:
        report, wall, peak_mb = run_sync(args.url, Path(tmp) / "store")
        _, raw_wall2, raw_cpu2 = raw_fetch(args.url, 50_000)
        idle, busy, cycle = follow_cycles(args.url, Path(tmp) / "store", args.rows, args.follow_legs)
    raw_wall, raw_cpu = (raw_wall + raw_wall2) / 2, (raw_cpu + raw_cpu2) / 2
    rows = report["tables"]["cdr"]["received"]
    copy_wall = report["seconds"] - report["derive_seconds"]
    copy_cpu = report["cpu_seconds"] - report["derive_cpu_seconds"]
    print(f"raw pymysql fetch : {count:,} rows, {raw_wall:.2f} s wall = {count / raw_wall:,.0f} rows/s; "
          f"{raw_cpu:.2f} s CPU (mean of 2 runs)")
    print(f"atsnb sync (copy) : {rows:,} rows, {copy_wall:.2f} s wall = {rows / copy_wall:,.0f} rows/s; "
          f"{copy_cpu:.2f} s CPU (in-process, excluding call derivation)")
    print(f"atsnb sync (whole): {wall:.2f} s wall incl. start-up and {report['derive_seconds']:.2f} s deriving "
          f"{report['calls']:,} calls = {rows / wall:,.0f} rows/s")
    print(f"ratio copy / raw  : {raw_wall / copy_wall:.2f} on wall time, {raw_cpu / copy_cpu:.2f} on CPU time")
    print(f"ratio whole / raw : {raw_wall / wall:.2f} on wall time  (target ≥ 0.8)")
    print(f"sync peak RSS     : {peak_mb:,.0f} MB  (target < 500 MB)")
    print(f"follow cycle      : {busy:.2f} s wall after {args.follow_legs} new legs of the last minute "
          f"({cycle['derive_seconds']:.2f} s deriving {cycle['calls']} calls); idle cycle {idle:.2f} s  "
          "(target < 2 s)")
    if not args.keep:
        server_connect(args.url).cursor().execute(f"DROP DATABASE {DATABASE}")


if __name__ == "__main__":
    main()
