"""The records page on a year of calls (default 1,000,000): how long a search and its pages take.

Measured in one run over one synthetic store (the generator of ``benchmarks/metrics.py``, written
as the dashboards benchmark writes it), for the whole year:

1. search + first page (50 rows, newest first) — what the page does when a filter changes — for no
   condition, a partial number in a person's spelling, an employee, and long answered calls;
2. each next page of the same search, newest first and sorted by talk time (the sort is made once
   per order, then pages are slices);
3. the ceiling: reading the same columns of the year's files into Arrow and nothing else — the
   least any search of the whole year costs on this machine.

Target: search + first page and each next page < 1 s.

    .venv/bin/python benchmarks/records.py [--calls 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboards import YEAR, build_store  # noqa: E402  (the dashboards benchmark's synthetic year)

PAGE = 50
SEARCHES = {
    "every call": {},
    "number '8 916 12'": {"number": "8 916 12"},
    "employee 101": {"employee": "101"},
    "answered, talk > 10 min": {"status": "answered", "talk_over": 600},
}


def median_range(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} s [{min(times):.3f}–{max(times):.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import pyarrow.parquet as pq

    from atsnb.calls.search import FOUND_COLUMNS
    from atsnb.reports.records import find

    print(f"load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        _store, settings = build_store(folder, args.calls)
        print(f"store of {args.calls:,} calls built in {time.perf_counter() - began:.1f} s")
        files = sorted((Path(folder) / "calls").glob("*.parquet"))
        ceiling = []
        for _ in range(args.runs):
            began = time.perf_counter()
            pq.read_table(files, columns=FOUND_COLUMNS)
            ceiling.append(time.perf_counter() - began)
        floor = statistics.median(ceiling)
        print(f"ceiling — the year's {len(FOUND_COLUMNS)} columns read into Arrow: {median_range(ceiling)}")
        print("| search | calls found | search + first page | ×ceiling | next page (newest first) | "
              "first page by talk | next page by talk |")
        print("|---|---|---|---|---|---|---|")
        for label, search in SEARCHES.items():
            first, following, by_talk, by_talk_next = [], [], [], []
            for _ in range(args.runs):
                began = time.perf_counter()
                found = find(**YEAR, **search, store=folder, settings=settings)
                found.page(0, PAGE)
                first.append(time.perf_counter() - began)
                began = time.perf_counter()
                found.page(1, PAGE)
                following.append(time.perf_counter() - began)
                began = time.perf_counter()
                found.page(0, PAGE, "talk_s")
                by_talk.append(time.perf_counter() - began)
                began = time.perf_counter()
                found.page(1, PAGE, "talk_s")
                by_talk_next.append(time.perf_counter() - began)
            print(f"| {label} | {len(found):,} | {median_range(first)} | {statistics.median(first) / floor:.2f}× | "
                  f"{median_range(following)} | {median_range(by_talk)} | {median_range(by_talk_next)} |")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
