"""The reports built on the PBX vendor modules and on missed calls — quality ratings, website
callbacks, missed-call recovery — on a year of calls (default 1,000,000): how long a manager waits.

One synthetic store (the calls of ``benchmarks/metrics.py`` through ``benchmarks/dashboards.py``'s
``build_store``) gets a ratings table — a rating after 30 % of the answered incoming calls, one in
25 without its call — and a callbacks table (one request per 50 calls, in the module's statuses,
each naming a call of the year).  Each report is computed from the store on disk for 30 days and
for the whole year; the ceiling printed beside them is one read of the calls' ``start`` column for
the same period (what every report pays before any figure).  Target: compute < 0.5 s.

    .venv/bin/python benchmarks/vendor_reports.py [--calls 1000000] [--runs 3]
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
from metrics import timed  # noqa: E402

from dashboards import MONTH, YEAR, build_store, fmt  # noqa: E402  (the dashboards benchmark's store)

MEASURED = ("ratings", "callbacks", "recovery")
STATUSES = ["connected", "employee_no_answer", "client_no_answer"]


def add_vendor_tables(store, settings, seed: int = 7) -> tuple[int, int]:
    """Ratings and callbacks for the store's calls, written as the sync writes them (naive local
    time, a ``_key``); returns how many of each."""
    from atsnb.calls.reading import read_calls

    rng = np.random.default_rng(seed)
    tz = settings.pbx.timezone
    lo, hi = (pd.Timestamp(YEAR["start"], tz=tz), pd.Timestamp(YEAR["end"], tz=tz) + pd.Timedelta(days=1))
    calls = read_calls(store, settings, lo, hi, ["call_id", "start", "end", "direction", "status", "employee",
                                                 "external_number"], categorical=False)
    answered = calls[(calls["direction"] == "incoming") & (calls["status"] == "answered")]
    rated = answered[rng.random(len(answered)) < 0.3]
    n = len(rated)
    lost = rng.random(n) < 0.04
    ratings = pd.DataFrame({
        "id": np.arange(1, n + 1), "rated_at": (rated["end"] + pd.Timedelta(seconds=8)).dt.tz_localize(None).to_numpy(),
        "linkedid": np.where(lost, "", rated["call_id"]), "uniqueid": np.where(lost, "", rated["call_id"]),
        "extension": rated["employee"].to_numpy(), "number": rated["external_number"].to_numpy(),
        "rating": rng.choice([1, 2, 3, 4, 5], n, p=[0.03, 0.07, 0.2, 0.4, 0.3]), "question": "q1"})
    made = calls[calls["direction"] == "outgoing"].sample(len(calls) // 50, random_state=seed).sort_values("start")
    m = len(made)
    status = rng.choice(STATUSES, m, p=[0.65, 0.2, 0.15])
    requested = made["start"].dt.tz_localize(None) - pd.to_timedelta(rng.integers(10, 60, m), unit="s")
    called = requested + pd.to_timedelta(rng.integers(5, 40, m), unit="s")
    callbacks = pd.DataFrame({
        "id": np.arange(1, m + 1), "requested_at": requested.to_numpy(),
        "site": rng.choice(["example.ru", "shop.example.ru"], m), "page": rng.choice(["/", "/prices", "/contacts"], m),
        "utm_source": rng.choice(["google", "yandex", "vk", ""], m), "utm_medium": rng.choice(["cpc", "social", ""], m),
        "utm_campaign": rng.choice(["brand", "spring", ""], m), "utm_content": "", "utm_term": "",
        "number": made["external_number"].to_numpy(), "extension": made["employee"].to_numpy(), "status": status,
        "called_at": called.to_numpy(),
        "connected_at": np.where(status == "connected", (called + pd.Timedelta(seconds=15)).to_numpy(),
                                 np.datetime64("NaT")),
        "linkedid": made["call_id"].to_numpy()})
    with store.writing():
        for name, frame in (("ratings", ratings), ("callbacks", callbacks)):
            store.table(name).upsert(frame.assign(_key=frame["id"].astype(str)))
    return n, m


def ceiling(store, settings, period: dict[str, str], runs: int) -> list[float]:
    """One read of the period's call starts: what every report pays before its first figure."""
    from atsnb.calls.reading import read_calls
    from atsnb.reports.period import period_range

    lo, hi = period_range("custom", **period, tz=settings.pbx.timezone)
    *t, _cpu = timed(lambda: read_calls(store, settings, lo, hi, ["start"]), runs)
    return t


def main() -> None:
    from atsnb.reports import REPORTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        store, settings = build_store(folder, args.calls)
        ratings, callbacks = add_vendor_tables(store, settings)
        print(f"store: {args.calls:,} synthetic calls over 2025, {ratings:,} ratings, {callbacks:,} callback "
              f"requests ({time.perf_counter() - t0:.1f} s to build)")
        for label, period in (("30 days", MONTH), ("year", YEAR)):
            floor = ceiling(store, settings, period, args.runs)
            print(f"ceiling {label:>7}: one read of the calls' start column {fmt(floor)}")
            for name in MEASURED:
                build = REPORTS[name].build
                *t, cpu = timed(lambda b=build, p=period: b(**p, store=store, settings=settings), args.runs)
                verdict = "met" if t[0] < 0.5 else "MISSED"
                print(f"report {name:<10} {label:>7}: compute {fmt(t)} = {t[0] / floor[0]:.1f}x the ceiling, "
                      f"CPU {cpu:.2f} s, load average {os.getloadavg()[0]:.1f}  (target < 0.5 s: {verdict})")


if __name__ == "__main__":
    main()
