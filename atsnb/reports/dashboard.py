"""The Dashboard report: headline KPIs, line load, external and unanswered calls per
day, calls per day by weekday, talk-time bucket and department.

``dashboard(...)`` loads the calls once and assembles the elements; each ``*_element(scope)``
function builds one of them and can be called on its own from a notebook.

Every figure counts the calls of one scope, **external calls** unless the ``direction`` filter says
otherwise (``"all"`` for every call, internal ones too, or one or more directions), and every
element's title says which calls it counts (:meth:`~atsnb.reports.scope.Scope.calls_label`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Unpack

import numpy as np
import pandas as pd

from atsnb.calls.reading import SCOPE_COLUMNS
from atsnb.i18n import t
from atsnb.metrics import counts, durations, line_load, service
from atsnb.metrics.attribution import calls_per_employee_per_day
from atsnb.metrics.calls import EXTERNAL, INBOUND, external, inbound
from atsnb.metrics.summary import distinct_calls_by
from atsnb.reports.elements import ElementColumn, element, kpi, scoped_title, weekday_names
from atsnb.reports.model import Element, Report
from atsnb.reports.pieces import NO_DEPARTMENT, line_load_by_line_element, with_reach_note
from atsnb.reports.scope import Scope, ScopeKeywords, load_scope

# no figure shows a call id, and the attribution finds who else answered in the answers column:
# a year's million distinct ids are the costliest column to read
DASHBOARD_COLUMNS = [c for c in SCOPE_COLUMNS if c != "call_id"]
DEFAULT_DIRECTION = "external"  # the calls the dashboard counts unless told otherwise
PROFILE_KEYS = {"working": "line_load", "weekend": "line_load_weekend"}  # the profile's element per day type


def kpis_element(scope: Scope) -> Element:
    """Headline figures: external and incoming calls, % unanswered and % dropped of incoming (with
    the counts they are taken of), mean talk and wait, calls per employee per day, service level
    (with its counts) and ASA — all on the scope's calls, which the title names."""
    calls = scope.calls
    rates = counts.unanswered_rates(calls)
    threshold = scope.settings.thresholds.service_level_s
    within, answered_incoming = service.service_level_counts(calls, threshold)
    return kpi("kpis", "rep_kpis", [
        (t("rep_kpi_external"), int(external(calls).sum()), "calls"),
        (t("rep_kpi_incoming"), int(inbound(calls).sum()), "calls"),
        (t("rep_kpi_unanswered_pct"), rates["unanswered_pct"], "%", (rates["unanswered"], rates["incoming"])),
        (t("rep_kpi_dropped_pct"), rates["dropped_pct"], "%", (rates["dropped"], rates["incoming"])),
        (t("rep_kpi_mean_talk"), durations.mean_talk_s(calls), "s"),
        (t("rep_kpi_mean_wait"), durations.mean_wait_s(calls), "s"),
        (t("rep_kpi_per_employee_day"), calls_per_employee_per_day(scope.attributed, call_days(scope)), "calls"),
        (t("rep_kpi_service_level", threshold=threshold), service.service_level_pct(calls, threshold), "%",
         (within, answered_incoming)),
        (t("rep_kpi_asa"), service.asa_s(calls), "s"),
    ], note="rep_kpis_note", scope=scope.calls_label())


def _by_day(scope: Scope) -> bool:
    """Whether the peak chart shows days rather than the hours of a single day."""
    return scope.end - scope.start > pd.Timedelta(days=1)


def hourly_loads(scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hourly load overall and per line, computed once per report (four elements use them)."""
    return scope.once("line_loads", lambda: line_load.line_loads(scope.calls, scope.start, scope.end))


def line_load_profile_element(scope: Scope, day_type: str) -> Element:
    """Busy external lines by hour of day on working days or weekends: the mean over those days and
    the highest load of that hour on any of them (:func:`atsnb.metrics.line_load.load_profile`).
    Empty when the period has no such day (the chart then says there is no data)."""
    profile = scope.once("line_load_profile",
                         lambda: line_load.load_profile(hourly_loads(scope)[0], until=scope.now))
    frame = profile[(profile["day_type"] == day_type).to_numpy()]
    days = int(frame["days"].iloc[0]) if len(frame) else 0
    frame = frame.assign(hour=[f"{hour:02d}" for hour in frame["hour"]])
    return element(PROFILE_KEYS[day_type], "rep_line_load", frame, [
        ElementColumn("hour", "rep_col_hour_of_day"),
        ElementColumn("mean", "rep_col_load_mean", "lines"),
        ElementColumn("max", "rep_col_load_max", "lines"),
    ], kind="bar", x="hour", y=["mean", "max"], note=f"rep_line_load_note_{day_type}", days=days,
        day_type=t(f"rep_day_type_{day_type}"), scope=scope.calls_label(EXTERNAL))


def line_load_per_line_element(scope: Scope) -> Element:
    """The peak number of busy lines per day (per hour for a period of one day), of all lines
    together and of each company number."""
    overall, by_line = hourly_loads(scope)
    freq = "D" if _by_day(scope) else None
    if overall.empty:
        wide = pd.DataFrame({"hour": pd.Series([], dtype=object)})
    else:
        total = (line_load.coarsen_load(overall, freq) if freq else overall).set_index("hour")["max"]
        per_line = line_load.peak_per_line(by_line, freq).rename(columns=scope.line_label) if len(by_line) else None
        wide = pd.concat([total.rename(t("rep_line_load_all")), per_line], axis=1).rename_axis("hour").reset_index()
    lines = [c for c in wide.columns if c != "hour"]
    time = t("rep_col_day" if freq else "rep_col_time")
    data = wide.rename(columns={"hour": time})
    return Element("line_load_per_line", scoped_title(t("rep_line_load_per_line"), scope.calls_label(EXTERNAL)), data,
                   kind="line", x=time,
                   y=lines, units=dict.fromkeys(lines, "lines"),
                   note=t("rep_line_load_per_line_note_day" if freq else "rep_line_load_per_line_note_hour"))


def call_days(scope: Scope) -> np.ndarray:
    """Every call's day (wall clock) as an integer, computed once per report: three charts bucket
    the calls by day or weekday."""
    return scope.once("call_days", lambda: counts.bucket_codes(scope.calls["start"], "day"))


def begun(scope: Scope, daily: pd.DataFrame) -> pd.DataFrame:
    """The days of a per-day frame that have begun by the report's clock: a day still to come has no
    data, not zero calls (a period wholly in the future is then empty, and its chart says so)."""
    if scope.now is None:
        return daily
    return daily[(daily["day"] <= scope.now).to_numpy()].reset_index(drop=True)


def external_daily_element(scope: Scope) -> Element:
    """External calls per day by direction; a transferred call counts once."""
    frame = begun(scope, counts.daily_external(scope.calls, scope.start, scope.end, call_days(scope)))
    return element("external_daily", "rep_external_daily", frame, [
        ElementColumn("day", "rep_col_day"),
        ElementColumn("incoming", "incoming", "calls"),
        ElementColumn("outgoing", "outgoing", "calls"),
        ElementColumn("mixed", "mixed", "calls"),
        ElementColumn("calls", "rep_col_calls", "calls"),
    ], kind="stacked_bar", x="day", y=["incoming", "outgoing", "mixed"], note="rep_external_daily_note",
        scope=scope.calls_label(EXTERNAL))


def unanswered_daily_element(scope: Scope) -> Element:
    """Incoming calls nobody answered, per day, split missed / dropped."""
    frame = begun(scope, counts.daily_unanswered_incoming(scope.calls, scope.start, scope.end, call_days(scope)))
    return element("unanswered_daily", "rep_unanswered_daily", frame, [
        ElementColumn("day", "rep_col_day"),
        ElementColumn("missed", "missed", "calls"),
        ElementColumn("dropped", "dropped", "calls"),
        ElementColumn("calls", "rep_col_calls", "calls"),
    ], kind="stacked_bar", x="day", y=["missed", "dropped"], note="rep_unanswered_daily_note",
        short=scope.settings.thresholds.short_abandon_s, scope=scope.calls_label(INBOUND))


def weekday_share_element(scope: Scope) -> Element:
    """Calls per day of each weekday (:func:`atsnb.metrics.counts.per_weekday`: the mean over the
    period's whole dates of that weekday), with the calls and dates it is the mean of; empty — "no
    data" — when those dates hold no call."""
    frame = counts.per_weekday(scope.calls, scope.start, scope.end, call_days(scope), until=scope.now)
    if not frame["calls"].any():
        frame = frame.iloc[0:0]
    frame["weekday"] = weekday_names(frame["weekday"])
    # the counts behind each bar, also where no tooltip shows (a phone, a notebook's picture)
    behind = ", ".join(f"{day} {calls:,}/{days}".replace(",", "\u202f")
                       for day, calls, days in zip(frame["weekday"], frame["calls"], frame["days"], strict=True))
    table = element("weekday_share", "rep_weekday_share", frame, [
        ElementColumn("weekday", "rep_col_weekday"),
        ElementColumn("per_day", "rep_col_calls_per_day", "calls"),
        ElementColumn("calls", "rep_col_calls", "calls"),
        ElementColumn("days", "rep_col_dates"),
    ], kind="bar", x="weekday", y=["per_day"], note="rep_weekday_share_note", scope=scope.calls_label(),
        counts=behind or "—")
    table.tooltip = [t("rep_col_calls"), t("rep_col_dates")]
    return table


def talk_buckets_element(scope: Scope) -> Element:
    """Answered calls by talk time: half-open ranges < 30 s, 30 s – 1 min, … ≥ 10 min."""
    frame = durations.talk_buckets(scope.calls)
    if not frame["calls"].any():  # no answered call: "no data", not a pie of zeros
        frame = frame.iloc[0:0]
    frame["bucket"] = [bucket_label(lo, hi) for lo, hi in zip(frame["from_s"], frame["to_s"], strict=True)]
    return element("talk_buckets", "rep_talk_buckets", frame, [
        ElementColumn("bucket", "rep_col_talk_bucket"),
        ElementColumn("calls", "rep_col_calls", "calls"),
        ElementColumn("share_pct", "rep_col_share", "%"),
    ], kind="pie", x="bucket", y=["calls"], note="rep_talk_buckets_note", scope=scope.calls_label())


def bucket_label(lo: float, hi: float) -> str:
    """``"1–3 мин"``, ``"< 30 с"``, ``"≥ 10 мин"`` in the reader's language."""
    def fmt(seconds: float) -> str:
        if seconds >= 60 and seconds % 60 == 0:
            return t("rep_minutes", n=int(seconds // 60))
        return t("rep_seconds", n=int(seconds))
    if pd.isna(hi):  # no-break spaces: a legend never ends a line with "≥" or "–"
        return f"≥\u00a0{fmt(lo)}"
    return f"{fmt(lo)}\u00a0– {fmt(hi)}" if lo else f"<\u00a0{fmt(hi)}"


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
    ], kind="pie", x="department", y=["calls"], note="rep_department_share_note", scope=scope.calls_label())


def dashboard_report(scope: Scope) -> Report:
    """Every dashboard element from one scope."""
    return Report("dashboard", t("rep_dashboard"), scope.filters, [
        with_reach_note(kpis_element(scope), scope),  # filtered by people: which calls are theirs
        line_load_profile_element(scope, "working"),
        line_load_profile_element(scope, "weekend"),
        line_load_per_line_element(scope),
        line_load_by_line_element(scope, hourly_loads(scope)[1]),
        external_daily_element(scope),
        with_reach_note(unanswered_daily_element(scope), scope),
        weekday_share_element(scope),
        talk_buckets_element(scope),
        department_share_element(scope),
    ])


def dashboard(
    period: str = "last_30_days",
    *,
    direction: str | Iterable[str] | None = DEFAULT_DIRECTION,
    **keywords: Unpack[ScopeKeywords],
) -> Report:
    """The Dashboard report for a period and filters (see :mod:`atsnb.reports.scope`), on external
    calls unless ``direction`` says otherwise (``"all"``: every call; ``None`` is the default too)."""
    scope = load_scope(period, columns=DASHBOARD_COLUMNS, direction=direction or DEFAULT_DIRECTION, **keywords)
    return dashboard_report(scope)
