"""The Website callbacks report: the "call me back" requests left on the company's sites — how
many, how many were connected, how fast the PBX called and connected (median and 90th
percentile), by site and page and by UTM source, medium and campaign, and every request with the
ones nobody has called back yet first (docs/reports.md "Website callbacks").

Requests come from the PBX's callback module (the store's ``callbacks`` table, docs/sync.md);
what counts as connected, reached later and never called back is :mod:`atsnb.metrics.callbacks`.
Filters: the period (by the time of the request), ``department`` and ``employee`` (the employee
the PBX rang first).  A request's call is outgoing and its line is the PBX's choice, so the report
takes no direction or line.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from atsnb.calls.reading import read_calls
from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.metrics.callbacks import (
    CALLBACK_COLUMNS,
    callback_figures,
    callback_outcomes,
    callbacks_by,
    daily_callbacks,
)
from atsnb.metrics.recovery import parse_windows
from atsnb.reports.detail import DETAIL_LIMIT
from atsnb.reports.elements import ElementColumn, element, kpi
from atsnb.reports.holders import keeps, people_filter
from atsnb.reports.linked_calls import calls_by_id
from atsnb.reports.links import call_addresses
from atsnb.reports.model import Element, Report
from atsnb.reports.scope import Scope, StoreLike, load_scope
from atsnb.vectors import text_in, text_map

LATER_COLUMNS = ["start", "direction", "status", "external_number", "employee"]
TIMES = ("requested_at", "called_at", "connected_at")


def horizon_min(scope: Scope) -> int:
    """How long after a request a later call still counts as calling the client back: the largest
    missed-call recovery window (``thresholds.recovery_windows_min``, 24 h by default)."""
    return max(parse_windows(scope.settings.thresholds.recovery_windows_min), default=1440)


def outcomes(scope: Scope, people: frozenset[str] | None) -> pd.DataFrame:
    """The period's requests (by ``requested_at``) of the employees kept, with their outcomes; once."""
    def compute() -> pd.DataFrame:
        tz = scope.settings.pbx.timezone
        table = scope.store.table("callbacks")
        wall = [moment.tz_convert(tz).tz_localize(None) for moment in (scope.start, scope.end)]
        raw = table.read(*wall, columns=CALLBACK_COLUMNS) if table.months() else pd.DataFrame()
        if raw.empty:
            raw = pd.DataFrame({c: pd.Series(dtype="datetime64[us]" if c in TIMES else object)
                                for c in CALLBACK_COLUMNS})
        raw = raw[keeps(raw["extension"], people)].sort_values("requested_at", kind="stable", ignore_index=True)
        for column in TIMES:
            raw[column] = pd.to_datetime(raw[column]).dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
        later = read_calls(scope.store, scope.settings, scope.start,
                           scope.end + pd.Timedelta(minutes=horizon_min(scope)), LATER_COLUMNS)
        return callback_outcomes(raw, later, horizon_min(scope))
    return scope.once("callbacks", compute)


def kpis_element(rows: pd.DataFrame) -> Element:
    """Requests, the share connected, never called back, the time to the call and to the connection."""
    f = callback_figures(rows)
    return kpi("kpis", "cb_kpis", [
        (t("cb_kpi_requests"), f["requests"], "calls"),
        (t("cb_kpi_connected_pct"), f["connected_pct"], "%", (f["connected"], f["requests"])),
        (t("cb_kpi_never"), f["never"], "calls"),
        (t("cb_kpi_to_call_median"), f["to_call_median_s"], "s"),
        (t("cb_kpi_to_call_p90"), f["to_call_p90_s"], "s"),
        (t("cb_kpi_to_connect_median"), f["to_connect_median_s"], "s"),
        (t("cb_kpi_to_connect_p90"), f["to_connect_p90_s"], "s"),
    ], note="cb_kpis_note")


def daily_element(scope: Scope, rows: pd.DataFrame) -> Element:
    """Requests per day: connected, reached later, never called back."""
    frame = daily_callbacks(rows, scope.start, scope.end)
    return element("daily", "cb_daily", frame, [
        ElementColumn("day", "rep_col_day"),
        ElementColumn("connected", "cb_col_connected", "calls"),
        ElementColumn("reached_later", "cb_col_reached_later", "calls"),
        ElementColumn("never", "cb_col_never", "calls"),
    ], kind="stacked_bar", x="day", y=["connected", "reached_later", "never"], note="cb_daily_note")


FIGURE_COLS = [
    ElementColumn("requests", "cb_col_requests", "calls", sum=True),
    ElementColumn("connected", "cb_col_connected", "calls", sum=True),
    ElementColumn("connected_pct", "cb_col_connected_pct", "%", ratio=("connected", "requests", 100.0)),
    ElementColumn("never", "cb_col_never", "calls", sum=True),
    ElementColumn("to_call_median_s", "cb_col_to_call_median", "s"),
    ElementColumn("to_connect_median_s", "cb_col_to_connect_median", "s"),
    ElementColumn("to_connect_p90_s", "cb_col_to_connect_p90", "s"),
]


def by_site_element(rows: pd.DataFrame) -> Element:
    """Per site and page of the form: requests, connected, never called back, how fast."""
    return element("by_site", "cb_by_site", callbacks_by(rows, ["site", "page"]), [
        ElementColumn("site", "cb_col_site"), ElementColumn("page", "cb_col_page"), *FIGURE_COLS,
    ], note="cb_by_note", totals=True)


def by_utm_element(rows: pd.DataFrame) -> Element:
    """Per UTM source, medium and campaign of the visit (empty: a visit without tags)."""
    return element("by_utm", "cb_by_utm", callbacks_by(rows, ["utm_source", "utm_medium", "utm_campaign"]), [
        ElementColumn("utm_source", "cb_col_utm_source"), ElementColumn("utm_medium", "cb_col_utm_medium"),
        ElementColumn("utm_campaign", "cb_col_utm_campaign"), *FIGURE_COLS,
    ], note="cb_by_note", totals=True)


def outcome_text(rows: pd.DataFrame) -> pd.Series:
    """What became of each request, in the reader's words: the module's status, or reached later."""
    said = text_map(rows["status"], lambda s: t(f"cb_status_{s}") if s else "")  # once per distinct status
    status = pd.Series(said, index=rows.index, dtype=object)
    return status.where(~rows["reached_later"].to_numpy(dtype=bool), t("cb_status_reached_later"))


def requests_element(scope: Scope, rows: pd.DataFrame) -> Element:
    """Every request, the ones never called back first, newest first: when, where from, the client,
    the employee rung, the outcome and the times; a row links to its call and plays its recording."""
    order = rows.sort_values(["never", "requested_at"], ascending=[False, False], kind="stable")
    shown = order.head(DETAIL_LIMIT).reset_index(drop=True)
    found = calls_by_id(scope, shown["linkedid"], shown["requested_at"].min(), ["recording"]) \
        if len(shown) else pd.DataFrame(columns=["recording"])
    recording = shown["linkedid"].astype(str).map(found["recording"]).fillna("").astype(str)
    has_call = text_in(shown["linkedid"].astype(str), found.index.to_series())
    frame = shown.assign(
        employee=text_map(shown["extension"], lambda e: scope.employee_label(e) if e else ""),
        outcome=outcome_text(shown),
        since_s=np.where(shown["reached_later"], (shown["reached_at"] - shown["requested_at"]).dt.total_seconds(),
                         np.nan) if len(shown) else np.zeros(0),
        has_recording=recording.ne("").map({True: t("rat_yes"), False: ""}),
    )
    table = element("requests", "cb_requests", frame, [
        ElementColumn("requested_at", "cb_col_requested_at"),
        ElementColumn("number", "rep_col_caller"),
        ElementColumn("outcome", "cb_col_outcome"),
        ElementColumn("employee", "cb_col_employee"),
        ElementColumn("to_call_s", "cb_col_to_call", "s"),
        ElementColumn("to_connect_s", "cb_col_to_connect", "s"),
        ElementColumn("since_s", "cb_col_reached_after", "s"),
        ElementColumn("site", "cb_col_site"),
        ElementColumn("page", "cb_col_page"),
        ElementColumn("utm_source", "cb_col_utm_source"),
        ElementColumn("utm_medium", "cb_col_utm_medium"),
        ElementColumn("utm_campaign", "cb_col_utm_campaign"),
        ElementColumn("has_recording", "rep_col_recording"),
    ], note="cb_requests_note", shown=len(shown), total=len(rows))
    table.rows_total = len(rows)
    table.links = call_addresses(shown["linkedid"].astype(str)).where(has_call, "")
    table.recordings = shown["linkedid"].astype(str).where(recording.ne(""), "")  # played on the dashboard
    return table


def callbacks_report(scope: Scope, people: frozenset[str] | None) -> Report:
    rows = outcomes(scope, people)
    return Report("callbacks", t("cb_title"), scope.filters, [
        kpis_element(rows),
        daily_element(scope, rows),
        by_site_element(rows),
        by_utm_element(rows),
        requests_element(scope, rows),
    ])


def callbacks(
    period: str = "last_30_days",
    *,
    start: object = None,
    end: object = None,
    department: str | None = None,
    employee: str | Iterable[str] | None = None,
    store: StoreLike = None,
    settings: Settings | None = None,
    now: pd.Timestamp | None = None,
) -> Report:
    """The Website callbacks report over the requests left in the period; ``department`` and
    ``employee`` keep the requests whose call rang those employees first."""
    scope = load_scope(period, start=start, end=end, columns=["start"], store=store, settings=settings, now=now)
    return callbacks_report(scope, people_filter(scope, department, employee))
