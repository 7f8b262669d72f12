"""The figures of a wall-board (docs/monitor.md): today's calls of a monitor's participants, one row
per participant and a total, each figure with the colour it has against its target.

A monitor (the ``monitors`` directory) names its participants — extensions and departments — and
the indicators it shows.  Every figure comes from the report machinery and :mod:`atsnb.metrics`,
over today's calls only (today in the PBX's zone):

* a participant's calls are those its people handled or that reached them — as an employee or
  department filter of the reports keeps them (:func:`atsnb.metrics.who_missed.reaching` plus the
  attribution, transfers included);
* ``answered``, ``talk_s`` and ``effective`` count the participant's own talk (the attribution
  rows, effective by each employee's efficiency panel); ``effective`` is compared with the
  participant's daily target (the sum of its active employees' panels) paced over the working day
  (``monitor.workday``): at noon of a 09–18 day a third of the target is due;
* ``missed`` = missed incoming calls (not dropped) that reached them; ``not_recovered`` = those
  nobody has reached again yet (:func:`atsnb.metrics.recovery.missed_call_recovery`, either
  direction, by anyone in the company);
* ``wait_s`` = mean wait of their incoming calls, ``service_level`` = the service level
  (``thresholds.service_level_s``) against ``monitor.service_level_target_pct``;
* ``waiting`` = callers in a queue now, as the store's queue_log says (in the total row; "—" when
  the PBX writes no queue_log).

The result is plain JSON-ready data: the web page (:mod:`atsnb.views.monitor_page`) only draws it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from atsnb.calls.audit import QUEUE_CLOSED, QUEUE_ENTERED
from atsnb.config import Settings
from atsnb.errors import AtsnbError, ConfigError
from atsnb.i18n import t
from atsnb.metrics.calls import missed
from atsnb.metrics.durations import mean_wait_s
from atsnb.metrics.recovery import missed_call_recovery, parse_windows
from atsnb.metrics.service import service_level_pct
from atsnb.metrics.who_missed import Reach, reach, reaching
from atsnb.reference.org import Org
from atsnb.reports.pieces import MISSED_SCOPE_COLUMNS, with_effective
from atsnb.reports.scope import employee_label, load_scope
from atsnb.store import Store
from atsnb.views.format import hms

INDICATORS = ("calls", "answered", "missed", "not_recovered", "waiting", "wait_s", "service_level",
              "effective", "talk_s")
DEFAULT_INDICATORS = ("calls", "answered", "missed", "not_recovered", "wait_s", "service_level", "effective")
NAME = re.compile(r"[A-Za-z0-9_-]+")
# a caller still "in the queue" by the queue_log longer than this lost their closing line: not counted
WAITING_AT_MOST = pd.Timedelta(hours=1)
QUEUE_LEFT = QUEUE_CLOSED | {"CONNECT"}
GOOD, WARN, BAD, PLAIN = "good", "warn", "bad", "plain"


@dataclass(frozen=True)
class Monitor:
    """One row of the ``monitors`` directory, read for showing."""

    name: str
    title: str
    indicators: tuple[str, ...]
    participants: tuple[str, ...]
    refresh_s: int


def _items(value: object) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def monitors(store: Store, settings: Settings) -> dict[str, Monitor]:
    """Every configured monitor by name; unknown indicators are left out (the directory check
    names them), none at all means the default set."""
    table = store.catalog.read("monitors")
    out: dict[str, Monitor] = {}
    for row in table.to_dict("records"):
        name = str(row.get("name") or "").strip()
        if not NAME.fullmatch(name):
            continue
        wanted = tuple(i for i in _items(row.get("indicators")) if i in INDICATORS) or DEFAULT_INDICATORS
        refresh = row.get("refresh_s")
        refresh_s = int(refresh) if refresh is not None and not pd.isna(refresh) and int(refresh) > 0 \
            else settings.monitor.refresh_s
        out[name] = Monitor(name, str(row.get("title") or "") or name, wanted, _items(row.get("participants")),
                            refresh_s)
    return out


def monitor_named(store: Store, settings: Settings, name: str) -> Monitor:
    """The monitor ``name``, or an error naming the monitors there are."""
    known = monitors(store, settings)
    if name not in known:
        raise AtsnbError(t("mon_unknown", name=name) + " " + (", ".join(known) or t("mon_none")))
    return known[name]


def workday(settings: Settings) -> tuple[pd.Timedelta, pd.Timedelta]:
    """``monitor.workday`` ("09:00-18:00") as the two times of day."""
    text = settings.monitor.workday
    found = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if found:
        h1, m1, h2, m2 = (int(g) for g in found.groups())
        start, end = pd.Timedelta(hours=h1, minutes=m1), pd.Timedelta(hours=h2, minutes=m2)
        if start < end <= pd.Timedelta(hours=24):
            return start, end
    raise ConfigError(f"monitor.workday must look like 09:00-18:00 (a start before an end), got {text!r}.")


def day_share(settings: Settings, now: pd.Timestamp) -> float:
    """The share of the working day gone at ``now``: 0 before it starts, 1 after it ends."""
    start, end = workday(settings)
    since = now - now.normalize()
    return float(min(max((since - start) / (end - start), 0.0), 1.0))


def waiting_now(store: Store, now: pd.Timestamp) -> int | None:
    """Callers in a queue at ``now`` by the queue_log: entered a queue within the last hour with no
    line saying they left it (answered, abandoned, timed out, transferred).  None when the store
    has no queue_log at all (the PBX writes none)."""
    table = store.table("queue_log")
    if not table.months():
        return None
    local = now.tz_localize(None)
    lines = table.read(local - WAITING_AT_MOST, local + pd.Timedelta(minutes=1), columns=["callid", "event"])
    if lines.empty:
        return 0
    events = lines["event"].astype(str)
    entered = set(lines.loc[events.eq(QUEUE_ENTERED).to_numpy(), "callid"].astype(str))
    left = set(lines.loc[events.isin(QUEUE_LEFT).to_numpy(), "callid"].astype(str))
    return len(entered - left)


@dataclass
class _Day:
    """Today's calls and what every participant's figures are cut from."""

    calls: pd.DataFrame
    rows: pd.DataFrame  # attribution rows with their ``effective`` flag
    not_recovered: np.ndarray  # per call: missed and not reached again yet
    org: Org
    reached: Reach  # who each call reached, parsed once for every row
    employees: np.ndarray  # the attribution rows' employees as text


def _people(org: Org, participant: str) -> tuple[str, set[str]]:
    """(kind, extensions) of a participant: an extension, or a department with everyone below it."""
    if participant in org.parents:
        return "department", org.employees_in(participant)
    return "employee", {participant}


def _figures(day: _Day, people: set[str], settings: Settings, share: float) -> dict[str, Any]:
    calls, rows = day.calls, day.rows
    own = np.isin(day.employees, list(people))
    mask = np.zeros(len(calls), bool)
    if len(calls):
        mask = reaching(day.reached, people)
        mask[rows["call"].to_numpy()[own]] = True
    theirs = calls[mask]
    mine = rows[own]
    answered_calls = int(mine.loc[mine["status"].astype(str).eq("answered").to_numpy(), "call"].nunique())
    effective = int(mine.loc[mine["effective"].to_numpy(dtype=bool), "call"].nunique())
    active = {e for e in people if e in day.org.employee_department}
    targets = [day.org.panel_for(e).daily_target for e in sorted(active)]
    target = sum(x for x in targets if x) if any(targets) else None
    return {
        "calls": int(mask.sum()),
        "answered": answered_calls,
        "missed": int(missed(theirs).sum()),
        "not_recovered": int(day.not_recovered[mask].sum()),
        "wait_s": mean_wait_s(theirs),
        "service_level": service_level_pct(theirs, settings.thresholds.service_level_s),
        "effective": effective,
        "target": target,
        "due": None if target is None else target * share,
        "talk_s": float(mine["talk_s"].sum()),
    }


def _cell(key: str, f: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """One figure as shown: its text, its value and its colour against the target."""
    value = f.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return {"text": "—", "value": None, "level": PLAIN}
    level = PLAIN
    text = str(value)
    if key == "effective":
        if f["target"]:
            text = f"{value} / {f['target']}"
            due = f["due"] or 0.0
            level = PLAIN if due <= 0 else GOOD if value >= due else WARN if value >= 0.7 * due else BAD
    elif key == "service_level":
        goal = settings.monitor.service_level_target_pct
        text = f"{value:.0f}%"
        level = GOOD if value >= goal else WARN if value >= goal - 10 else BAD
    elif key == "wait_s":
        limit = settings.thresholds.service_level_s
        text = hms(value)
        level = GOOD if value <= limit else WARN if value <= 2 * limit else BAD
    elif key == "talk_s":
        text = hms(value)
    elif key == "not_recovered":
        level = GOOD if value == 0 else BAD
    elif key == "waiting":
        level = GOOD if value == 0 else WARN if value < 3 else BAD
    return {"text": text, "value": value, "level": level}


def board(monitor: Monitor, store: Store, settings: Settings, now: pd.Timestamp) -> dict[str, Any]:
    """Today's board of ``monitor`` at ``now`` (module docstring): title, indicator labels, a row per
    participant (a department followed by its employees) and the total, the newest call's time."""
    columns = list(dict.fromkeys([*MISSED_SCOPE_COLUMNS, "external_number", "last_target"]))
    scope = load_scope("today", store=store, settings=settings, now=now, columns=columns)
    calls = scope.calls
    rows = with_effective(scope)
    windows = parse_windows(settings.thresholds.recovery_windows_min)
    lost = missed_call_recovery(calls, windows, include_dropped=False)
    never = set(lost.loc[~lost["recovered"], "call_id"].astype(str))
    day = _Day(calls, rows, calls["call_id"].astype(str).isin(never).to_numpy(), scope.org, reach(calls),
               rows["employee"].astype(str).to_numpy())
    share = day_share(settings, now)
    shown: list[dict[str, Any]] = []
    everyone: set[str] = set()
    seen: set[str] = set()

    def add(kind: str, label: str, people: set[str]) -> None:
        figures = _figures(day, people, settings, share)
        shown.append({"kind": kind, "label": label,
                      "cells": {k: _cell(k, figures, settings) for k in monitor.indicators}})

    for participant in monitor.participants:
        kind, people = _people(scope.org, participant)
        everyone |= people
        if kind == "department":
            add("department", participant, people)
            members = sorted(people, key=lambda e: employee_label(scope.org, e).casefold())
            for ext in members:
                if ext not in seen:
                    seen.add(ext)
                    add("employee", employee_label(scope.org, ext), {ext})
        elif participant not in seen:
            seen.add(participant)
            add("employee", employee_label(scope.org, participant), people)
    total = _figures(day, everyone, settings, share)
    total["waiting"] = waiting_now(store, now)
    shown.append({"kind": "total", "label": t("mon_total"),
                  "cells": {k: _cell(k, total, settings) for k in monitor.indicators}})
    newest = calls["end"].max() if len(calls) else None
    return {
        "name": monitor.name,
        "title": monitor.title,
        "refresh_s": monitor.refresh_s,
        "indicators": [{"key": k, "label": t(f"mon_ind_{k}")} for k in monitor.indicators],
        "rows": shown,
        "day": f"{now:%d.%m.%Y}",
        "computed_at": now.isoformat(),
        "newest_call": None if newest is None or pd.isna(newest) else pd.Timestamp(newest).isoformat(),
    }
