"""``simulate()``: a company's PBX history in memory — the tables, the directories and the truth.

Calls are played in time order from one event queue: arrivals drawn up front (vectorised), plus the
calls that other calls cause — employees calling back missed clients (some within minutes, some
hours later, some never), clients who try again, calls retried because the employee was busy.
One sequential pass is what makes phones busy at peaks and callers wait and give up.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from atsnb.reference.numbering_plan import default_registry
from atsnb.simulate import frames
from atsnb.simulate.company import ACCOUNTING, OFFICE, SALES_1, SALES_2, SUPPORT, Company, build_company
from atsnb.simulate.dialplan import TRUTH_FIELDS, Dialplan
from atsnb.simulate.pbx import Pbx
from atsnb.simulate.style import PbxStyle
from atsnb.simulate.technology import technology
from atsnb.simulate.traffic import MIX, Clients, arrivals, history_days

FLAVOURS = ("freepbx", "asterisk", "legacy")
EMPLOYEES_PER_DAY = 20.0  # default calls per day per employee
PARTNERS = 40  # the most active regular clients are in the partners directory
ADVERTISING_NEW_SHARE = 0.75  # the advertising line's callers are mostly first-time ones (the red phone)
LINE_SHARES = {"main": 0.50, "advertising": 0.20, "support": 0.20, "branch": 0.10}
CALLER_SHARES = {SALES_1: 0.38, SALES_2: 0.37, SUPPORT: 0.10, ACCOUNTING: 0.10, OFFICE: 0.05}
SITES = ["example-company.ru", "shop.example-company.ru"]
PAGES = ["/", "/prices", "/contacts", "/catalog/pumps", "/catalog/valves", "/promo/black-friday"]
UTM = [("yandex", "cpc", "pumps_msk", "ad1", "купить насос"), ("google", "cpc", "brand", "ad2", "example company"),
       ("vk", "social", "retarget", "post", ""), ("telegram", "social", "channel", "", ""), ("", "", "", "", "")]


@dataclass
class Simulation:
    """What ``simulate`` made: PBX tables (flavour column names), ground truth, directories, topology,
    and the company's PBX style the rows were written in."""

    tables: dict[str, pd.DataFrame]
    truth: pd.DataFrame
    directories: dict[str, pd.DataFrame]
    topology: dict
    flavour: str
    tz: str
    seed: int
    end: pd.Timestamp  # tz-aware: nothing in the tables happened after it
    #: Recording file names (``recordingfile``) with the local date folder ``YYYY/MM/DD`` of each.
    recordings: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: Epoch second at which the PBX wrote each row (per table, aligned with its rows; "truth": call end).
    written: dict[str, np.ndarray] = field(default_factory=dict)
    style: PbxStyle = field(default_factory=PbxStyle)
    #: Calls going on at ``end`` (call_id, start, end): some of their rows are in the tables, the call
    #: is not in the truth yet — what a live PBX shows too.
    in_progress: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["call_id", "start", "end"]))

    @property
    def legs(self) -> int:
        return len(self.tables["cdr"])

    def released(self, after: float, until: float) -> Simulation:
        """The part of the simulation the PBX wrote in the epoch interval (after, until] — for ``--follow``."""
        def part(name: str, df: pd.DataFrame) -> pd.DataFrame:
            w = self.written[name]
            return df.loc[(w > after) & (w <= until)].reset_index(drop=True)

        truth = part("truth", self.truth)
        cut = pd.Timestamp(until, unit="s", tz="UTC").tz_convert(self.tz).tz_localize(None)
        started = self.truth["start"] <= cut
        running = pd.concat([self.truth.loc[started & (self.written["truth"] > until), ["call_id", "start", "end"]],
                             self.in_progress[self.in_progress["start"] <= cut]], ignore_index=True)
        return Simulation(
            tables={name: part(name, df) for name, df in self.tables.items()}, truth=truth,
            directories=self.directories, topology=self.topology, flavour=self.flavour, tz=self.tz, seed=self.seed,
            end=pd.Timestamp(until, unit="s", tz="UTC").tz_convert(self.tz), recordings=_recordings(truth),
            written={name: w[(w > after) & (w <= until)] for name, w in self.written.items()}, style=self.style,
            in_progress=running,
        )

    def shift_ids(self, first_ids: dict[str, int]) -> None:
        """Renumber the ``id`` columns to start at ``first_ids[table]`` (appending to existing tables)."""
        for name, first in first_ids.items():
            df = self.tables.get(name)
            if df is not None and "id" in df.columns and len(df):
                df["id"] = np.arange(first, first + len(df), dtype=np.int64)


def simulate(*, days: int = 90, seed: int = 1, employees: int = 20, calls_per_day: float | None = None,
             end: pd.Timestamp | str | None = None, tz: str = "Europe/Moscow", flavour: str = "freepbx",
             recordings_share: float = 0.6, cel: bool = True, start: pd.Timestamp | str | None = None,
             progress: bool = False, style: PbxStyle | None = None) -> Simulation:
    """Simulate ``days`` days of a company's calls ending at ``end`` (default: now), deterministic per ``seed``.

    ``calls_per_day`` defaults to 20 per employee; ``recordings_share`` of the answered calls are
    recorded; ``cel=False`` skips the CEL table (faster for very large runs).  ``start`` (optional)
    drops arrivals before it, which is how ``--follow`` continues an existing history.  ``progress``
    shows a progress bar (calls played) on the terminal.  ``style`` is how the company's Asterisk
    writes its records (channel driver, transfer styles, CDR written twice, queue_log layout).
    """
    style = style or PbxStyle()
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; known: {', '.join(FLAVOURS)}")
    if days < 1:
        raise ValueError("days must be at least 1")
    per_day = float(calls_per_day if calls_per_day is not None else EMPLOYEES_PER_DAY * employees)
    end_ts = _as_local(end, tz) if end is not None else pd.Timestamp.now(tz=tz)
    end_epoch = end_ts.timestamp()
    rng = np.random.default_rng(seed)
    registry = default_registry()

    expected = int(per_day * days * 1.2) + 50
    mobiles = registry.sample(rng, employees, prefer_region="Москва", prefer_share=0.9)
    regulars = registry.sample(rng, int(60 + 4 * per_day), prefer_region="Москва", prefer_share=0.65)
    fresh = registry.sample(rng, int(expected * 0.45) + 50, prefer_region="Москва", prefer_share=0.55)
    company = build_company(employees, rng, mobiles, regulars[:PARTNERS], style)  # the most active clients
    clients = Clients(rng, regulars, fresh)

    day_list = history_days(end_ts, days)
    dates = [pd.Timestamp(d.midnight, unit="s", tz="UTC").tz_convert(tz).strftime("%Y%m%d") for d in day_list]
    # The driver draws from a generator of its own (IAX2 call numbers): one seed, the same calls on every driver.
    pbx = Pbx(rng, technology(style.technology, company.trunks, np.random.default_rng([seed, 1])), cel=cel)
    plan = Dialplan(company, pbx, rng, day_list, dates, recordings_share)
    start_epoch = _as_local(start, tz).timestamp() if start is not None else None
    times = arrivals(rng, day_list, per_day, end_epoch, start_epoch)
    bursts = incident_bursts(rng, day_list, per_day, end_epoch, start_epoch)
    with tqdm(total=len(times) + len(bursts), unit="calls", desc="simulate", disable=not progress) as bar:
        _play(plan, company, clients, rng, times, bursts, end_epoch, day_list, bar)

    cdr, cdr_written = frames.cdr_frame([r for r in pbx.cdr if r[-1] <= end_epoch], tz, flavour,
                                        twice=style.duplicate_cdr)
    cel = sorted((r for r in pbx.cel if r[1] <= end_epoch), key=lambda r: r[1])
    qlog = sorted((r for r in pbx.qlog if r[0] <= end_epoch), key=lambda r: r[0])
    ratings = sorted((r for r in plan.ratings if r[0] <= end_epoch), key=lambda r: r[0])
    callbacks = sorted((r for r in plan.callbacks if r[-1] <= end_epoch), key=lambda r: r[0])
    truth_rows = sorted((r for r in plan.truth if r[6] <= end_epoch), key=lambda r: r[4])
    running = sorted((r for r in plan.truth if r[6] > end_epoch), key=lambda r: r[4])
    tables = {
        "cdr": cdr,
        "cel": frames.cel_frame(cel, tz, "eventextra" if flavour == "legacy" else "extra"),
        "queue_log": frames.queue_log_frame(qlog, tz, style.queue_log_data),
        "ratings": frames.ratings_frame(ratings, tz),
        "callbacks": frames.callbacks_frame([r[:-1] for r in callbacks], tz),
    }
    written = {
        "cdr": cdr_written,
        "cel": np.array([r[1] for r in cel], dtype=float),
        "queue_log": np.array([r[0] for r in qlog], dtype=float),
        "ratings": np.array([r[0] for r in ratings], dtype=float),
        "callbacks": np.array([r[-1] for r in callbacks], dtype=float),
        "truth": np.array([r[6] for r in truth_rows], dtype=float),
    }
    truth = frames.truth_frame(truth_rows, TRUTH_FIELDS, tz)
    in_progress = frames.truth_frame(running, TRUTH_FIELDS, tz)[["call_id", "start", "end"]]
    return Simulation(tables=tables, truth=truth, directories=company.directories(), topology=company.topology(),
                      flavour=flavour, tz=tz, seed=seed, end=end_ts, recordings=_recordings(truth), written=written,
                      style=style, in_progress=in_progress)


def _as_local(value: pd.Timestamp | str, tz: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize(tz) if ts.tzinfo is None else ts.tz_convert(tz)


def _recordings(truth: pd.DataFrame) -> pd.DataFrame:
    rec = truth.loc[truth["recording"] != "", ["recording", "start"]]
    return pd.DataFrame({"name": rec["recording"].to_numpy(),
                         "folder": rec["start"].dt.strftime("%Y/%m/%d").to_numpy()})


def incident_bursts(rng: np.random.Generator, days: list, per_day: float, end_epoch: float,
                    start_epoch: float | None) -> np.ndarray:
    """Extra support calls when something breaks: on some working days a burst of calls in an hour or two.

    These peaks are what overload the support queue: callers wait, give up, and get called back.
    """
    chunks = []
    for day in days:
        if day.weekday < 5 and rng.random() < 0.25:
            begin = day.midnight + float(rng.uniform(10.0, 16.0)) * 3600
            n = rng.poisson(per_day * 0.10)
            chunks.append(begin + np.sort(rng.exponential(2400.0, size=n)))
    times = np.concatenate(chunks) if chunks else np.empty(0)
    lo = -np.inf if start_epoch is None else start_epoch
    return times[(times > lo) & (times <= end_epoch)]


def _play(plan: Dialplan, company: Company, clients: Clients, rng: np.random.Generator, times: np.ndarray,
          bursts: np.ndarray, end_epoch: float, day_list: list, bar: tqdm) -> None:
    """Run every call in time order; calls may schedule further calls (callbacks, retries)."""
    n = len(times)
    # Who calls whom is drawn for all arrivals at once (one numpy call each, not one per call).
    kinds = rng.choice(list(MIX), size=n, p=np.array(list(MIX.values())) / sum(MIX.values()))
    lines = [next(x for x in company.lines if x.purpose == purpose) for purpose in LINE_SHARES]
    line_of = rng.choice(len(lines), size=n, p=np.array(list(LINE_SHARES.values())))
    by_dept: dict[str, list[str]] = {}
    for e in company.employees:
        by_dept.setdefault(e.department, []).append(e.extension)
    pools = [by_dept[d] for d in CALLER_SHARES]
    pool_of = rng.choice(len(pools), size=n, p=np.array(list(CALLER_SHARES.values())))
    member_of = rng.random(n)
    all_ext = [e.extension for e in company.employees]
    first = rng.integers(0, len(all_ext), size=n)
    second = (first + rng.integers(1, len(all_ext), size=n)) % len(all_ext)
    queue: list[tuple] = []
    for i, (t, kind) in enumerate(zip(times.tolist(), kinds.tolist(), strict=True)):
        if kind == "incoming":
            payload: object = (lines[line_of[i]], None)
        elif kind == "outgoing":
            pool = pools[pool_of[i]]
            payload = (pool[int(member_of[i] * len(pool))], None, "outgoing", 0)
        elif kind == "internal":
            payload = (all_ext[first[i]], all_ext[second[i]])
        else:
            payload = None
        queue.append((t, i, kind, payload))
    support = next(line for line in company.lines if line.purpose == "support")
    queue += [(float(t), n + i, "incoming", (support, None)) for i, t in enumerate(bursts)]
    counter = len(queue)
    # Asterisk restarts now and then at night: its counters start again.
    for day in day_list:
        if rng.random() < 1 / 30:
            queue.append((day.midnight + 3 * 3600 + 600, counter, "restart", None))
            counter += 1
    heapq.heapify(queue)

    def push(t: float, kind: str, payload: object) -> None:
        nonlocal counter
        if t <= end_epoch:
            heapq.heappush(queue, (t, counter, kind, payload))
            counter += 1

    played = 0
    while queue:
        t, _, kind, payload = heapq.heappop(queue)
        played += 1
        if played % 1000 == 0:
            bar.update(1000)
        if kind == "incoming":
            line, client = payload
            client = client or clients.pick(ADVERTISING_NEW_SHARE if line.purpose == "advertising" else None)
            before = len(plan.missed)
            plan.incoming(t, line, client)
            if len(plan.missed) > before:
                _after_missed(plan, company, rng, plan.missed[-1], line, push)
        elif kind == "outgoing":
            ext, client, scenario, tries = payload
            client = client or clients.pick()
            retry = plan.outgoing(t, ext, client, scenario)
            if retry is not None and tries < 3:
                push(retry, "outgoing", (ext, client, scenario, tries + 1))
        elif kind == "internal":
            plan.internal(t, *payload)
        elif kind == "restart":
            plan.pbx.restart()
        else:
            utm = UTM[int(rng.integers(0, len(UTM)))]
            client = clients.pick()
            request = {"site": SITES[int(rng.random() < 0.3)], "page": PAGES[int(rng.integers(0, len(PAGES)))],
                       "utm_source": utm[0], "utm_medium": utm[1], "utm_campaign": utm[2], "utm_content": utm[3],
                       "utm_term": utm[4], "number": _as_typed(client, rng)}
            plan.website_callback(t, client, request)


def _after_missed(plan: Dialplan, company: Company, rng: np.random.Generator, missed: tuple, line, push) -> None:
    """A missed client: an employee calls back (minutes, hours, next day, or never); some clients retry."""
    end, client, last_target, group = missed
    u = rng.random()
    if u < 0.62:
        members = company.members(group) or company.members(last_target)
        if not members and last_target in plan.emp:
            members = [last_target]
        members = members or company.queues["700"]
        ext = members[int(rng.integers(0, len(members)))]
        v = rng.random()
        delay = (rng.uniform(60, 20 * 60) if v < 0.45 else rng.uniform(20 * 60, 3 * 3600) if v < 0.8
                 else rng.uniform(3 * 3600, 26 * 3600))
        push(end + float(delay), "outgoing", (ext, client, "callback_missed", 0))
    elif u < 0.80:
        push(end + float(rng.uniform(30, 40 * 60)), "incoming", (line, client))


def _as_typed(number: str, rng: np.random.Generator) -> str:
    """How a visitor types a phone number into a website form."""
    n = number[1:]
    style = int(rng.integers(0, 4))
    if style == 0:
        return f"+7 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}"
    if style == 1:
        return "8" + n
    if style == 2:
        return f"8 {n[:3]} {n[3:6]} {n[6:]}"
    return "+7" + n
