"""The Clients report: who rang the company for the first time in the period (with the call's
employee, line, talk time and recording), a chart of them per day, the 20 most active client numbers,
and the external calls by the region of the client's number.

First-time callers are the incoming calls flagged ``primary`` (:mod:`atsnb.metrics.clients`); every
number shows the partner's name and the operator and region of its range (:mod:`atsnb.reference.callers`).
"""

from __future__ import annotations

from typing import Unpack

import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.metrics import counts
from atsnb.metrics.calls import external, inbound
from atsnb.metrics.clients import calls_by_region, client_activity, first_time_callers, number_codes
from atsnb.reports.caller_columns import (
    CALLER_COLUMNS,
    RECORDING_COLUMN,
    attach_calls,
    callers_of,
    recording_mark,
    with_callers,
)
from atsnb.reports.detail import DETAIL_LIMIT, latest_calls
from atsnb.reports.elements import ElementColumn, element, kpi
from atsnb.reports.model import Element, Report
from atsnb.reports.scope import Scope, ScopeKeywords, load_scope
from atsnb.vectors import text_map

# what its figures read of a call: no attribution (an employee or department filter reads what that
# needs), and the recording only for the rows shown
CLIENT_COLUMNS = ["call_id", "start", "direction", "status", "line", "employee", "wait_s", "talk_s", "external_number",
                  "primary"]
TOP_CLIENTS = 20
TOP_REGIONS = 12  # the chart's bars besides "other regions" and "not in the registry"


def numbers(scope: Scope) -> tuple[np.ndarray, np.ndarray]:
    """The calls' client numbers as codes and the distinct numbers, once per report."""
    return scope.once("numbers", lambda: number_codes(scope.calls))


def first_mask(scope: Scope) -> np.ndarray:
    return scope.once("first_time", lambda: first_time_callers(scope.calls, numbers(scope)[0]))


def kpis_element(scope: Scope) -> Element:
    """First-time callers, how many of them were answered, and how many clients rang at all."""
    calls = scope.calls
    first = first_mask(scope)
    answered = int((first & (calls["status"] == "answered").to_numpy(dtype=bool)).sum())
    codes = numbers(scope)[0][inbound(calls).to_numpy(dtype=bool)]
    clients = int(np.count_nonzero(np.bincount(codes[codes >= 0], minlength=1)))
    n_first = int(first.sum())
    return kpi("kpis", "rep_clients_kpis", [
        (t("rep_kpi_first_callers"), n_first, "calls"),
        (t("rep_kpi_first_answered_pct"), 100.0 * answered / n_first if n_first else np.nan, "%", (answered, n_first)),
        (t("rep_kpi_first_unanswered"), n_first - answered, "calls"),
        (t("rep_kpi_clients_calling"), clients, "calls"),
    ], note="rep_clients_kpis_note")


def first_calls_element(scope: Scope) -> Element:
    """Every first-time caller of the period (the latest :data:`DETAIL_LIMIT`): when, the number and
    who it is, the line, who took the call, wait, talk, the recording."""
    rows = scope.calls[first_mask(scope)]
    shown = rows.iloc[latest_calls(rows["start"], DETAIL_LIMIT)].copy()
    recording = scope.columns_of(shown, ["recording"])["recording"] if len(shown) else pd.Series([], dtype=object)
    table = pd.DataFrame({
        "start": shown["start"].array,  # tz-aware times as they are: to_numpy() makes a Timestamp per row
        "number": shown["external_number"].astype(object).to_numpy(),
        "line": text_map(shown["line"], scope.line_label),
        "employee": text_map(shown["employee"], lambda x: scope.employee_label(x) if x else ""),
        "status": text_map(shown["status"], lambda x: t(x) if x else x),
        "wait_s": shown["wait_s"].to_numpy(), "talk_s": shown["talk_s"].to_numpy(),
        "has_recording": recording_mark(recording),
    })
    table = with_callers(table, shown["external_number"], callers_of(scope))
    out = element("first_calls", "rep_first_calls", table, [
        ElementColumn("start", "rep_col_start"),
        ElementColumn("number", "rep_col_client_number"),
        *CALLER_COLUMNS,
        ElementColumn("line", "rep_col_line"),
        ElementColumn("employee", "rep_col_employee"),
        ElementColumn("status", "rep_col_status"),
        ElementColumn("wait_s", "rep_col_wait", "s", sum=True),
        ElementColumn("talk_s", "rep_col_talk", "s", sum=True),
        RECORDING_COLUMN,
    ], note="rep_first_calls_note" if len(rows) <= DETAIL_LIMIT else "rep_first_calls_note_limited", totals=True,
        shown=len(shown), total=len(rows))
    out.rows_total = len(rows)
    return attach_calls(out, shown["call_id"], recording)


def first_daily_element(scope: Scope) -> Element:
    """First-time callers per day, every day of the period that has begun (a quiet day as 0)."""
    rows = pd.DataFrame({"start": scope.calls["start"].array[first_mask(scope)]})
    daily = counts.counts_by(rows, "day", start=scope.start, end=scope.end)
    if scope.now is not None:
        daily = daily[(daily["day"] <= scope.now).to_numpy()].reset_index(drop=True)
    daily["day"] = [f"{d:%d.%m}" for d in daily["day"]]
    return element("first_daily", "rep_first_daily", daily, [
        ElementColumn("day", "rep_col_day"),
        ElementColumn("calls", "rep_col_first_callers", "calls"),
    ], kind="bar", x="day", y=["calls"], note="rep_first_daily_note")


def top_clients_element(scope: Scope) -> Element:
    """The :data:`TOP_CLIENTS` client numbers with the most external calls in the period."""
    table = client_activity(scope.calls, TOP_CLIENTS, numbers(scope))
    table = with_callers(table, table["number"], callers_of(scope))
    return element("top_clients", "rep_top_clients", table, [
        ElementColumn("number", "rep_col_client_number"),
        *CALLER_COLUMNS[:1],
        ElementColumn("calls", "rep_col_calls", "calls", sum=True),
        ElementColumn("incoming", "incoming", "calls", sum=True),
        ElementColumn("outgoing", "outgoing", "calls", sum=True),
        ElementColumn("answered", "answered", "calls", sum=True),
        ElementColumn("unanswered", "rep_col_unanswered_incoming", "calls", sum=True),
        ElementColumn("talk_s", "rep_col_talk_total", "s", sum=True),
        ElementColumn("last_call", "rep_col_last_call"),
        *CALLER_COLUMNS[1:],
    ], note="rep_top_clients_note", totals=True, top=TOP_CLIENTS, scope=scope.calls_label(("incoming", "outgoing",
                                                                                             "mixed")))


def regions_element(scope: Scope) -> Element:
    """External calls by the region of the client's number (numbering registry), the largest first."""
    codes, distinct = numbers(scope)
    codes = codes[external(scope.calls).to_numpy(dtype=bool)]
    # per distinct number its calls and region; the external calls without a number are unknown
    regions = np.append(callers_of(scope).regions_of(distinct), "")
    per_number = np.bincount(np.where(codes < 0, len(distinct), codes), minlength=len(distinct) + 1)
    table = calls_by_region(regions, per_number, TOP_REGIONS, t("rep_region_other"), t("rep_region_unknown"))
    return element("regions", "rep_calls_by_region", table, [
        ElementColumn("region", "rep_col_region"),
        ElementColumn("calls", "rep_col_calls", "calls"),
    ], kind="bar", x="region", y=["calls"], note="rep_calls_by_region_note", top=TOP_REGIONS,
        scope=scope.calls_label(("incoming", "outgoing", "mixed")))


def clients_report(scope: Scope) -> Report:
    return Report("clients", t("rep_clients"), scope.filters, [
        kpis_element(scope),
        first_calls_element(scope),
        first_daily_element(scope),
        top_clients_element(scope),
        regions_element(scope),
    ])


def clients(period: str = "last_30_days", **keywords: Unpack[ScopeKeywords]) -> Report:
    """The Clients report (docs/reports.md "Clients")."""
    return clients_report(load_scope(period, columns=CLIENT_COLUMNS, **keywords))
