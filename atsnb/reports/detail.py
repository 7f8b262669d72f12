"""The detailed table shared by the employees and departments reports: every call of the scope with
who handled it and a one-line summary of its route — the latest :data:`DETAIL_LIMIT` calls when
there are more (a year of a busy PBX is a million rows nobody reads; the note says how many there
are, and narrower filters show the rest).

The route line is built from the ``steps`` table: steps in order, consecutive steps of the same
kind merged (a ring group ringing five phones reads "звонок 101, 102, 103, 104, 105"), joined with
arrows.  The full route of one call, with times, is the detailed-records report's business.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.reading import ROUTE_COLUMNS
from atsnb.i18n import t
from atsnb.reports.caller_columns import CALLER_COLUMNS, attach_calls, callers_of, with_callers
from atsnb.reports.elements import ElementColumn, element, translated
from atsnb.reports.model import Element
from atsnb.reports.scope import Scope

DETAIL_LIMIT = 20_000
HANGUP_PARTIES = ("caller", "callee", "system")
SHOWN_ONLY = ["caller", "dialed", "external_number", "recording"]  # columns no figure uses: read for the rows shown


def route_summary(steps: pd.DataFrame) -> pd.Series:
    """``call_id`` → ``"очередь 600 → звонок 101, 102 → ответ 101 → перевод 102"``.

    Each step becomes a piece — ``"звонок 101"`` where a run of one kind starts, ``", 102"`` inside
    it, ``" → "`` before every run but a call's first — and a call's pieces are concatenated.  A
    detail table's 20,000 routes are ~100,000 steps, so the pieces are built and joined in Arrow,
    without a Python string per step.
    """
    if steps.empty:
        return pd.Series(dtype=object)
    # each call's steps together (calls in order of first appearance), in route order: integers sorted
    call_code = pd.factorize(steps["call_id"])[0]
    order = np.lexsort((steps["seq"].to_numpy(), call_code))
    table = pa.Table.from_pandas(steps[ROUTE_COLUMNS], preserve_index=False).take(pa.array(order))
    text = pa.large_string()

    def column(name: str) -> pa.Array:
        return pc.fill_null(table[name].combine_chunks().cast(text), pa.scalar("", text))

    def say(value: str) -> pa.Scalar:
        return pa.scalar(value, text)

    call, kind, target, party = column("call_id"), column("kind"), column("target"), column("party")
    who = pc.if_else(pc.equal(target, ""), party, target)
    hangup = pc.equal(kind, "hangup")  # its party says who hung up: caller / callee / system
    said = who.filter(hangup).dictionary_encode()  # a few distinct parties, each translated once
    words = [t(f"rep_hangup_{w}") if w in HANGUP_PARTIES else w for w in said.dictionary.to_pylist()]
    who = pc.replace_with_mask(who, hangup, pa.array(words, text).take(said.indices))
    n = len(call)
    new_call = np.r_[True, pc.not_equal(call[1:], call[:-1]).to_numpy(zero_copy_only=False)] if n else np.zeros(0, bool)
    kinds = kind.dictionary_encode()
    kind_code = kinds.indices.to_numpy()
    new_run = new_call | np.r_[True, kind_code[1:] != kind_code[:-1]]
    # a queue rings its phones round after round: name each phone once per run
    who_code = who.dictionary_encode().indices.to_numpy().astype(np.int64)
    keep = ~pd.Series(np.cumsum(new_run) * (int(who_code.max(initial=0)) + 1) + who_code).duplicated().to_numpy()
    labels = pa.array([t(f"rep_step_{k}") for k in kinds.dictionary.to_pylist()], text)
    mask = pa.array(keep)
    call, who, named = call.filter(mask), who.filter(mask), pc.not_equal(who, "").filter(mask)
    new_call, new_run = new_call[keep], new_run[keep]
    starts_run = pa.array(new_run)
    piece = pc.binary_join_element_wise(
        pc.if_else(pa.array(new_run & ~new_call), say(" → "), say("")),
        pc.if_else(starts_run, labels.take(pa.array(kind_code[keep])), say("")),
        pc.if_else(named, pc.if_else(starts_run, say(" "), say(", ")), say("")),
        pc.if_else(named, who, say("")),
        say(""),
    )
    first = np.flatnonzero(new_call)
    routes = pa.LargeListArray.from_arrays(pa.array(np.r_[first, len(new_call)], pa.int64()), piece)
    return pd.Series(pc.binary_join(routes, say("")).to_numpy(zero_copy_only=False),
                     index=pd.Index(call.take(pa.array(first)).to_numpy(zero_copy_only=False), name="call_id"),
                     dtype=object)


def joined(keys: np.ndarray, texts: np.ndarray, sep: str) -> pd.Series:
    """``key`` → its texts joined with ``sep`` in their order, keys in order of first appearance:
    what ``groupby(sort=False).agg(sep.join)`` gives, without a pandas object per group (a year's
    detail table has 20,000 groups, and that path cost over a second)."""
    codes, uniques = pd.factorize(keys, sort=False)
    order = np.argsort(codes, kind="stable")
    texts = np.asarray(texts, dtype=object)[order].tolist()
    bounds = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0, True]).tolist() if len(codes) else [0]
    return pd.Series([sep.join(texts[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)],
                     index=pd.Index(uniques), dtype=object)


def latest_calls(start: pd.Series, limit: int) -> np.ndarray:
    """Positions of the ``limit`` latest calls, in start order (ties in their order): the store
    hands calls over in start order already, so usually no million timestamps are sorted."""
    if start.is_monotonic_increasing:
        return np.arange(max(len(start) - limit, 0), len(start))
    return start.reset_index(drop=True).sort_values(kind="stable").index[-limit:].to_numpy()


def detail_element(scope: Scope) -> Element:
    """Every call: start, direction, status, numbers, line, who handled it, wait, talk, transfers,
    route summary and the recording's file name."""
    latest = latest_calls(scope.calls["start"], DETAIL_LIMIT)
    calls = scope.calls.iloc[latest].copy()
    calls[SHOWN_ONLY] = scope.columns_of(calls, SHOWN_ONLY)
    shown = np.zeros(len(scope.calls), bool)
    shown[latest] = True
    rows = scope.attributed[shown[scope.attributed["call"].to_numpy()]]
    codes, names = pd.factorize(rows["employee"].astype(str))
    labels = np.array([scope.employee_label(name) for name in names], dtype=object)  # once per employee
    handled = joined(rows["call"].to_numpy(), labels[codes] if len(codes) else labels, ", ")
    calls["handled_by"] = pd.Series(latest, index=calls.index).map(handled).astype(object).fillna("")
    calls["route"] = calls["call_id"].map(route_summary(scope.route_steps(calls))).astype(object).fillna("")
    calls["direction"] = translated(calls["direction"])
    calls["status"] = translated(calls["status"])
    calls["line"] = calls["line"].map(scope.line_label)
    calls = with_callers(calls, calls["external_number"], callers_of(scope))  # partner, operator, region
    table = element("detail", "rep_detail", calls, [
        ElementColumn("start", "rep_col_start"),
        ElementColumn("direction", "rep_col_direction"),
        ElementColumn("status", "rep_col_status"),
        ElementColumn("caller", "rep_col_caller"),
        ElementColumn("dialed", "rep_col_dialed"),
        *CALLER_COLUMNS,
        ElementColumn("line", "rep_col_line"),
        ElementColumn("handled_by", "rep_col_handled_by"),
        ElementColumn("wait_s", "rep_col_wait", "s", sum=True),
        ElementColumn("talk_s", "rep_col_talk", "s", sum=True),
        ElementColumn("transfers", "rep_col_transfers", sum=True),
        ElementColumn("route", "rep_col_route"),
        ElementColumn("recording", "rep_col_recording"),
    ], note="rep_detail_note" if len(scope.calls) <= DETAIL_LIMIT else "rep_detail_note_limited", totals=True,
        shown=len(calls), total=len(scope.calls))
    table.rows_total = len(scope.calls)
    # every row opens its call in the records page; a recorded one can be played under the table
    return attach_calls(table, calls["call_id"], calls["recording"])
