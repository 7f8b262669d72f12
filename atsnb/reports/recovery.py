"""The Missed-call recovery report: every incoming call nobody answered in the period, whether and
how fast the client was reached again — called back, or they called again and got through — and
by whom; the funnel by recovery window (docs/glossary.md §12).

A missed call is recovered by the first answered external call with the same number that starts
after it (:func:`atsnb.metrics.recovery.missed_call_recovery`).  The calls after the period are read
for as long as the largest window (``thresholds.recovery_windows_min``), so a call missed on the
period's last evening is judged like any other; one missed too recently to have had the whole
window simply is not recovered yet.  ``line`` keeps the calls missed on that company number; the
call that recovers them may come on any line.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.calls.reading import read_calls
from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.metrics.recovery import missed_call_recovery, parse_windows, recovery_by_employee, recovery_funnel
from atsnb.reports.detail import DETAIL_LIMIT
from atsnb.reports.elements import ElementColumn, element, kpi, translated
from atsnb.reports.model import Element, Report
from atsnb.reports.pieces import by_name
from atsnb.reports.scope import Scope, StoreLike, load_scope

# what the recovery metrics read of a call (no call ids: a year's million distinct ids are the costliest
# column to read, and no figure shows one; the rows are numbered instead)
RECOVERY_COLUMNS = ["start", "end", "direction", "status", "external_number", "line", "last_target", "employee"]


def windows(scope: Scope) -> tuple[int, ...]:
    return parse_windows(scope.settings.thresholds.recovery_windows_min)


def recovery(scope: Scope, line: str | None) -> pd.DataFrame:
    """Every call missed in the scope's period (on ``line`` when given) with its recovery, once per report."""
    def compute() -> pd.DataFrame:
        # the period and the largest window after it, in one read (one set of categories)
        calls = read_calls(scope.store, scope.settings, scope.start,
                           scope.end + pd.Timedelta(minutes=max(windows(scope), default=0)), RECOVERY_COLUMNS)
        out = missed_call_recovery(calls.assign(call_id=np.arange(len(calls))), windows(scope))
        out = out[out["start"] < scope.end]
        return out[(out["line"] == line).to_numpy(dtype=bool)] if line else out
    return scope.once("recovery", compute)


def kpis_element(scope: Scope, line: str | None) -> Element:
    """Missed calls, the share recovered (in all and within the first window), the median delay."""
    rec = recovery(scope, line)
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


def funnel_element(scope: Scope, line: str | None) -> Element:
    """Missed calls, then those recovered within each window, in all, and never."""
    frame = recovery_funnel(recovery(scope, line), windows(scope))
    frame["stage"] = frame["stage"].map(stage_label)
    return element("funnel", "rep_recovery_funnel", frame, [
        ElementColumn("stage", "rep_col_stage"),
        ElementColumn("calls", "rep_col_calls", "calls"),
        ElementColumn("pct", "rep_col_share_of_missed", "%"),
    ], kind="bar", x="stage", y=["calls"], note="rep_recovery_funnel_note")


def by_employee_element(scope: Scope, line: str | None) -> Element:
    """Who recovered the missed calls: how many, their share, the median delay."""
    rec = recovery(scope, line)
    table = recovery_by_employee(rec.assign(by=rec["by"].fillna("").astype(str)))
    nobody = table["by"].eq("").to_numpy()  # listed after the people, who come in name order
    table = table.assign(by=table["by"].map(lambda e: scope.employee_label(e) if e else t("rep_recovery_nobody")))
    table = pd.concat([by_name(table[~nobody], "by"), table[nobody]], ignore_index=True)
    return element("by_employee", "rep_recovery_by_employee", table, [
        ElementColumn("by", "rep_col_employee"),
        ElementColumn("calls", "rep_col_calls", "calls", sum=True),
        ElementColumn("share_pct", "rep_col_share", "%", ratio=("calls", "calls", 100.0)),
        ElementColumn("median_delay_s", "rep_col_recovery_median", "s"),
    ], note="rep_recovery_by_employee_note", totals=True)


def missed_element(scope: Scope, line: str | None) -> Element:
    """Every missed call, the ones never recovered first, latest first: who called, on which line,
    where the call last rang, and how, by whom and how fast it was recovered."""
    rec = recovery(scope, line)
    rec = rec.sort_values(["recovered", "start"], ascending=[True, False], kind="stable").head(DETAIL_LIMIT).copy()
    rec["status"] = translated(rec["status"])
    rec["how"] = rec["how"].map(lambda h: t(f"rep_recovery_how_{h}") if isinstance(h, str) else "")
    rec["by"] = rec["by"].map(lambda e: scope.employee_label(e) if isinstance(e, str) and e else "")
    rec["line"] = rec["line"].map(scope.line_label)
    table = element("missed", "rep_recovery_missed", rec, [
        ElementColumn("start", "rep_col_start"),
        ElementColumn("external_number", "rep_col_caller"),
        ElementColumn("line", "rep_col_line"),
        ElementColumn("status", "rep_col_status"),
        ElementColumn("last_target", "rep_col_last_target"),
        ElementColumn("how", "rep_col_recovered_how"),
        ElementColumn("by", "rep_col_recovered_by"),
        ElementColumn("delay_s", "rep_col_recovery_delay", "s"),
    ], note="rep_recovery_missed_note", shown=len(rec), total=len(recovery(scope, line)))
    table.rows_total = len(recovery(scope, line))
    return table


def recovery_report(scope: Scope, line: str | None = None) -> Report:
    filters = scope.filters | ({"line": line} if line else {})
    return Report("recovery", t("rep_recovery"), filters, [
        kpis_element(scope, line),
        funnel_element(scope, line),
        by_employee_element(scope, line),
        missed_element(scope, line),
    ])


def recovery_calls(
    period: str = "last_30_days",
    *,
    start: object = None,
    end: object = None,
    line: str | None = None,
    store: StoreLike = None,
    settings: Settings | None = None,
    now: pd.Timestamp | None = None,
) -> Report:
    """The Missed-call recovery report; ``line`` keeps the calls missed on that company number.
    It takes no department, employee or direction: a missed call has no employee, and a recovery
    crosses directions."""
    # the scope gives the period, the organisation and the filters shown; the calls are read above
    scope = load_scope(period, start=start, end=end, line=line, apply_line=False, columns=["start"], store=store,
                       settings=settings, now=now)
    return recovery_report(scope, line)
