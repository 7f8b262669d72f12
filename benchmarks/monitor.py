"""A wall-board's refresh on a year of calls (default 1,000,000): what one refresh costs the server.

Over the synthetic year of ``benchmarks/dashboards.py`` moved to end today, with a monitor of five
departments (every employee a row): the board computed from the store on disk
(:func:`atsnb.views.monitor_board.board`, what the JSON endpoint runs when the store changed), and
beside it the ceiling of the same read — today's calls alone read from the store, nothing computed.
Target: < 0.5 s compute per refresh.  (A refresh while the store has not changed is a few ``stat``
calls: the server keeps the board it computed.)

    .venv/bin/python benchmarks/monitor.py [--calls 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from metrics import timed  # noqa: E402

from dashboards import build_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from atsnb.calls.reading import read_calls
    from atsnb.views.monitor_board import board, monitor_named

    with tempfile.TemporaryDirectory() as folder:
        store, settings = build_store(folder, args.calls, ending_today=True)
        store.catalog.upsert("monitors", pd.DataFrame({
            "name": ["office"], "title": ["Офис"],
            "indicators": ["calls,answered,missed,not_recovered,waiting,wait_s,service_level,effective,talk_s"],
            "participants": [",".join(f"Отдел {i}" for i in range(5))], "refresh_s": [300]}))
        monitor = monitor_named(store, settings, "office")
        now = pd.Timestamp.now(tz=settings.tz).floor("min")
        today = now.normalize()
        figures = board(monitor, store, settings, now)
        calls_today = figures["rows"][-1]["cells"]["calls"]["text"]
        *read, _ = timed(lambda: read_calls(store, settings, today, today + pd.Timedelta(days=1)), args.runs)
        *compute, cpu = timed(lambda: board(monitor, store, settings, now), args.runs)
        verdict = "met" if compute[0] < 0.5 else "MISSED"
        print(f"monitor on {args.calls:,} calls ({calls_today} today, {len(figures['rows'])} rows): "
              f"refresh {compute[0]:.2f} s [{compute[1]:.2f}–{compute[2]:.2f}], CPU {cpu:.2f} s; "
              f"today's calls read alone {read[0]:.2f} s (ratio {compute[0] / read[0]:.1f}×); "
              f"load average {os.getloadavg()[0]:.1f}  (target < 0.5 s: {verdict})")


if __name__ == "__main__":
    main()
