"""The detailed table shared by the employees and departments reports: every call of the scope with
who handled it and a one-line summary of its route.

The route line is built from the ``steps`` table: steps in order, consecutive steps of the same
kind merged (a ring group ringing five phones reads "звонок 101, 102, 103, 104, 105"), joined with
arrows.  The full route of one call, with times, is the detailed-records report's business.
"""

from __future__ import annotations

import pandas as pd

from atsnb.i18n import t
from atsnb.reports.build import Col, element, translated
from atsnb.reports.model import Element
from atsnb.reports.scope import Scope


def route_summary(steps: pd.DataFrame) -> pd.Series:
    """``call_id`` → ``"очередь 600 → звонок 101, 102 → ответ 101 → перевод 102"``."""
    if steps.empty:
        return pd.Series(dtype=object)
    ordered = steps.sort_values(["call_id", "seq"], kind="stable")
    who = ordered["target"].astype("string").fillna("")
    who = who.where(who != "", ordered["party"].astype("string").fillna("")).astype(str)
    kind = ordered["kind"].astype(str)
    run = ((kind != kind.shift()) | (ordered["call_id"] != ordered["call_id"].shift())).cumsum()
    parts = pd.DataFrame({"call_id": ordered["call_id"].to_numpy(), "run": run.to_numpy(),
                          "kind": kind.to_numpy(), "who": who.to_numpy()})
    parts = parts.drop_duplicates(["run", "who"])
    runs = parts.groupby("run", sort=True).agg(call_id=("call_id", "first"), kind=("kind", "first"),
                                               who=("who", lambda s: ", ".join(w for w in s if w)))
    labels = runs["kind"].map(lambda k: t(f"rep_step_{k}"))
    runs["text"] = (labels + " " + runs["who"]).str.strip()
    return runs.groupby("call_id", sort=False)["text"].agg(" → ".join)


def detail_element(scope: Scope) -> Element:
    """Every call: start, direction, status, numbers, line, who handled it, wait, talk, transfers,
    route summary and the recording's file name."""
    calls = scope.calls.sort_values("start", kind="stable").copy()
    handled = (scope.attributed.assign(label=scope.attributed["employee"].map(scope.employee_label))
               .groupby("call_id", sort=False)["label"].agg(", ".join))
    calls["handled_by"] = calls["call_id"].map(handled).fillna("")
    calls["route"] = calls["call_id"].map(route_summary(scope.steps())).fillna("")
    calls["direction"] = translated(calls["direction"])
    calls["status"] = translated(calls["status"])
    calls["line"] = calls["line"].map(scope.line_label)
    return element("detail", "rep_detail", calls, [
        Col("start", "rep_col_start"),
        Col("direction", "rep_col_direction"),
        Col("status", "rep_col_status"),
        Col("caller", "rep_col_caller"),
        Col("dialed", "rep_col_dialed"),
        Col("line", "rep_col_line"),
        Col("handled_by", "rep_col_handled_by"),
        Col("wait_s", "rep_col_wait", "s", sum=True),
        Col("talk_s", "rep_col_talk", "s", sum=True),
        Col("transfers", "rep_col_transfers", sum=True),
        Col("route", "rep_col_route"),
        Col("recording", "rep_col_recording"),
    ], note="rep_detail_note", totals=True)
