"""The data-quality audit (``atsnb.calls.audit``) on the simulated company: how long the note under a
dashboard takes to appear after the figures, for the demo's fortnight and for a year.

Stores: the simulated company (20 employees, CEL and queue_log) for ``--days`` days (the demo's 14,
and a year), synced into a temporary store the way ``atsnb demo`` does.  Measured for the last 30
days and for the whole store: ``audit_period`` (read the raw rows a month at a time with their
12-hour margins, rebuild the calls, count); beside it, the main dashboard's report for the same
period.  Ceiling: reading the raw rows the audit reads (the CDR whole, the CEL and queue_log events
and columns it takes) — what the audit costs before any counting or reconstruction.

    .venv/bin/python benchmarks/audit.py [--days 14 365] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import timed  # noqa: E402  (median, min, max wall and median CPU after a warm-up)

END = "2026-01-01 00:00"  # the simulated days end here: a year is 2025


def build_store(folder: str, days: int):
    from atsnb.config import Settings
    from atsnb.flow import store_simulation
    from atsnb.simulate import simulate
    from atsnb.store import Store

    settings = Settings()
    settings.store.path = folder
    store = Store.open(folder)
    store_simulation(simulate(days=days, seed=7, end=END), store, settings, progress=False)
    return store, settings


def read_raw(store, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """The ceiling: the raw rows the audit reads (with its margins), in one read per table."""
    from atsnb.calls.audit import AUDIT_CEL_EVENTS, AUDIT_QUEUE_LOG_COLUMNS, AUDIT_QUEUE_LOG_EVENTS
    from atsnb.calls.derive import CALL_MARGIN, CEL_COLUMNS

    lo, hi = start.tz_localize(None), end.tz_localize(None)
    window = (lo - CALL_MARGIN, hi + CALL_MARGIN)
    rows = len(store.table("cdr").read(*window))
    for name, columns, kind, kinds in (("cel", CEL_COLUMNS, "eventtype", AUDIT_CEL_EVENTS),
                                       ("queue_log", AUDIT_QUEUE_LOG_COLUMNS, "event", AUDIT_QUEUE_LOG_EVENTS)):
        table = store.table(name)
        rows += len(table.read(*window, columns=columns, where=[(kind, "in", sorted(kinds))]))
        rows += len(table.read(lo, hi, columns=[table.time_col]))
    return rows


def measure(store, settings, label: str, start: pd.Timestamp, end: pd.Timestamp, runs: int) -> None:
    from atsnb.calls.audit import audit_period
    from atsnb.reports import REPORTS

    result = audit_period(store, settings, start, end)
    floor = timed(lambda: read_raw(store, start, end), runs)
    took = timed(lambda: audit_period(store, settings, start, end), runs)
    report = timed(lambda: REPORTS["dashboard"].build("custom", start=start, end=end, store=store,
                                                      settings=settings), runs)
    print(f"{label}: {result.cdr_rows:,} CDR rows, {result.cel_rows:,} CEL events, {result.queue_log_rows:,} "
          f"queue_log lines → {result.calls:,} calls; load average {os.getloadavg()[0]:.1f}")
    print(f"  reading the raw rows (ceiling): {took_text(floor)}")
    print(f"  audit_period:                   {took_text(took)}, {took[3] / floor[3]:.1f}× the ceiling (CPU)")
    print(f"  the dashboard report:           {took_text(report)}")


def took_text(figures: tuple[float, float, float, float]) -> str:
    wall, lo, hi, cpu = figures
    return f"{wall:.2f} s wall [{lo:.2f}–{hi:.2f}], {cpu:.2f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, nargs="+", default=[14, 365])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for days in args.days:
        with tempfile.TemporaryDirectory() as folder:
            t0 = time.perf_counter()
            store, settings = build_store(folder, days)
            print(f"store: the simulated company for {days} days ({time.perf_counter() - t0:.0f} s to build)")
            end = pd.Timestamp(END, tz=settings.pbx.timezone)
            periods = [("last 30 days", end - pd.Timedelta(days=30))]
            if days > 30:
                periods.append((f"all {days} days", end - pd.Timedelta(days=days)))
            for label, start in periods:
                measure(store, settings, label, start, end, args.runs)


if __name__ == "__main__":
    main()
