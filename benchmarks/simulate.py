"""The simulator at scale: 1,000,000 CDR legs in memory, then into MariaDB and into the store.

Default sizes: 1,000,000 legs (a 60-person company, ~1,200 calls a working day, about 100 days)
without CEL — the headline "1M legs well under a minute" — then a 300,000-leg run with CEL, and the
demo's own path (90 days of a 20-person company through the sync into a fresh store).  Each figure
is printed beside the machine's floor measured in the same run: materialising the same number of
rows as Python tuples and turning them into a DataFrame (for the simulation), and ``LOAD DATA``
of a ready file with the same rows (for MariaDB).

    .venv/bin/python benchmarks/simulate.py [--legs N] [--cel-legs N] [--mysql URL] [--no-store]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
import pymysql

from atsnb.config import Settings
from atsnb.flow import store_simulation
from atsnb.simulate import simulate, write_mysql
from atsnb.simulate.pbx import CDR_FIELDS
from atsnb.simulate.targets import _cells, _write_tsv
from atsnb.store import Store

END = "2026-11-20 18:00"


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def cpu_timed(fn, *args, **kwargs) -> tuple[float, float, object]:
    """Wall and CPU seconds: on a shared machine the CPU time is the part that does not depend on neighbours."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args, **kwargs)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def tuple_floor(n: int) -> float:
    """CPU seconds to build ``n`` CDR-wide tuples of fresh strings and floats and frame them."""
    def build() -> pd.DataFrame:
        rows = [(i * 1.0, i + 0.5, i + 9.0, f'"7916{i:07d}" <7916{i:07d}>', f"7916{i:07d}", "700", "ext-queues",
                 f"PJSIP/mts-trunk-{i:08x}", f"Local/201@from-queue-{i:08x};1", "Queue", "700,t,,,240", "ANSWERED",
                 f"{1700000000 + i}.{i}", "74951234567", "", "", "", "", "", "", f"{1700000000 + i}.{i}", i, i + 9.0)
                for i in range(n)]
        return pd.DataFrame.from_records(rows, columns=list(CDR_FIELDS))
    return cpu_timed(build)[1]


def days_for(legs: int, employees: int) -> int:
    """Days that give at least ``legs`` legs (a one-week pilot, plus a margin for quieter weeks)."""
    pilot = simulate(days=7, seed=1, end=END, employees=employees, cel=False)
    return max(1, math.ceil(1.08 * legs / (len(pilot.tables["cdr"]) / 7)))


def mysql_floor(url: str, frame: pd.DataFrame) -> float:
    """``LOAD DATA LOCAL INFILE`` of a ready TSV of ``frame`` into a bare copy of the cdr table."""
    settings = Settings()
    from atsnb.config import apply_pbx_url

    apply_pbx_url(settings, url)
    p = settings.pbx
    con = pymysql.connect(host=p.host, port=p.port, user=p.user, password=p.password, database=p.database,
                          local_infile=True, autocommit=True)
    fd, path = tempfile.mkstemp(suffix=".tsv")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        _write_tsv(fh, _cells(frame))
    try:
        with con.cursor() as cur:
            cur.execute("CREATE TABLE floor_cdr LIKE cdr")
            seconds, _ = timed(cur.execute, f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE floor_cdr "
                               "FIELDS TERMINATED BY '\\t' ESCAPED BY '' LINES TERMINATED BY '\\n'")
            cur.execute("DROP TABLE floor_cdr")
    finally:
        os.unlink(path)
        con.close()
    return seconds


def fresh_database(url: str) -> str:
    settings = Settings()
    from atsnb.config import apply_pbx_url

    apply_pbx_url(settings, url)
    p = settings.pbx
    con = pymysql.connect(host=p.host, port=p.port, user=p.user, password=p.password, autocommit=True)
    with con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{p.database}`")
        cur.execute(f"CREATE DATABASE `{p.database}` CHARACTER SET utf8mb4")
    con.close()
    return url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--legs", type=int, default=1_000_000)
    ap.add_argument("--cel-legs", type=int, default=300_000)
    ap.add_argument("--mysql", default="mysql://root@127.0.0.1:3306/atsnb_bench_simulate")
    ap.add_argument("--no-store", action="store_true", help="skip the 90-day demo store run")
    args = ap.parse_args()

    days = days_for(args.legs, 60)
    wall, cpu, sim = cpu_timed(simulate, days=days, seed=1, end=END, employees=60, cel=False)
    legs = len(sim.tables["cdr"])
    floor = tuple_floor(legs)
    print(f"simulate, no CEL: {legs:,} legs / {len(sim.truth):,} calls over {days} days: {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU ({legs / cpu:,.0f} legs per CPU second); floor (tuples → DataFrame) {floor:.1f} s CPU; "
          f"ratio {cpu / floor:.1f}×")

    url = fresh_database(args.mysql)
    load_s, _ = timed(write_mysql, sim, url, progress=False)
    floor_s = mysql_floor(url, sim.tables["cdr"])
    rows = sum(len(df) for df in sim.tables.values()) + len(sim.truth)
    print(f"write_mysql: {rows:,} rows in {load_s:.1f} s ({rows / load_s:,.0f} rows/s); "
          f"floor LOAD DATA of the cdr rows {floor_s:.1f} s")
    del sim

    cel_days = days_for(args.cel_legs, 60)
    wall, cpu, sim = cpu_timed(simulate, days=cel_days, seed=2, end=END, employees=60, cel=True)
    legs = len(sim.tables["cdr"])
    print(f"simulate with CEL: {legs:,} legs + {len(sim.tables['cel']):,} CEL events + "
          f"{len(sim.tables['queue_log']):,} queue_log lines: {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"({legs / cpu:,.0f} legs per CPU second)")
    del sim

    if not args.no_store:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings()
            settings.store.path = str(Path(tmp) / "store")
            sim_s, sim = timed(simulate, days=90, seed=1, end=END)
            store_s, _ = timed(store_simulation, sim, Store.open(settings.store_path), settings, progress=False)
            size = sum(f.stat().st_size for f in Path(settings.store.path).rglob("*") if f.is_file())
            print(f"demo path, 90 days / 20 employees: simulate {sim_s:.1f} s ({len(sim.tables['cdr']):,} legs, "
                  f"{len(sim.tables['cel']):,} CEL), sync into the store {store_s:.1f} s, store {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
