"""The Red phone report: the calls of new clients — the incoming calls whose route reached a red
phone (an extension, queue or ring group of the red phones directory) — with who answered them,
the recording, and who the caller is.
"""

from __future__ import annotations

from typing import Unpack

import numpy as np
import pandas as pd

from atsnb.i18n import t
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
from atsnb.reports.red_phone_calls import RED_COLUMNS, red_hits, red_phone_labels, red_phones
from atsnb.reports.scope import Scope, ScopeKeywords, load_scope
from atsnb.vectors import text_map


def kpis_element(scope: Scope) -> Element:
    """Calls that reached a red phone, how many were answered, and how many were first calls."""
    hits = red_hits(scope)
    calls = scope.calls
    n = int(hits.hit.sum())
    answered = int((hits.hit & (calls["status"] == "answered").to_numpy(dtype=bool)).sum())
    first = int((hits.hit & calls["primary"].fillna(False).to_numpy(dtype=bool)).sum())
    note = "rep_red_kpis_note" if red_phones(scope) else "rep_red_none"
    return kpi("kpis", "rep_red_kpis", [
        (t("rep_kpi_red_calls"), n, "calls"),
        (t("rep_kpi_red_answered_pct"), 100.0 * answered / n if n else np.nan, "%", (answered, n)),
        (t("rep_kpi_red_unanswered"), n - answered, "calls"),
        (t("rep_kpi_red_first_pct"), 100.0 * first / n if n else np.nan, "%", (first, n)),
    ], note=note)


def calls_element(scope: Scope) -> Element:
    """Every red-phone call (the latest :data:`DETAIL_LIMIT`): when, the number and who it is, the
    line, the red phone it reached, who answered, status, wait, talk, first call, recording."""
    hits = red_hits(scope)
    rows = scope.calls[hits.hit]
    latest = latest_calls(rows["start"], DETAIL_LIMIT)
    shown = rows.iloc[latest]
    targets = hits.target[hits.hit][latest]
    recording = scope.columns_of(shown, ["recording"])["recording"] if len(shown) else pd.Series([], dtype=object)
    table = pd.DataFrame({
        "start": shown["start"].array,  # tz-aware times as they are: to_numpy() makes a Timestamp per row
        "number": shown["external_number"].astype(object).to_numpy(),
        "line": text_map(shown["line"], scope.line_label),
        "red_phone": red_phone_labels(scope, targets),
        "answered_by": text_map(shown["answered_by"], lambda x: scope.employee_label(x) if x else ""),
        "status": text_map(shown["status"], lambda x: t(x) if x else x),
        "wait_s": shown["wait_s"].to_numpy(), "talk_s": shown["talk_s"].to_numpy(),
        "first": np.where(shown["primary"].fillna(False).to_numpy(dtype=bool), t("rep_first_yes"), "").astype(object),
        "has_recording": recording_mark(recording),
    })
    table = with_callers(table, shown["external_number"], callers_of(scope))
    out = element("calls", "rep_red_calls", table, [
        ElementColumn("start", "rep_col_start"),
        ElementColumn("number", "rep_col_client_number"),
        *CALLER_COLUMNS,
        ElementColumn("line", "rep_col_line"),
        ElementColumn("red_phone", "rep_col_red_phone"),
        ElementColumn("answered_by", "rep_col_answered_by"),
        ElementColumn("status", "rep_col_status"),
        ElementColumn("wait_s", "rep_col_wait", "s", sum=True),
        ElementColumn("talk_s", "rep_col_talk", "s", sum=True),
        ElementColumn("first", "rep_col_first_call"),
        RECORDING_COLUMN,
    ], note="rep_red_calls_note" if len(rows) <= DETAIL_LIMIT else "rep_red_calls_note_limited", totals=True,
        shown=len(shown), total=len(rows))
    out.rows_total = len(rows)
    return attach_calls(out, shown["call_id"], recording)


def red_phone_report(scope: Scope) -> Report:
    return Report("red_phone", t("rep_red_phone"), scope.filters, [kpis_element(scope), calls_element(scope)])


def red_phone(period: str = "last_30_days", **keywords: Unpack[ScopeKeywords]) -> Report:
    """The Red phone report (docs/reports.md "Red phone")."""
    return red_phone_report(load_scope(period, columns=RED_COLUMNS, **keywords))
