"""The Quality ratings report: the marks clients give operators after a call — how they spread
over 1–5, the mean per operator and per department (rolled up the tree), the mean over time, and
the low-rated calls with their recordings (docs/reports.md "Quality ratings").

Ratings come from the PBX's rating module (the store's ``ratings`` table, docs/sync.md), each
naming the operator it rates.  A rating the module could not tie to a call still counts for its
operator in every figure; the KPI row counts those and a table lists them
(:mod:`atsnb.metrics.ratings`).  Filters: the period (by the time of the rating), ``department``
and ``employee`` (the rated operator), ``line`` (the company number of the rated call: a rating
without a call has none, so it is left out then), ``scale`` of the chart over time.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa

from atsnb.calls.reading import read_calls
from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.metrics.ratings import (
    RATING_COLUMNS,
    SCORES,
    match_ratings,
    rating_distribution,
    ratings_by,
    ratings_over_time,
)
from atsnb.reports.detail import DETAIL_LIMIT
from atsnb.reports.elements import ElementColumn, element, kpi
from atsnb.reports.holders import in_tree_order, keeps, people_filter, rolled_up
from atsnb.reports.linked_calls import LEAD, calls_by_id
from atsnb.reports.links import call_addresses
from atsnb.reports.model import Element, Report
from atsnb.reports.pieces import SCALES, by_name, scale_label
from atsnb.reports.scope import Scope, StoreLike, load_scope
from atsnb.vectors import is_in

SHOWN_CALL_COLUMNS = ["start", "talk_s", "recording"]  # read for the low-rated calls only


def low_threshold(scope: Scope) -> int:
    return int(scope.settings.thresholds.low_rating)


def stored_ratings(scope: Scope, people: frozenset[str] | None, line: list[str] | None) -> pd.DataFrame:
    """The period's ratings (by ``rated_at``) of the operators kept, each with its call's position
    (``call``, -1: none), ``call_id`` and ``line``; once per report."""
    def compute() -> pd.DataFrame:
        tz = scope.settings.pbx.timezone
        table = scope.store.table("ratings")
        wall = [moment.tz_convert(tz).tz_localize(None) for moment in (scope.start, scope.end)]
        raw = table.read(*wall, columns=RATING_COLUMNS) if table.months() else pd.DataFrame()
        if raw.empty:
            raw = pd.DataFrame({c: pd.Series(dtype="datetime64[us]" if c == "rated_at" else object)
                                for c in RATING_COLUMNS})
        raw = raw[keeps(raw["extension"], people)].reset_index(drop=True)
        raw["rated_at"] = raw["rated_at"].dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
        raw["rating"] = pd.to_numeric(raw["rating"], errors="coerce")
        raw = raw[raw["rating"].between(1, 5)].reset_index(drop=True)  # a key press that is no mark
        raw["rating"] = raw["rating"].astype(np.int64)
        # the period's call ids read whole and the rated ones picked by one Arrow hash lookup: a
        # year's 130,000 ids as a Parquet filter cost several times as much
        calls = read_calls(scope.store, scope.settings, scope.start - LEAD, scope.end, ["call_id", "line"],
                           categorical=False)
        named = pa.array(np.concatenate([raw[c].fillna("").astype(str).to_numpy(dtype=object)
                                         for c in ("linkedid", "uniqueid")]),
                         pa.large_string())
        calls = calls[is_in(pa.array(calls["call_id"]), named)].reset_index(drop=True) if len(calls) else calls
        at = match_ratings(raw, calls["call_id"])
        raw["matched"] = at >= 0
        raw["call_id"] = np.where(at >= 0, calls["call_id"].to_numpy(dtype=object)[np.maximum(at, 0)], "") \
            if len(calls) else ""
        raw["line"] = np.where(at >= 0, calls["line"].to_numpy(dtype=object)[np.maximum(at, 0)], "") \
            if len(calls) else ""
        if line:
            raw = raw[raw["line"].isin(line)].reset_index(drop=True)
        return raw.sort_values("rated_at", kind="stable", ignore_index=True)
    return scope.once("ratings", compute)


def kpis_element(ratings: pd.DataFrame, low: int) -> Element:
    """How many ratings, their mean, the share of low ones, how many have no call, operators rated."""
    n = len(ratings)
    lows = int((ratings["rating"] <= low).sum())
    unmatched = int((~ratings["matched"]).sum())
    return kpi("kpis", "rat_kpis", [
        (t("rat_kpi_ratings"), n, "calls"),
        (t("rat_kpi_mean"), float(ratings["rating"].mean()) if n else float("nan"), None),
        (t("rat_kpi_low_pct", low=low), 100.0 * lows / n if n else float("nan"), "%", (lows, n)),
        (t("rat_kpi_unmatched"), unmatched, "calls"),
        (t("rat_kpi_operators"), int(ratings["extension"].nunique()), None),
    ], note="rat_kpis_note")


def distribution_element(ratings: pd.DataFrame) -> Element:
    """Ratings per mark 1–5 with the share of each."""
    frame = rating_distribution(ratings)
    frame["rating"] = frame["rating"].astype(str)
    return element("distribution", "rat_distribution", frame, [
        ElementColumn("rating", "rat_col_rating"),
        ElementColumn("ratings", "rat_col_ratings", "calls"),
        ElementColumn("share_pct", "rep_col_share", "%"),
    ], kind="bar", x="rating", y=["ratings"], note="rat_distribution_note")


MARK_COLS = [ElementColumn(f"r{score}", f"rat_col_r{score}", "calls", sum=True) for score in SCORES]


def by_employee_element(scope: Scope, ratings: pd.DataFrame, low: int) -> Element:
    """Per operator: ratings, mean, low ones and their share, ratings per mark, department."""
    table = ratings_by(ratings, ratings["extension"].astype(str), low)
    table["department"] = scope.org.department_series(table["employee"]).fillna("")
    table = by_name(table.assign(employee=table["employee"].map(scope.employee_label)), "employee")
    return element("by_employee", "rat_by_employee", table, [
        ElementColumn("employee", "rep_col_employee"),
        ElementColumn("ratings", "rat_col_ratings", "calls", sum=True),
        ElementColumn("mean", "rat_col_mean", ratio=("total", "ratings", 1.0)),
        ElementColumn("low", "rat_col_low", "calls", sum=True),
        ElementColumn("low_pct", "rat_col_low_pct", "%", ratio=("low", "ratings", 100.0)),
        *MARK_COLS,
        ElementColumn("total", "rat_col_total", sum=True),
        ElementColumn("department", "rep_col_department"),
    ], note="rat_by_employee_note", totals=True, low=low)


def by_department_element(scope: Scope, ratings: pd.DataFrame, low: int, department: str | None) -> Element:
    """Per department, rolled up: a rating counts for its operator's department and every one above."""
    index, departments = rolled_up(scope, ratings["extension"], department)
    table = in_tree_order(scope, ratings_by(ratings, departments, low, "department", index))
    return element("by_department", "rat_by_department", table, [
        ElementColumn("department", "rep_col_department"),
        ElementColumn("ratings", "rat_col_ratings", "calls"),
        ElementColumn("mean", "rat_col_mean"),
        ElementColumn("low", "rat_col_low", "calls"),
        ElementColumn("low_pct", "rat_col_low_pct", "%"),
        *[ElementColumn(c.name, c.label, c.unit) for c in MARK_COLS],
    ], note="rat_by_department_note", low=low)


def over_time_element(scope: Scope, ratings: pd.DataFrame, scale: str, low: int) -> Element:
    """The mean rating per hour of day, day, week or month that has ratings, with how many it is of."""
    frame = ratings_over_time(ratings, scale, scope.start, scope.end, low)
    frame = frame[frame["ratings"] > 0]  # a bucket without ratings has no mean: not drawn as a fall to 0
    frame["bucket"] = [scale_label(b, scale) for b in frame["bucket"]]
    out = element("over_time", "rat_over_time", frame, [
        ElementColumn("bucket", "rat_col_bucket"),
        ElementColumn("mean", "rat_col_mean"),
        ElementColumn("ratings", "rat_col_ratings", "calls"),
        ElementColumn("low", "rat_col_low", "calls"),
    ], kind="line", x="bucket", y=["mean"], note="rat_over_time_note", scale=t(f"rep_scale_{scale}"))
    out.tooltip = [t("rat_col_ratings"), t("rat_col_low")]
    return out


def low_rated_element(scope: Scope, ratings: pd.DataFrame, low: int) -> Element:
    """The low-rated calls, newest first: when, the mark, the operator, the client, the call's start,
    line and talk, and its recording (played on the dashboard; every row links to its call)."""
    rows = ratings[ratings["rating"] <= low].iloc[::-1].head(DETAIL_LIMIT).reset_index(drop=True)
    found = calls_by_id(scope, rows.loc[rows["matched"], "call_id"], rows["rated_at"].min(), SHOWN_CALL_COLUMNS)
    rows = rows.join(found.rename(columns={"start": "call_start"}), on="call_id")
    rows["recording"] = rows["recording"].fillna("").astype(str)
    frame = rows.assign(
        employee=rows["extension"].map(scope.employee_label),
        line=rows["line"].map(lambda n: scope.line_label(n) if n else ""),
        has_recording=rows["recording"].ne("").map({True: t("rat_yes"), False: ""}),
        call=rows["matched"].map({True: "", False: t("rat_no_call")}),
    )
    table = element("low_rated", "rat_low_rated", frame, [
        ElementColumn("rated_at", "rat_col_rated_at"),
        ElementColumn("rating", "rat_col_rating"),
        ElementColumn("employee", "rep_col_employee"),
        ElementColumn("number", "rep_col_caller"),
        ElementColumn("call_start", "rep_col_start"),
        ElementColumn("line", "rep_col_line"),
        ElementColumn("talk_s", "rep_col_talk", "s"),
        ElementColumn("has_recording", "rep_col_recording"),
        ElementColumn("call", "rat_col_call"),
    ], note="rat_low_rated_note", low=low, shown=len(rows), total=int((ratings["rating"] <= low).sum()))
    table.rows_total = int((ratings["rating"] <= low).sum())
    links = call_addresses(rows["call_id"].astype(str))
    table.links = links.where(rows["matched"].to_numpy(), "")
    table.recordings = rows["call_id"].astype(str).where(rows["recording"].ne(""), "")  # played on the dashboard
    return table


def unmatched_element(scope: Scope, ratings: pd.DataFrame) -> Element:
    """The ratings the PBX's module could not tie to a call: counted above, listed here."""
    rows = ratings[~ratings["matched"]].iloc[::-1].reset_index(drop=True)
    frame = rows.assign(employee=rows["extension"].map(scope.employee_label),
                        linkedid=rows["linkedid"].fillna("").astype(str))
    return element("unmatched", "rat_unmatched", frame, [
        ElementColumn("rated_at", "rat_col_rated_at"),
        ElementColumn("rating", "rat_col_rating"),
        ElementColumn("employee", "rep_col_employee"),
        ElementColumn("number", "rep_col_caller"),
        ElementColumn("linkedid", "rat_col_linkedid"),
    ], note="rat_unmatched_note")


def ratings_report(scope: Scope, people: frozenset[str] | None, line: list[str] | None, scale: str,
                   department: str | None) -> Report:
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    ratings, low = stored_ratings(scope, people, line), low_threshold(scope)
    return Report("ratings", t("rat_title"), scope.filters, [
        kpis_element(ratings, low),
        distribution_element(ratings),
        by_employee_element(scope, ratings, low),
        by_department_element(scope, ratings, low, department),
        over_time_element(scope, ratings, scale, low),
        low_rated_element(scope, ratings, low),
        unmatched_element(scope, ratings),
    ])


def ratings(
    period: str = "last_30_days",
    *,
    start: object = None,
    end: object = None,
    department: str | None = None,
    employee: str | Iterable[str] | None = None,
    line: str | Iterable[str] | None = None,
    scale: str = "day",
    store: StoreLike = None,
    settings: Settings | None = None,
    now: pd.Timestamp | None = None,
) -> Report:
    """The Quality ratings report over the ratings given in the period; ``scale`` (hour, day, week,
    month) sets the buckets of the mean over time.  It takes no direction: clients rate incoming
    calls."""
    scope = load_scope(period, start=start, end=end, line=line, apply_line=False, columns=["start"], store=store,
                       settings=settings, now=now)
    people = people_filter(scope, department, employee)
    lines = [line] if isinstance(line, str) else (list(line) if line else None)
    return ratings_report(scope, people, lines, scale, department)
