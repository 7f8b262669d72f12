"""Read-only views (``/atsnb/view/<report>``): what a view costs when computed in the server
process (the report, :func:`atsnb.views.static.outputs`, the snapshot renderer) against papermill
running the report notebook in a fresh kernel plus the same renderer — the other way to make the
same page, measured in the same run — and what a cached view costs over HTTP.

For every registered report over the simulated demo company (14 days): seconds in-process,
seconds via papermill, their ratio (the page is the same: tests/test_readonly_view.py), then
through a real ``atsnb serve``: the first request and a repeated (cached) one.

    .venv/bin/python benchmarks/readonly_view.py [--reports dashboard,employees]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

PERIOD = {"period": "custom", "start": "2025-03-03", "end": "2025-03-16"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", default="", help="comma-separated report names (default: all)")
    args = parser.parse_args()

    from atsnb.composition import Context
    from atsnb.config import Settings
    from atsnb.delivery.mail_notebook import execute_report
    from atsnb.flow import store_simulation
    from atsnb.reports.registry import REPORTS
    from atsnb.serve import start_dashboards
    from atsnb.simulate import simulate
    from atsnb.store import Store
    from atsnb.views.snapshot import render_snapshot
    from atsnb.web.view import VIEW_ROWS, report_notebook

    names = [n for n in args.reports.split(",") if n] or list(REPORTS)
    work = Path(tempfile.mkdtemp(prefix="atsnb-bench-view-"))
    settings = Settings()
    settings.store.path = str(work / "store")
    store_simulation(simulate(days=14, seed=7, end="2025-03-17 00:00"), Store.open(work / "store"), settings,
                     progress=False)
    context = Context.from_settings(settings)
    filters = {k: v for k, v in PERIOD.items() if k != "period"}
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'report':<12} {'in-process s':>12} {'papermill s':>12} {'ratio':>6}")
    ratios = []
    for name in names:
        started = time.perf_counter()
        render_snapshot(report_notebook(context.report(name, "custom", **filters)), max_rows=VIEW_ROWS, link="/x")
        own = time.perf_counter() - started
        started = time.perf_counter()
        executed = execute_report("bench", name, {**PERIOD, "store": str(work / "store")}, work / f"{name}.ipynb",
                                  language=settings.ui.language, timeout_s=600)
        render_snapshot(executed, max_rows=VIEW_ROWS, link="/x")
        papermill = time.perf_counter() - started
        ratios.append(own / papermill)
        print(f"{name:<12} {own:>12.2f} {papermill:>12.2f} {own / papermill:>6.2f}")
    print(f"median ratio in-process / papermill: {statistics.median(ratios):.2f}")

    server = start_dashboards(dataclasses.replace(settings), preheat=False)
    try:
        headers = {"Authorization": f"token {server.tokens['viewer']}"}
        query = "&".join(f"{k}={v}" for k, v in PERIOD.items())
        print(f"{'report':<12} {'first HTTP s':>12} {'cached ms':>10}")
        for name in names:
            url = f"{server.url}atsnb/view/{name}?{query}"
            started = time.perf_counter()
            httpx.get(url, headers=headers, timeout=600).raise_for_status()
            first = time.perf_counter() - started
            cached = []
            for _ in range(5):
                started = time.perf_counter()
                httpx.get(url, headers=headers, timeout=60).raise_for_status()
                cached.append(time.perf_counter() - started)
            print(f"{name:<12} {first:>12.2f} {statistics.median(cached) * 1000:>10.1f}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
