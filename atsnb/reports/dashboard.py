"""The Dashboard report: headline KPIs, line load, external and unanswered calls per
day, shares by weekday, talk-time bucket and department.

``dashboard(...)`` loads the calls once and assembles the elements; each ``*_element(scope)``
function builds one of them and can be called on its own from a notebook.
"""

from __future__ import annotations

from typing import Unpack

import numpy as np
import pandas as pd

from atsnb.calls.reading import SCOPE_COLUMNS
from atsnb.i18n import t
from atsnb.metrics import counts, durations, line_load, service
from atsnb.metrics.attribution import calls_per_employee_per_day
from atsnb.metrics.calls import external, inbound
from atsnb.metrics.summary import distinct_calls_by
from atsnb.reports.elements import ElementColumn, element, kpi, weekday_names
from atsnb.reports.model import Element, Report
from atsnb.reports.pieces import LOAD_COLS, NO_DEPARTMENT, line_load_by_line_element
from atsnb.reports.scope import Scope, ScopeKeywords, load_scope

# no figure shows a call id, and the attribution finds who else answered in the answers column:
# a year's million distinct ids are the costliest column to read
DASHBOARD_COLUMNS = [c for c in SCOPE_COLUMNS if c != "call_id"]
HOURLY_LOAD_UP_TO_DAYS = 31  # longer periods chart the load per day (min of mins, mean, max of maxes)
def kpis_element(scope: Scope) -> Element:
    """Headline figures: external and incoming calls, % unanswered and % dropped of incoming, mean
    talk and wait, calls per employee per day, service level and ASA."""
    calls = scope.calls
    rates = counts.unanswered_rates(calls)
    threshold = scope.settings.thresholds.service_level_s
    return kpi("kpis", "rep_kpis", [
        (t("rep_kpi_external"), int(external(calls).sum()), "calls"),
        (t("rep_kpi_incoming"), int(inbound(calls).sum()), "calls"),
        (t("rep_kpi_unanswered_pct"), rates["unanswered_pct"], "%"),
        (t("rep_kpi_dropped_pct"), rates["dropped_pct"], "%"),
        (t("rep_kpi_mean_talk"), durations.mean_talk_s(calls), "s"),
        (t("rep_kpi_mean_wait"), durations.mean_wait_s(calls), "s"),
        (t("rep_kpi_per_employee_day"), calls_per_employee_per_day(scope.attributed, call_days(scope)), "calls"),
        (t("rep_kpi_service_level", threshold=threshold), service.service_level_pct(calls, threshold), "%"),
        (t("rep_kpi_asa"), service.asa_s(calls), "s"),
    ], note="rep_kpis_note")


def _per_day(scope: Scope) -> bool:
    """Whether the load charts show days (min of mins, …) rather than hours: beyond a month."""
    return (scope.end - scope.start) / pd.Timedelta(days=1) > HOURLY_LOAD_UP_TO_DAYS


def hourly_loads(scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hourly load overall and per line, computed once per report (three elements use them)."""
    return scope.once("line_loads", lambda: line_load.line_loads(scope.calls, scope.start, scope.end))


def line_load_element(scope: Scope) -> Element:
    """Busy external lines per hour (per day for periods over a month): min, mean, max."""
    frame = hourly_loads(scope)[0]
    if _per_day(scope):
        frame = line_load.coarsen_load(frame)
    return element("line_load", "rep_line_load", frame, [
        ElementColumn("hour", "rep_col_time"),
        *LOAD_COLS,
    ], kind="line", x="hour", y=["min", "mean", "max"], note="rep_line_load_note")


def line_load_per_line_element(scope: Scope) -> Element:
    """The peak number of busy lines of each company number, per hour (per day beyond a month)."""
    hourly = hourly_loads(scope)[1]
    if hourly.empty:
        wide = pd.DataFrame({"hour": pd.Series([], dtype=object)})
    else:
        wide = line_load.peak_per_line(hourly, "D" if _per_day(scope) else None)
        wide = wide.rename(columns=scope.line_label).reset_index()
    lines = [c for c in wide.columns if c != "hour"]
    data = wide.rename(columns={"hour": t("rep_col_time")})
    return Element("line_load_per_line", t("rep_line_load_per_line"), data, kind="line", x=t("rep_col_time"),
                   y=lines, units=dict.fromkeys(lines, "lines"), note=t("rep_line_load_per_line_note"))


def call_days(scope: Scope) -> np.ndarray:
    """Every call's day (wall clock) as an integer, computed once per report: three charts bucket
    the calls by day or weekday."""
    return scope.once("call_days", lambda: counts.bucket_codes(scope.calls["start"], "day"))


def external_daily_element(scope: Scope) -> Element:
    """External calls per day by direction; a transferred call counts once."""
    frame = counts.daily_external(scope.calls, scope.start, scope.end, call_days(scope))
    return element("external_daily", "rep_external_daily", frame, [
        ElementColumn("day", "rep_col_day"),
        ElementColumn("incoming", "incoming", "calls"),
        ElementColumn("outgoing", "outgoing", "calls"),
        ElementColumn("mixed", "mixed", "calls"),
        ElementColumn("calls", "rep_col_calls", "calls"),
    ], kind="stacked_bar", x="day", y=["incoming", "outgoing", "mixed"], note="rep_external_daily_note")


def unanswered_daily_element(scope: Scope) -> Element:
    """Incoming calls nobody answered, per day, split missed / dropped."""
    frame = counts.daily_unanswered_incoming(scope.calls, scope.start, scope.end, call_days(scope))
    return element("unanswered_daily", "rep_unanswered_daily", frame, [
        ElementColumn("day", "rep_col_day"),
        ElementColumn("missed", "missed", "calls"),
        ElementColumn("dropped", "dropped", "calls"),
        ElementColumn("calls", "rep_col_calls", "calls"),
    ], kind="stacked_bar", x="day", y=["missed", "dropped"], note="rep_unanswered_daily_note",
        short=scope.settings.thresholds.short_abandon_s)


def weekday_share_element(scope: Scope) -> Element:
    """Share of calls by weekday over the period."""
    frame = counts.counts_by(scope.calls, "weekday", start=scope.start, end=scope.end,
                             codes=counts.from_days(call_days(scope), "weekday"))
    frame["weekday"] = weekday_names(frame["weekday"])
    return element("weekday_share", "rep_weekday_share", frame, [
        ElementColumn("weekday", "rep_col_weekday"),
        ElementColumn("share_pct", "rep_col_share", "%"),
        ElementColumn("calls", "rep_col_calls", "calls"),
    ], kind="bar", x="weekday", y=["share_pct"])


def talk_buckets_element(scope: Scope) -> Element:
    """Answered calls by talk time: half-open ranges < 30 s, 30 s – 1 min, … ≥ 10 min."""
    frame = durations.talk_buckets(scope.calls)
    frame["bucket"] = [bucket_label(lo, hi) for lo, hi in zip(frame["from_s"], frame["to_s"], strict=True)]
    return element("talk_buckets", "rep_talk_buckets", frame, [
        ElementColumn("bucket", "rep_col_talk_bucket"),
        ElementColumn("calls", "rep_col_calls", "calls"),
        ElementColumn("share_pct", "rep_col_share", "%"),
    ], kind="pie", x="bucket", y=["calls"], note="rep_talk_buckets_note")


def bucket_label(lo: float, hi: float) -> str:
    """``"1–3 мин"``, ``"< 30 с"``, ``"≥ 10 мин"`` in the reader's language."""
    def fmt(seconds: float) -> str:
        if seconds >= 60 and seconds % 60 == 0:
            return t("rep_minutes", n=int(seconds // 60))
        return t("rep_seconds", n=int(seconds))
    if pd.isna(hi):
        return f"≥ {fmt(lo)}"
    return f"{fmt(lo)} – {fmt(hi)}" if lo else f"< {fmt(hi)}"


def department_of(scope: Scope, employees: pd.Series) -> pd.Series:
    """Each employee's department ("no department" where none) as a categorical, looked up once per
    distinct employee: a year's million rows then stay integer codes."""
    codes, names = pd.factorize(employees)
    departments = pd.Series(np.asarray(names, dtype=object), dtype=object).map(scope.org.employee_department)
    labels, shown = pd.factorize(departments.fillna(t(NO_DEPARTMENT)))
    entry = labels[codes] if len(names) else np.zeros(0, np.intp)
    return pd.Series(pd.Categorical.from_codes(entry, shown), index=employees.index, name="department")


def department_share_element(scope: Scope) -> Element:
    """Share of handled calls by the department of the employees who handled them (a call handled
    by two departments counts for each); calls nobody handled are not in it."""
    rows = scope.attributed
    per_department = distinct_calls_by(rows, department_of(scope, rows["employee"]))
    per_department.index = pd.Index(np.asarray(per_department.index, dtype=object), name="department")  # names, not codes
    frame = per_department.sort_values(ascending=False).reset_index()
    frame["share_pct"] = counts.share_pct(frame["calls"])
    return element("department_share", "rep_department_share", frame, [
        ElementColumn("department", "rep_col_department"),
        ElementColumn("calls", "rep_col_calls", "calls"),
        ElementColumn("share_pct", "rep_col_share", "%"),
    ], kind="pie", x="department", y=["calls"], note="rep_department_share_note")


def dashboard_report(scope: Scope) -> Report:
    """Every dashboard element from one scope."""
    return Report("dashboard", t("rep_dashboard"), scope.filters, [
        kpis_element(scope),
        line_load_element(scope),
        line_load_per_line_element(scope),
        line_load_by_line_element(scope, hourly_loads(scope)[1]),
        external_daily_element(scope),
        unanswered_daily_element(scope),
        weekday_share_element(scope),
        talk_buckets_element(scope),
        department_share_element(scope),
    ])


def dashboard(
    period: str = "last_30_days",
    **keywords: Unpack[ScopeKeywords],
) -> Report:
    """The Dashboard report for a period and filters (see :mod:`atsnb.reports.scope`)."""
    scope = load_scope(period, columns=DASHBOARD_COLUMNS, **keywords)
    return dashboard_report(scope)
