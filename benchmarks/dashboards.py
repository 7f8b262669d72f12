"""Dashboards on a year of calls (default 1,000,000): how long a manager waits.

Measured in one run over one synthetic store (the calls generator of ``benchmarks/metrics.py``):

1. each report's compute time (``atsnb.reports.<name>`` from the store on disk) for the period a
   dashboard usually shows (the last 30 days of the year) and for the whole year, and the time to
   turn the report into widgets (``ReportApp`` without a browser); target: compute < 0.5 s;
2. request → rendered dashboard in Chromium through ``atsnb serve``, over the same calls moved to
   end today: the HTTP response (Voila renders the notebook before answering) and the page showing
   the computed report, for the main dashboard with a preheated kernel (its default view, computed
   ahead, and an address with filters of its own, computed on request) and cold (a new kernel per
   request); target: preheated < 2 s;
3. the ceiling of the same path: an empty notebook through the same Voila, cold — what a kernel
   start and Voila cost before any of our code runs.

    .venv/bin/python benchmarks/dashboards.py [--calls 1000000] [--runs 3] [--compute-only]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import nbformat
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import synthetic_calls, synthetic_topology, timed  # noqa: E402  (the metrics benchmark's generator)

REPO = Path(__file__).resolve().parent.parent
MONTH = {"start": "2025-12-02", "end": "2025-12-31"}
YEAR = {"start": "2025-01-01", "end": "2025-12-31"}
POOL_FILL_S = 25  # a preheated kernel starts, imports and waits for its request within this on a busy machine
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def fmt(t: Sequence[float]) -> str:
    return f"{t[0]:.2f} s [{t[1]:.2f}–{t[2]:.2f}]"


def spread(times: Sequence[float]) -> str:
    """Median [min–max] of a few timings."""
    return fmt([statistics.median(times), min(times), max(times)])


def build_store(folder: str, n: int, *, ending_today: bool = False):
    """The synthetic year with its directories in a store.  ``ending_today`` moves the calls so that
    the year ends today: a dashboard's default view (the last 30 days) then has a month of calls to
    show, as it has on a working PBX."""
    from atsnb.calls.derive import write_calls
    from atsnb.config import Settings
    from atsnb.store import Store

    calls, steps = synthetic_calls(n)
    if ending_today:
        tz = calls["start"].dt.tz
        shift = pd.Timestamp.now(tz=tz).normalize() - pd.Timestamp(YEAR["end"], tz=tz)
        for column in ("start", "answer", "end"):
            calls[column] += shift
        steps["at"] += shift
    settings = Settings()
    settings.store.path = folder
    store = Store.open(folder)
    with store.writing():
        write_calls(store, calls, steps, synthetic_topology())
    employees = sorted(set(calls["employee"]) - {""})
    store.catalog.upsert("departments", pd.DataFrame({"name": [f"Отдел {i}" for i in range(5)]}))
    store.catalog.upsert("employees", pd.DataFrame({
        "extension": employees, "name": [f"Сотрудник {e}" for e in employees],
        "department": [f"Отдел {i % 5}" for i in range(len(employees))]}))
    return store, settings


def compute_times(store, settings, runs: int) -> None:
    from atsnb.reports import REPORTS
    from atsnb.reports.filters import choices
    from atsnb.views.app import ReportApp

    options = choices(store, settings)
    for name, report in ((n, spec.build) for n, spec in REPORTS.items()):
        for label, period in (("30 days", MONTH), ("year", YEAR)):
            *t, cpu = timed(lambda r=report, p=period: r(**p, store=store, settings=settings), runs)
            verdict = "met" if t[0] < 0.5 else "MISSED"
            print(f"report {name:<11} {label:>7}: compute {fmt(t)}, CPU {cpu:.2f} s, load average "
                  f"{os.getloadavg()[0]:.1f}  (target < 0.5 s: {verdict})")
        built = report(**MONTH, store=store, settings=settings)
        t = timed(lambda b=built, n=name: ReportApp(n, lambda **_f: b, options, filters=REPORTS[n].filters).widget, runs)
        print(f"report {name:<11} 30 days: widgets {fmt(t)}")


def page_times(store_path: str, runs: int) -> None:
    """The pages (part 2 of the module docstring) over a store whose calls end today."""
    from playwright.sync_api import sync_playwright

    from atsnb.config import Settings
    from atsnb.serve import start_dashboards

    settings = Settings()
    settings.store.path = store_path
    today = dt.date.today()
    month = f"period=custom&start={today - dt.timedelta(days=29)}&end={today}"
    with tempfile.TemporaryDirectory() as root_dir:
        root = Path(root_dir)
        for nb in (REPO / "dashboards").glob("*.ipynb"):
            shutil.copy(nb, root / nb.name)
        empty = nbformat.v4.new_notebook()
        empty.cells = [nbformat.v4.new_code_cell("1")]
        nbformat.write(empty, root / "empty.ipynb")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                        headless=True, args=CHROMIUM_ARGS)
            for preheat in (True, False):
                server = start_dashboards(settings, preheat=preheat, root=root)
                try:
                    time.sleep(POOL_FILL_S if preheat else 1)  # the pool's kernel starts and computes ahead
                    pages = ([("dashboard", ""), ("dashboard", month)] if preheat
                             else [("empty", ""), ("dashboard", ""), ("employees", "")])
                    for name, query in pages:
                        measure_page(browser, server, name, query, preheat, runs)
                finally:
                    server.stop()
            browser.close()


def measure_page(browser, server, name: str, query: str, preheat: bool, runs: int) -> None:
    """HTTP response time, then the page in Chromium: ``runs`` first visits, each in a new browser
    context (empty cache: scripts downloaded and compiled, as for a manager's first look), and
    ``runs`` repeat visits in the last context (scripts and styles cached, as for a manager who
    comes back).  ``query`` empty is the default view (the last 30 days), which a preheated kernel
    computed before the request; with an address of its own the report is computed on request."""
    url = server.page(name, query)
    selector = ".jp-OutputArea-output" if name == "empty" else ".atsnb-status:has-text('Обновлено')"
    http, first, repeat = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        httpx.get(url, timeout=300).raise_for_status()
        http.append(time.perf_counter() - t0)
        if preheat:
            time.sleep(POOL_FILL_S)

    def visit(context) -> float:
        tab = context.new_page()
        t0 = time.perf_counter()
        tab.goto(url, timeout=300_000)
        tab.wait_for_selector(selector, timeout=300_000)
        elapsed = time.perf_counter() - t0
        tab.close()
        if preheat:
            time.sleep(POOL_FILL_S)
        return elapsed

    for i in range(runs):
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        first.append(visit(context))
        if i == runs - 1:
            repeat = [visit(context) for _ in range(runs)]
        context.close()
    kind = "preheated" if preheat else "cold"
    label = f"{name} ({'own address' if query else 'default view'})"
    met = statistics.median(first) < 2 and statistics.median(repeat) < 2
    target = f"  (target < 2 s: {'met' if met else 'MISSED'})" if preheat else ""
    print(f"page {label:<28} {kind:>9}: HTTP response {spread(http)}; in Chromium first visit {spread(first)}, "
          f"repeat {spread(repeat)}{target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compute-only", action="store_true",
                        help="measure the reports' compute and widgets only (part 1), no browser")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        store, settings = build_store(folder, args.calls)
        print(f"store: {args.calls:,} synthetic calls over 2025 ({time.perf_counter() - t0:.1f} s to build)")
        compute_times(store, settings, args.runs)
    if args.compute_only:
        return
    with tempfile.TemporaryDirectory() as folder:
        build_store(folder, args.calls, ending_today=True)
        page_times(folder, args.runs)


if __name__ == "__main__":
    main()
