"""Reconstruction throughput (legs/s) against the machine's ceiling measured in the same run.

The ceiling is a bare pandas groupby over the same legs (sort by linkedid and sequence, then per
call: first calldate, sum of billsec, any ANSWERED, first src, last dstchannel, count) — the least
work any reconstruction must do.  The target is reconstruct ≥ 0.5 × that throughput.

The legs are a simulated week of a FreePBX-style company (queues with Local members, ring groups,
IVR, transfers, forwards; with CEL and queue_log) copied week after week until ``--legs`` is
reached.  Run: ``.venv/bin/python benchmarks/reconstruct.py [--legs 1000000] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import pandas as pd

from atsnb.calls import Topology, reconstruct
from atsnb.calls.derive import CEL_COLUMNS, CEL_EVENTS, QUEUE_LOG_COLUMNS, QUEUE_LOG_EVENTS
from atsnb.simulate import simulate

# a fixed week, so every run on every day reconstructs the same legs (a week ending "now" differs by the day)
WEEK_END = "2025-11-24 00:00"


def tiled(week: pd.DataFrame, legs: int, time_col: str, id_cols: list[str]) -> pd.DataFrame:
    """``week`` repeated with every copy shifted by a week and its call ids made distinct."""
    copies = -(-legs // len(week))
    parts = []
    for k in range(copies):
        part = week.copy()
        part[time_col] = pd.to_datetime(part[time_col]) + pd.Timedelta(weeks=k)
        for col in id_cols:
            part[col] = part[col].astype(str) + f"{k:03d}"
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def bare_groupby(cdr: pd.DataFrame) -> pd.DataFrame:
    legs = cdr.sort_values(["linkedid", "sequence"], kind="stable")
    legs = legs.assign(answered=legs["disposition"] == "ANSWERED")
    return legs.groupby("linkedid", sort=False).agg(
        start=("calldate", "first"), billsec=("billsec", "sum"), answered=("answered", "max"),
        src=("src", "first"), last=("dstchannel", "last"), legs=("uniqueid", "size"))


def timed(fn, runs: int) -> tuple[float, float, float, float, object]:
    """Median wall seconds, [min, max] wall, median CPU seconds of this process, and the result.

    CPU time is reported beside wall time because the machine is shared: wall time also counts
    waiting for a core, CPU time only the work.
    """
    fn()  # warm-up
    walls, cpus, out = [], [], None
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), min(walls), max(walls), statistics.median(cpus), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=1_000_000, help="CDR rows to reconstruct (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up (default 3)")
    args = parser.parse_args()
    sim = simulate(days=7, seed=1, end=WEEK_END)
    topology = Topology.from_dict(sim.topology)
    week = sim.tables["cdr"]
    copies = -(-args.legs // len(week))
    cdr = tiled(week, args.legs, "calldate", ["uniqueid", "linkedid"]).iloc[: args.legs]
    # The events reconstruction reads (update_calls keeps only these when it reads the store).
    cel_week = sim.tables["cel"][sim.tables["cel"]["eventtype"].isin(CEL_EVENTS)][CEL_COLUMNS]
    qlog_week = sim.tables["queue_log"][sim.tables["queue_log"]["event"].isin(QUEUE_LOG_EVENTS)][QUEUE_LOG_COLUMNS]
    cel = tiled(cel_week, len(cel_week) * copies, "eventtime", ["uniqueid", "linkedid"])
    qlog = tiled(qlog_week, len(qlog_week) * copies, "time", ["callid"])
    n = len(cdr)
    print(f"{n:,} legs ({copies} simulated weeks), {cel.shape[0]:,} CEL events, {qlog.shape[0]:,} queue_log lines"
          " (the event types reconstruction reads)")
    print("load average (1, 5, 15 min) at the start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    rows = []
    for name, fn in (
        ("ceiling: bare pandas groupby", lambda: bare_groupby(cdr)),
        ("reconstruct, CDR only", lambda: reconstruct(cdr, topology)),
        ("reconstruct, CDR + CEL + queue_log", lambda: reconstruct(cdr, topology, cel=cel, queue_log=qlog)),
    ):
        wall, lo, hi, cpu, out = timed(fn, args.runs)
        rows.append((name, wall, lo, hi, cpu, len(out) if isinstance(out, pd.DataFrame) else len(out.calls)))
    ceiling_wall, ceiling_cpu = n / rows[0][1], n / rows[0][4]
    print("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("\n| what | median wall s | [min–max] s | legs/s (wall) | × ceiling (wall) | CPU s | × ceiling (CPU) | calls |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, wall, lo, hi, cpu, count in rows:
        print(f"| {name} | {wall:.3f} | {lo:.3f}–{hi:.3f} | {n / wall / 1e6:.2f} M | {n / wall / ceiling_wall:.2f} "
              f"| {cpu:.3f} | {n / cpu / ceiling_cpu:.2f} | {count:,} |")


if __name__ == "__main__":
    main()
