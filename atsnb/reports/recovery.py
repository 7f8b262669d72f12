"""The Missed-call recovery report: every incoming call nobody answered in the period, whether and
how fast the client was reached again — called back, or they called again and got through — and
by whom; the funnel by recovery window (docs/glossary.md §12); per employee and department the
missed calls that reached them and how many were recovered; and the clients still waiting for a
call back, newest first — the list a manager's morning call-back round starts from.

A missed call is recovered by the first answered external call with the same number that starts
after it (:func:`atsnb.metrics.recovery.missed_call_recovery`).  The calls after the period are read
for as long as the largest window (``thresholds.recovery_windows_min``), so a call missed on the
period's last evening is judged like any other; one missed too recently to have had the whole
window simply is not recovered yet.  ``line`` keeps the calls missed on that company number; the
call that recovers them may come on any line.  ``department`` and ``employee`` keep the missed calls
that reached those people (rang their phones, or waited in their queue or ring group:
:mod:`atsnb.metrics.who_missed`), whoever recovered them.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from atsnb.calls.reached_column import REACHED, unpack_places
from atsnb.calls.reading import read_calls
from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.metrics.recovery import (
    missed_call_recovery,
    parse_windows,
    recovery_by_employee,
    recovery_by_holder,
    recovery_funnel,
)
from atsnb.metrics.who_missed import Reach, reach, reaching
from atsnb.reports.detail import DETAIL_LIMIT
from atsnb.reports.elements import ElementColumn, element, kpi
from atsnb.reports.holders import department_chain, in_tree_order, people_filter
from atsnb.reports.links import call_addresses
from atsnb.reports.model import Element, Report
from atsnb.reports.pieces import by_name
from atsnb.reports.scope import Scope, StoreLike, load_scope
from atsnb.vectors import text_codes

# what the recovery metrics read of a call; the metric numbers the rows, and the call ids (kept as
# Arrow text, never a million Python strings) are taken only for the missed calls
RECOVERY_COLUMNS = ["start", "end", "direction", "status", "external_number", "line", "last_target", "employee",
                    REACHED]
CALL_ID = "missed_call_id"  # the missed call's id beside the metric's row number
REACHED_SHOWN = 3  # the people named per client to call back


def windows(scope: Scope) -> tuple[int, ...]:
    return parse_windows(scope.settings.thresholds.recovery_windows_min)


def recovery(scope: Scope, line: str | None, people: frozenset[str] | None = None) -> pd.DataFrame:
    """Every call missed in the scope's period (on ``line`` when given, reaching ``people`` when
    given) with its recovery and what it reached, once per report."""
    def compute() -> pd.DataFrame:
        # the period and the largest window after it, in one read (one set of categories)
        calls = read_calls(scope.store, scope.settings, scope.start,
                           scope.end + pd.Timedelta(minutes=max(windows(scope), default=0)),
                           [*RECOVERY_COLUMNS, "call_id"])
        out = missed_call_recovery(calls.assign(call_id=np.arange(len(calls))), windows(scope))
        rows = out["call_id"].to_numpy(dtype=np.int64)
        out[REACHED] = calls[REACHED].array.take(rows)
        out[CALL_ID] = calls["call_id"].array.take(rows)
        out = out[(out["start"] < scope.end).to_numpy()]
        if line:
            out = out[(out["line"] == line).to_numpy(dtype=bool)]
        if people is not None:
            out = out[reaching(out.assign(direction="incoming"), people)]
        return out.reset_index(drop=True)
    return scope.once("recovery", compute)


def kpis_element(scope: Scope, rec: pd.DataFrame) -> Element:
    """Missed calls, the share recovered (in all and within the first window), the median delay."""
    first = windows(scope)[0] if windows(scope) else None
    recovered = int(rec["recovered"].sum())
    share = 100.0 * recovered / len(rec) if len(rec) else float("nan")
    within = int(rec[f"within_{first}"].sum()) if first else 0
    quick = 100.0 * within / len(rec) if len(rec) and first else float("nan")
    return kpi("kpis", "rep_recovery_kpis", [
        (t("rep_kpi_missed_calls"), len(rec), "calls"),
        (t("rep_kpi_recovered_pct"), share, "%", (recovered, len(rec))),
        (t("rep_kpi_recovered_within_pct", window=window_label(first or 0)), quick, "%", (within, len(rec))),
        (t("rep_kpi_recovery_median"), float(rec.loc[rec["recovered"], "delay_s"].median()) if recovered else
         float("nan"), "s"),
        (t("rep_kpi_never_recovered"), len(rec) - recovered, "calls"),
    ], note="rep_recovery_kpis_note")


def window_label(minutes: int) -> str:
    """``20`` → "20 мин", ``120`` → "2 ч": a window as people say it."""
    return t("rep_hours", n=minutes // 60) if minutes >= 60 and minutes % 60 == 0 else t("rep_minutes", n=minutes)


def stage_label(stage: str) -> str:
    """``within_120`` → "за 2 ч"; the other stages by their own key (short: they label a chart's bars)."""
    if stage.startswith("within_"):
        return t("rep_recovery_within", window=window_label(int(stage.removeprefix("within_"))))
    return t(f"rep_recovery_stage_{stage}")


def funnel_element(scope: Scope, rec: pd.DataFrame) -> Element:
    """Missed calls, then those recovered within each window, in all, and never."""
    frame = recovery_funnel(rec, windows(scope))
    frame["stage"] = frame["stage"].map(stage_label)
    return element("funnel", "rep_recovery_funnel", frame, [
        ElementColumn("stage", "rep_col_stage"),
        ElementColumn("calls", "rep_col_calls", "calls"),
        ElementColumn("pct", "rep_col_share_of_missed", "%"),
    ], kind="bar", x="stage", y=["calls"], note="rep_recovery_funnel_note")


def call_ids(rows: pd.DataFrame) -> pd.Series:
    """The call id of each of ``rows`` (missed calls of :func:`recovery`, a table's worth), for the
    links to their pages."""
    return rows[CALL_ID].astype(object).fillna("").astype(str)


def words(values: pd.Series, say) -> pd.Series:
    """``say(value)`` of every value, computed once per distinct value (a table maps 20,000 rows)."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=False)
    said = np.array([say(u) for u in uniques] + [""], dtype=object)
    return pd.Series(said[codes] if len(codes) else [], index=values.index, dtype=object)


def first_window_label(scope: Scope) -> str:
    first = windows(scope)[0] if windows(scope) else 0
    return window_label(first)


HOLDER_COLS = [
    ElementColumn("missed", "rep_col_recovery_missed", "calls"),
    ElementColumn("recovered", "rep_col_recovery_recovered", "calls"),
    ElementColumn("recovered_pct", "rep_col_recovery_recovered_pct", "%"),
    ElementColumn("within_first", "rep_col_recovery_within_first", "calls"),
    ElementColumn("median_delay_s", "rep_col_recovery_median", "s"),
    ElementColumn("never", "rep_col_recovery_never", "calls"),
]


def missed_by_employee_element(scope: Scope, rec: pd.DataFrame, people: frozenset[str] | None) -> Element:
    """Per employee the missed calls that reached them (rang their phone, or waited in their queue
    or ring group) and what became of them: recovered, within the first window, median delay."""
    first = windows(scope)[0] if windows(scope) else None
    table = recovery_by_holder(rec, reached(scope, rec), lambda e: (e,) if people is None or e in people else (),
                               first)
    table["department"] = scope.org.department_series(table["employee"]).fillna("")
    table = by_name(table.assign(employee=table["employee"].map(scope.employee_label)), "employee")
    return element("missed_by_employee", "rep_recovery_missed_by_employee", table, [
        ElementColumn("employee", "rep_col_employee"), *HOLDER_COLS, ElementColumn("department", "rep_col_department"),
    ], note="rep_recovery_missed_by_note", window=first_window_label(scope))


def missed_by_department_element(scope: Scope, rec: pd.DataFrame, people: frozenset[str] | None,
                                 department: str | None) -> Element:
    """The same per department, rolled up the tree: a call counts once for a department however
    many of its employees it reached."""
    first = windows(scope)[0] if windows(scope) else None
    table = recovery_by_holder(
        rec, reached(scope, rec),
        lambda e: department_chain(scope, e, department) if people is None or e in people else (), first,
        "department")
    return element("missed_by_department", "rep_recovery_missed_by_department", in_tree_order(scope, table), [
        ElementColumn("department", "rep_col_department"), *HOLDER_COLS,
    ], note="rep_recovery_missed_by_note", window=first_window_label(scope))


def reached(scope: Scope, rec: pd.DataFrame) -> Reach:
    """The ``reached`` texts of the missed calls parsed once per report (both tables read them)."""
    return scope.once("recovery_reach", lambda: reach(rec.assign(direction="incoming")))


def by_employee_element(scope: Scope, rec: pd.DataFrame) -> Element:
    """Who recovered the missed calls: how many, their share, the median delay."""
    table = recovery_by_employee(rec.assign(by=rec["by"].astype(object).fillna("").astype(str)))
    nobody = table["by"].eq("").to_numpy()  # listed after the people, who come in name order
    table = table.assign(by=table["by"].map(lambda e: scope.employee_label(e) if e else t("rep_recovery_nobody")))
    table = pd.concat([by_name(table[~nobody], "by"), table[nobody]], ignore_index=True)
    return element("by_employee", "rep_recovery_by_employee", table, [
        ElementColumn("by", "rep_col_employee"),
        ElementColumn("calls", "rep_col_calls", "calls", sum=True),
        ElementColumn("share_pct", "rep_col_share", "%", ratio=("calls", "calls", 100.0)),
        ElementColumn("median_delay_s", "rep_col_recovery_median", "s"),
    ], note="rep_recovery_by_employee_note", totals=True)


def reached_names(scope: Scope, rows: pd.DataFrame) -> pd.Series:
    """Per missed call, the people it reached, as names ("Иванов Иван (201), …"): the distinct
    ``reached`` texts parsed in one pass (the same queue rings the same people)."""
    codes, texts = pd.factorize(rows[REACHED].astype(object).fillna("").astype(str))
    parent, letter, target, _ = unpack_places(list(texts))
    people: list[list[str]] = [[] for _ in texts]
    for i, kind, who in zip(parent.tolist(), letter.tolist(), target.tolist(), strict=True):
        if kind in ("r", "f", "m") and who in scope.org.employee_department and who not in people[i]:
            people[i].append(who)

    def names(found: list[str]) -> str:  # a queue rings a whole team: the first few, then how many more
        shown = ", ".join(scope.employee_label(e) for e in sorted(found)[:REACHED_SHOWN])
        more = len(found) - REACHED_SHOWN
        return f"{shown} {t('rep_known_more', n=more)}" if more > 0 else shown
    said = np.array([names(found) for found in people] + [""], dtype=object)
    return pd.Series(said[codes] if len(codes) else [], index=rows.index, dtype=object)


def waiting_clients(waiting: pd.DataFrame) -> pd.DataFrame:
    """One row per number of the missed calls ``waiting`` (in start order) — its last missed call,
    with ``attempts`` (how many) and ``first_missed`` (when the first was) — the latest first:
    computed on the numbers' codes, never grouped by a Python string."""
    codes, _ = text_codes(waiting["external_number"])
    order = np.argsort(waiting["start"].array.asi8, kind="stable")
    codes, k = codes[order], int(codes.max()) + 1 if len(codes) else 0
    last = np.full(k, -1, np.int64)
    last[codes] = np.arange(len(codes))  # the last assignment wins: each number's latest call
    first = np.full(k, -1, np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]  # and here its earliest
    chosen = np.sort(last)
    rows = waiting.iloc[order[chosen]].copy()
    rows["attempts"] = np.bincount(codes, minlength=k)[codes[chosen]]
    rows["first_missed"] = waiting["start"].array[order[first[codes[chosen]]]]
    return rows.sort_values("start", ascending=False, kind="stable")


def to_call_back_element(scope: Scope, rec: pd.DataFrame) -> Element:
    """The clients nobody has reached since they could not get through, one row per number, the
    latest first (today's on top): when they last called and how many times, on which line, where
    the call last rang and whom it reached — each linking to the last missed call's page."""
    waiting = rec[~rec["recovered"].to_numpy(dtype=bool)]
    rows = waiting_clients(waiting)
    clients = len(rows)
    rows = rows.head(DETAIL_LIMIT).reset_index(drop=True)
    rows["line"] = words(rows["line"], scope.line_label)
    rows["status"] = words(rows["status"], lambda v: t(str(v)))
    rows["reached"] = reached_names(scope, rows)
    table = element("to_call_back", "rep_recovery_to_call_back", rows, [
        ElementColumn("start", "rep_col_recovery_last_missed"),
        ElementColumn("external_number", "rep_col_caller"),
        ElementColumn("attempts", "rep_col_recovery_attempts", "calls"),
        ElementColumn("first_missed", "rep_col_recovery_first_missed"),
        ElementColumn("line", "rep_col_line"),
        ElementColumn("status", "rep_col_status"),
        ElementColumn("last_target", "rep_col_last_target"),
        ElementColumn("reached", "rep_col_recovery_reached"),
    ], note="rep_recovery_to_call_back_note", shown=len(rows), total=clients)
    table.rows_total = clients
    table.links = call_addresses(call_ids(rows))
    return table


def missed_element(scope: Scope, rec: pd.DataFrame) -> Element:
    """Every missed call, the ones never recovered first, latest first: who called, on which line,
    where the call last rang, and how, by whom and how fast it was recovered."""
    total = len(rec)
    rec = rec.sort_values(["recovered", "start"], ascending=[True, False], kind="stable").head(DETAIL_LIMIT)
    rec = rec.reset_index(drop=True)
    ids = call_ids(rec)
    rec["status"] = words(rec["status"], lambda v: t(str(v)))
    rec["how"] = words(rec["how"], lambda h: t(f"rep_recovery_how_{h}") if isinstance(h, str) else "")
    rec["by"] = words(rec["by"], lambda e: scope.employee_label(e) if isinstance(e, str) and e else "")
    rec["line"] = words(rec["line"], scope.line_label)
    table = element("missed", "rep_recovery_missed", rec, [
        ElementColumn("start", "rep_col_start"),
        ElementColumn("external_number", "rep_col_caller"),
        ElementColumn("line", "rep_col_line"),
        ElementColumn("status", "rep_col_status"),
        ElementColumn("last_target", "rep_col_last_target"),
        ElementColumn("how", "rep_col_recovered_how"),
        ElementColumn("by", "rep_col_recovered_by"),
        ElementColumn("delay_s", "rep_col_recovery_delay", "s"),
    ], note="rep_recovery_missed_note", shown=len(rec), total=total)
    table.rows_total = total
    table.links = call_addresses(ids)
    return table


def recovery_report(scope: Scope, line: str | None = None, people: frozenset[str] | None = None,
                    department: str | None = None) -> Report:
    filters = scope.filters | ({"line": line} if line else {})
    rec = recovery(scope, line, people)
    return Report("recovery", t("rep_recovery"), filters, [
        kpis_element(scope, rec),
        to_call_back_element(scope, rec),
        funnel_element(scope, rec),
        missed_by_employee_element(scope, rec, people),
        missed_by_department_element(scope, rec, people, department),
        by_employee_element(scope, rec),
        missed_element(scope, rec),
    ])


def recovery_calls(
    period: str = "last_30_days",
    *,
    start: object = None,
    end: object = None,
    department: str | None = None,
    employee: str | Iterable[str] | None = None,
    line: str | None = None,
    store: StoreLike = None,
    settings: Settings | None = None,
    now: pd.Timestamp | None = None,
) -> Report:
    """The Missed-call recovery report; ``line`` keeps the calls missed on that company number,
    ``department`` and ``employee`` the missed calls that reached those people.  It takes no
    direction: a missed call is incoming, and its recovery crosses directions."""
    # the scope gives the period, the organisation and the filters shown; the calls are read above
    scope = load_scope(period, start=start, end=end, line=line, apply_line=False, columns=["start"], store=store,
                       settings=settings, now=now)
    people = people_filter(scope, department, employee)
    return recovery_report(scope, line, people, department)
