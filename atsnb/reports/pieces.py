"""The pieces several reports are built of: scales, column sets, the "no department" label, the
efficiency-panel flags and the pivot by time, the load per line, the missed-calls table's columns.

Report modules import these and never each other, so each report stays one module that can be read
(and removed) on its own.
"""

from __future__ import annotations

import pandas as pd

from atsnb.calls.reached_column import REACHED
from atsnb.calls.reading import SCOPE_COLUMNS
from atsnb.i18n import t
from atsnb.metrics import line_load
from atsnb.metrics.effective import effective_by_panel
from atsnb.metrics.who_missed import HoldersOf, missed_summary
from atsnb.reports.elements import ElementColumn, element
from atsnb.reports.model import Element
from atsnb.reports.scope import Scope

SCALES = ("hour", "day", "week", "month")  # the pivot's columns: hour of day, day, week, month
NO_DEPARTMENT = "rep_no_department"  # the translation key of the employees without a department
# the mean and peak number of busy lines per number (the lowest is 0 in any period with a quiet hour)
LOAD_COLS = [
    ElementColumn("mean", "rep_col_load_mean", "lines"),
    ElementColumn("max", "rep_col_load_max", "lines"),
]

# the figures a manager looks at first come first: they stay in view without scrolling sideways
SUMMARY_COLS = [
    ElementColumn("calls", "rep_col_calls", "calls", sum=True),
    ElementColumn("effective", "rep_col_effective", "calls", sum=True),
    ElementColumn("incoming", "incoming", "calls", sum=True),
    ElementColumn("outgoing", "outgoing", "calls", sum=True),
    ElementColumn("internal", "internal", "calls", sum=True),
    ElementColumn("answered", "answered", "calls", sum=True),
    ElementColumn("unanswered", "unanswered", "calls", sum=True),
    ElementColumn("talk_total_s", "rep_col_talk_total", "s", sum=True),
    ElementColumn("talk_mean_s", "rep_col_talk_mean", "s", ratio=("talk_total_s", "answered", 1.0)),
    ElementColumn("wait_total_s", "rep_col_wait_total", "s", sum=True),
    ElementColumn("wait_mean_s", "rep_col_wait_mean", "s", ratio=("wait_total_s", "incoming", 1.0)),
]


def panels(scope: Scope) -> pd.DataFrame:
    """The efficiency panel of every employee in the scope, indexed by extension."""
    return scope.org.panel_table(scope.attributed["employee"].unique())


def with_effective(scope: Scope) -> pd.DataFrame:
    """The attribution rows with an ``effective`` flag by each employee's own panel (computed once
    per report: the efficiency and summary elements both count effective calls)."""
    def flagged() -> pd.DataFrame:
        rows = scope.attributed
        return rows.assign(effective=effective_by_panel(rows, panels(scope)))
    return scope.once("effective_rows", flagged)


def by_name(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows in the alphabetical order of ``column`` (people as "Surname Name (ext)"), as a
    reader looks a name up: case ignored, ё with е."""
    def key(names: pd.Series) -> pd.Series:
        return names.astype(str).str.casefold().str.replace("ё", "е")
    return table.sort_values(column, key=key, kind="stable", ignore_index=True)


def scale_label(bucket: object, scale: str) -> str:
    """A pivot column header: ``"09"`` (hour), ``"03.03"`` (day), ``"нед. 03.03"``, ``"03.2025"``."""
    if scale == "hour":
        return f"{int(bucket):02d}:00"  # type: ignore[call-overload]
    stamp = pd.Timestamp(bucket)
    if scale == "day":
        return f"{stamp:%d.%m}"
    if scale == "week":
        return t("rep_week_of", day=f"{stamp:%d.%m}")
    return f"{stamp:%m.%Y}"


def pivot_element(key: str, title: str, holder_label: str, table: pd.DataFrame, holder: str,
                  scale: str) -> Element:
    """A holder × time-bucket pivot as a table whose bucket columns are readable headers."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    buckets = [c for c in table.columns if c not in (holder, "calls")]
    data = table.rename(columns={holder: t(holder_label), "calls": t("rep_col_calls")}
                        | {b: scale_label(b, scale) for b in buckets})
    units = {col: "calls" for col in data.columns if col != t(holder_label)}
    return Element(key=key, title=t(title, scale=t(f"rep_scale_{scale}")), data=data, kind="table",
                   units=units, note=t("rep_by_scale_note"), totals=True, summable=list(units))


def line_load_by_line_element(scope: Scope, by_line: pd.DataFrame | None = None) -> Element:
    """Per company number over the period: mean and peak load, and the hour of the peak.
    ``by_line``: the hourly load per line when the report has it already (the dashboard sweeps it
    with the overall load; the external-lines report needs only this one)."""
    if by_line is None:
        by_line = line_load.line_load_per_hour(scope.calls, scope.start, scope.end, by_line=True)
    table = line_load.summarise_by_line(by_line)
    table["line"] = table["line"].map(scope.line_label)
    return element("line_load_by_line", "rep_line_load_by_line", table, [
        ElementColumn("line", "rep_col_line"),
        *LOAD_COLS,
        ElementColumn("peak_hour", "rep_col_peak_hour"),
    ], note="rep_line_load_by_line_note")


# what a report with a missed-calls table reads of the calls: who each call reached besides
MISSED_SCOPE_COLUMNS = [*SCOPE_COLUMNS, REACHED]


def missed_table(scope: Scope, holders_of: HoldersOf, holder: str) -> tuple[pd.DataFrame, dict[str, int]]:
    """Who missed the scope's incoming calls, a row per holder (column ``holder``), and the scope's
    unanswered incoming calls split by whether they reached those holders, for the note
    (:func:`atsnb.metrics.who_missed.missed_summary`): the table's columns have no totals (a call
    reaches several holders), the note gives the calls once each."""
    return missed_summary(scope.calls, holders_of, holder)


def missed_cols(answered_elsewhere: str) -> list[ElementColumn]:
    """The missed table's columns after the holder's; ``answered_elsewhere`` the label of "of them
    answered by someone else" (a colleague, another department)."""
    return [
        ElementColumn("rang", "rep_col_rang", "calls"),
        ElementColumn("rang_missed", "rep_col_rang_missed", "calls"),
        ElementColumn("missed_answered", answered_elsewhere, "calls"),
        ElementColumn("unanswered_reached", "rep_col_unanswered_reached", "calls"),
    ]


def with_reach_note(element: Element, scope: Scope) -> Element:
    """``element`` with the caption of a scope filtered by people before its note: its figures
    count the calls those people handled and the ones that reached them."""
    if scope.reach_note:
        element.note = f"{scope.reach_note} {element.note}".strip()
    return element
