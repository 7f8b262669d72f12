"""Metrics and reports on a year of calls (default 1,000,000): how long every dashboard figure takes.

Measured in one run, on the same synthetic calls:

1. the machine's ceiling for one pass over the calls — a bare ``groupby(day).size()`` — so the
   dashboard's time reads as "so many passes over the data";
2. line load per hour for the year: the event sweep of :mod:`atsnb.metrics.line_load` against the
   obvious per-hour loop (a numpy overlap mask and a sweep inside each hour);
3. every dashboard element from an in-memory scope (``dashboard_report``), target < 1 s;
4. the per-employee attribution from calls and route steps (part of loading a report);
5. each report end to end from a store on disk (read, filter, attribute, compute).

    .venv/bin/python benchmarks/metrics.py [--calls 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

TZ = "Europe/Moscow"
YEAR = (pd.Timestamp("2025-01-01", tz=TZ), pd.Timestamp("2026-01-01", tz=TZ))


QUEUE_MEMBERS = [str(100 + i) for i in range(20)]  # queue 700 rings these twenty of the fifty employees


def synthetic_topology():
    """What the synthetic PBX's topology says of its queue (the reached column lists its members)."""
    from atsnb.calls.topology import Topology

    return Topology(queues={"700": QUEUE_MEMBERS})


def synthetic_calls(n: int, seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A year of calls in the contract's columns (weekday and business-hour profile, 8 lines,
    50 employees, 200k clients) and their route steps: the line an external call came in on or went
    out by, who answered (a transferred call: two answers), who hung up, and where an incoming call
    rang — 60 % wait in queue 700, ringing 1–4 of its members besides whoever answers; the rest ring
    one phone; a fifth of the unanswered ones reach no phone at all (an IVR hang-up)."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(*YEAR, freq="D", inclusive="left")
    weight = np.where(days.day_of_week >= 5, 0.25, 1.0)
    day = rng.choice(len(days), n, p=weight / weight.sum())
    hour_profile = np.array([0, 0, 0, 0, 0, 0, 1, 2, 6, 10, 12, 11, 8, 9, 11, 11, 10, 8, 5, 3, 2, 1, 0.5, 0.2])
    hour = rng.choice(24, n, p=hour_profile / hour_profile.sum())
    offset = hour * 3600 + rng.integers(0, 3600, n)
    start = days[day] + pd.to_timedelta(offset, unit="s")
    direction = rng.choice(["incoming", "outgoing", "internal", "mixed"], n, p=[0.55, 0.33, 0.1, 0.02])
    status = rng.choice(["answered", "unanswered", "dropped"], n, p=[0.82, 0.13, 0.05])
    status = np.where((direction == "outgoing") & (status == "dropped"), "unanswered", status)
    answered = status == "answered"
    wait = np.round(rng.exponential(14, n)).astype(float)
    talk = np.where(answered, np.round(rng.lognormal(4.6, 1.0, n)), 0.0)
    employees = np.array([str(100 + i) for i in range(50)])
    employee = np.where(answered | (direction == "outgoing"), employees[rng.integers(0, 50, n)], "")
    lines = np.array([f"7495123456{i}" for i in range(8)])
    clients = np.array([f"79{n_:09d}" for n_ in rng.integers(0, 10**9, 200_000)])
    external = np.where(direction == "internal", "", clients[rng.integers(0, len(clients), n)])
    transfers = (answered & (rng.random(n) < 0.05)).astype(int)
    calls = pd.DataFrame({
        "call_id": np.char.add("c", np.arange(n).astype(str)).astype(object),
        "start": start, "answer": start + pd.to_timedelta(np.where(answered, wait, np.nan), unit="s"),
        "end": start + pd.to_timedelta(wait + talk, unit="s"),
        "direction": direction, "status": status, "caller": external, "dialed": "", "external_number": external,
        "line": np.where(direction == "internal", "", lines[rng.integers(0, 8, n)]),
        "answered_by": np.where(answered, employee, ""), "employee": employee, "last_target": employee, "group": "",
        "wait_s": wait, "talk_s": talk, "transfers": transfers, "legs": 1 + transfers, "recording": "",
        "primary": rng.random(n) < 0.2,
    }).sort_values("start", kind="stable").reset_index(drop=True)
    is_answered = calls["status"].eq("answered").to_numpy()
    first = calls[is_answered]
    moved = calls[is_answered & (calls["transfers"] > 0).to_numpy()]
    split = np.round(moved["talk_s"].to_numpy() / 3)
    outside = calls[calls["line"].ne("").to_numpy()]
    inbound = calls[calls["direction"].isin(["incoming", "mixed"]).to_numpy()]
    spoke = inbound["status"].eq("answered").to_numpy()
    queued = rng.random(len(inbound)) < 0.6
    somewhere = spoke | (rng.random(len(inbound)) < 0.8)
    rung = np.repeat(np.arange(len(inbound)), np.where(queued & somewhere, rng.integers(1, 5, len(inbound)), 0))
    alone = np.flatnonzero(~queued & somewhere & ~spoke)  # rang one phone, nobody answered
    waited = inbound[queued & somewhere]
    answerer = inbound[spoke]

    def route(at: np.ndarray, kind: str, target: np.ndarray, outcome: np.ndarray | str) -> pd.DataFrame:
        return pd.DataFrame({"call_id": inbound["call_id"].to_numpy()[at], "seq": 1, "at": inbound["start"].to_numpy()[at],
                             "kind": kind, "party": inbound["caller"].to_numpy()[at], "target": target,
                             "outcome": outcome, "duration_s": 15.0})

    members = np.array(QUEUE_MEMBERS, dtype=object)
    steps = pd.concat([
        route(np.flatnonzero(queued & somewhere), "queue", np.full(len(waited), "700", dtype=object),
              np.where(waited["status"].eq("answered").to_numpy(), "answered", "unanswered")),
        route(rung, "ring", members[rng.integers(0, len(members), len(rung))], "no_answer"),
        route(alone, "ring", employees[rng.integers(0, 50, len(alone))], "no_answer"),
        route(np.flatnonzero(spoke), "ring", answerer["employee"].to_numpy(dtype=object), "answered"),
        pd.DataFrame({"call_id": first["call_id"], "seq": 0, "at": first["answer"], "kind": "answer",
                      "party": first["caller"], "target": first["employee"], "outcome": "answered",
                      "duration_s": first["talk_s"].to_numpy()}),
        pd.DataFrame({"call_id": moved["call_id"], "seq": 1, "at": moved["answer"], "kind": "answer",
                      "party": moved["caller"], "target": employees[rng.integers(0, 50, len(moved))],
                      "outcome": "answered", "duration_s": split}),
        pd.DataFrame({"call_id": outside["call_id"], "seq": -1, "at": outside["start"], "kind": "line",
                      "party": outside["caller"], "target": outside["line"], "outcome": "", "duration_s": 0.0}),
        pd.DataFrame({"call_id": calls["call_id"], "seq": 9, "at": calls["end"], "kind": "hangup",
                      "party": rng.choice(["caller", "callee", "system"], n), "target": "", "outcome": "",
                      "duration_s": 0.0}),
    ], ignore_index=True)
    return calls, steps


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, float, float]:
    """Median, min, max wall seconds and median CPU seconds of ``runs`` calls after one warm-up.

    CPU time is reported beside wall time because the benchmark shares two cores with other work:
    wall time swings with the load, CPU time much less.
    """
    fn()
    walls, cpus = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), min(walls), max(walls), statistics.median(cpus)


def show(label: str, figures: tuple[float, float, float, float], unit: float | None = None) -> None:
    wall, lo, hi, cpu = figures
    ratio = f", {cpu / unit:.1f}× the ceiling (CPU)" if unit else ""
    print(f"{label}: {wall:.3f} s wall [{lo:.3f}–{hi:.3f}], {cpu:.3f} s CPU{ratio}")


def per_hour_loop(calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """The obvious line load: for every hour, mask the overlapping calls and sweep inside the hour."""
    ext = calls[calls["direction"].isin(["incoming", "outgoing", "mixed"])]
    s = pd.DatetimeIndex(ext["start"]).as_unit("ns").asi8
    e = pd.DatetimeIndex(ext["end"]).as_unit("ns").asi8
    bounds = pd.date_range(start, end, freq="h").as_unit("ns").asi8
    out = np.zeros((len(bounds) - 1, 3))
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        m = (s < hi) & (e > lo) & (e > s)
        times = np.concatenate([np.maximum(s[m], lo), np.minimum(e[m], hi)])
        delta = np.concatenate([np.ones(m.sum()), -np.ones(m.sum())])
        order = np.lexsort((delta, times))
        level = np.cumsum(delta[order])
        t = np.concatenate([[lo], times[order], [hi]])
        lv = np.concatenate([[0], level])
        length = np.diff(t)
        pos = length > 0
        out[i] = (lv[pos].min(), (lv * length).sum() / (hi - lo), lv[pos].max())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from atsnb.calls.derive import write_calls
    from atsnb.calls.reached_column import REACHED, pack_reached
    from atsnb.calls.reading import compact
    from atsnb.config import Settings
    from atsnb.metrics.attribution import employee_calls
    from atsnb.metrics.line_load import line_load_per_hour
    from atsnb.reference.org import Org
    from atsnb.reports import REPORTS
    from atsnb.reports.dashboard import dashboard_report
    from atsnb.reports.departments import departments_report
    from atsnb.reports.employees import employees_report
    from atsnb.reports.lines import lines_report
    from atsnb.reports.scope import Scope
    from atsnb.store import Store

    t0 = time.perf_counter()
    calls, steps = synthetic_calls(args.calls)
    print(f"synthetic year: {len(calls):,} calls, {len(steps):,} route steps ({time.perf_counter() - t0:.1f} s)")
    answers = steps[steps["kind"].eq("answer").to_numpy()]  # what the attribution reads of the routes

    ceiling = timed(lambda: calls.groupby(calls["start"].dt.normalize()).size(), args.runs)
    show("ceiling, one pass over the calls (groupby day, size)", ceiling)
    unit = ceiling[3]

    sweep = timed(lambda: line_load_per_hour(calls, *YEAR), args.runs)
    show("line load per hour for the year, event sweep", sweep, unit)
    c0 = time.process_time()
    slow = per_hour_loop(calls, *YEAR)  # once: it takes a minute
    loop = time.process_time() - c0
    fast = line_load_per_hour(calls, *YEAR)[["min", "mean", "max"]].to_numpy()
    # the sweep counts in milliseconds, the loop in nanoseconds: means agree to a millisecond per hour
    assert (fast[:, [0, 2]] == slow[:, [0, 2]]).all() and np.allclose(fast[:, 1], slow[:, 1], atol=1e-3), \
        "sweep and per-hour loop disagree"
    print(f"line load per hour, per-hour loop: {loop:.1f} s CPU → the sweep is {loop / sweep[3]:.0f}× faster "
          "(results equal)")

    settings = Settings()
    org = Org.from_frames(
        employees=pd.DataFrame({"extension": [str(100 + i) for i in range(50)],
                                "department": [f"Отдел {i % 5}" for i in range(50)]}),
        departments=pd.DataFrame({"name": [f"Отдел {i}" for i in range(5)], "parent": None}))
    # what load_scope hands the reports: the reached texts come from the store as a dictionary
    as_derived = {c: "str" for c in ("call_id", "kind", "party", "target", "outcome")}  # reconstruct's Arrow text
    derived_calls, derived_steps = calls.astype({"call_id": "str"}), steps.astype(as_derived)
    c0 = time.process_time()
    reached = pack_reached(derived_calls, derived_steps, synthetic_topology())
    print(f"reached column for the year (the derivation's share): {time.process_time() - c0:.2f} s CPU; "
          f"{reached.ne('').sum():,} calls reached someone, {reached.nunique():,} distinct texts")
    coded = compact(calls.assign(**{REACHED: reached.astype("category")}))
    attribution = timed(lambda: employee_calls(coded, answers, org.employee_department), args.runs)
    show("per-employee attribution (calls + answer steps)", attribution, unit)
    scope = Scope(*YEAR, coded, employee_calls(coded, answers, org.employee_department), org, {}, settings,
                  {"period": "2025"})
    dash = timed(lambda: dashboard_report(scope), args.runs)
    show("all dashboard metrics, in memory", dash, unit)
    print(f"  target < 1 s: {'met' if min(dash[0], dash[3]) < 1 else 'MISSED'} (wall {dash[0]:.2f} s, CPU {dash[3]:.2f} s)")
    for name, build in (("employees", employees_report), ("departments", departments_report)):
        show(f"all {name} elements, in memory (scale month)", timed(lambda b=build: b(scope, "month"), args.runs), unit)
    show("all lines elements, in memory", timed(lambda: lines_report(scope), args.runs), unit)

    with tempfile.TemporaryDirectory() as folder:
        settings.store.path = folder
        store = Store.open(folder)
        with store.writing():
            write_calls(store, calls, steps, synthetic_topology())
        org_dirs = {"employees": pd.DataFrame({"extension": list(org.employee_department),
                                               "department": list(org.employee_department.values())}),
                    "departments": pd.DataFrame({"name": sorted(org.parents)})}
        for name, frame in org_dirs.items():
            store.catalog.upsert(name, frame)
        for name, report in ((n, spec.build) for n, spec in REPORTS.items()):
            if REPORTS[name].has_scale:
                fn: Callable[[], object] = lambda r=report: r(start="2025-01-01", end="2025-12-31", store=store,  # noqa: E731
                                                              settings=settings, scale="month")
            else:
                fn = lambda r=report: r(start="2025-01-01", end="2025-12-31", store=store, settings=settings)  # noqa: E731
            show(f"report {name}, a whole year from the store", timed(fn, max(1, args.runs // 2)), unit)


if __name__ == "__main__":
    main()
