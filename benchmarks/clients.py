"""Clients, Red phone and New clients on a year of calls (default 1,000,000), and who the caller is
for a million numbers.

Measured in one run over the synthetic store of ``benchmarks/dashboards.py`` (with 200 partners and
two red phones, an extension and a queue, added to its directories):

1. each report's compute time for the last 30 days and for the whole year; target < 0.5 s.  The
   ceiling beside it is the read of the calls' columns the report needs (``read_calls``), measured
   in the same run: what any report on those columns costs before it computes anything;
2. partner, operator and region of 1,000,000 numbers (a year's client numbers, 200,000 distinct)
   with ``Callers.identify``; target < 1 s.  Its ceiling: ``pandas.factorize`` of the same column,
   the least any per-distinct-number work costs.

    .venv/bin/python benchmarks/clients.py [--calls 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboards import MONTH, YEAR, build_store, fmt, timed  # noqa: E402  (the dashboards benchmark's store)

REPORTS = ("clients", "red_phone", "new_clients")


def add_directories(store, calls_numbers: pd.Series) -> None:
    """Partners for 200 of the most frequent client numbers; red phones: extension 100, queue 700."""
    numbers = calls_numbers[calls_numbers.ne("")].value_counts().index[:200]
    store.catalog.upsert("partners", pd.DataFrame({"number": numbers, "name": [f"ООО «Партнёр {i}»"
                                                                              for i in range(len(numbers))]}))
    store.catalog.upsert("red_phones", pd.DataFrame({"target": ["100", "700"], "kind": ["extension", "queue"]}))


def report_times(store, settings, runs: int) -> None:
    from atsnb.calls.reading import read_calls
    from atsnb.reports import REPORTS as REGISTRY
    from atsnb.reports.clients import CLIENT_COLUMNS
    from atsnb.reports.period import period_range
    from atsnb.reports.red_phone_calls import HIT_COLUMNS, RED_COLUMNS

    columns = {"clients": CLIENT_COLUMNS, "red_phone": RED_COLUMNS, "new_clients": HIT_COLUMNS}
    for name in REPORTS:
        build = REGISTRY[name].build
        for label, period in (("30 days", MONTH), ("year", YEAR)):
            lo, hi = period_range(**period, tz=settings.pbx.timezone)
            ceiling = timed(lambda lo=lo, hi=hi, c=columns[name]: read_calls(store, settings, lo, hi, c), runs)
            *t, cpu = timed(lambda p=period, b=build: b(**p, store=store, settings=settings), runs)
            verdict = "met" if t[0] < 0.5 else "MISSED"
            print(f"report {name:<11} {label:>7}: compute {fmt(t)}, CPU {cpu:.2f} s; read of its columns "
                  f"{ceiling[0]:.2f} s, ratio {t[0] / ceiling[0]:.2f}×; load average {os.getloadavg()[0]:.1f}  "
                  f"(target < 0.5 s: {verdict})")


def lookup_times(store, numbers: pd.Series, runs: int) -> None:
    from atsnb.reference.callers import Callers

    callers = Callers.from_store(store)
    ceiling = timed(lambda: pd.factorize(numbers), runs)
    *t, cpu = timed(lambda: callers.identify(numbers), runs)
    found = callers.identify(numbers)
    known = found["region"].ne("").mean()
    verdict = "met" if t[0] < 1.0 else "MISSED"
    print(f"who the caller is, {len(numbers):,} numbers ({numbers.nunique():,} distinct, {known:.0%} in the registry): "
          f"{fmt(t)}, CPU {cpu:.2f} s; factorize alone {ceiling[0]:.2f} s, ratio {t[0] / ceiling[0]:.1f}×; "
          f"load average {os.getloadavg()[0]:.1f}  (target < 1 s: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        store, settings = build_store(folder, args.calls)
        from atsnb.calls.reading import read_calls
        from atsnb.reports.period import period_range

        lo, hi = period_range(**YEAR, tz=settings.pbx.timezone)
        numbers = read_calls(store, settings, lo, hi, ["external_number"])["external_number"]
        add_directories(store, numbers)
        print(f"store: {args.calls:,} synthetic calls over 2025 ({time.perf_counter() - t0:.1f} s to build)")
        report_times(store, settings, args.runs)
        sample = pd.Series(np.resize(numbers.to_numpy(dtype=object), 1_000_000), dtype=object)
        lookup_times(store, sample, args.runs)


if __name__ == "__main__":
    main()
