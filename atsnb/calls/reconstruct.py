"""``reconstruct``: raw PBX records in, one row per call and its route out.

A pure function on DataFrames — the pipeline feeds it rows from the store, an analyst can feed it
rows from anywhere (a CSV export, a test).  CDR alone gives right answers; CEL and queue_log, when
given, sharpen the answer moment (early ``Answer()`` hides it in CDR), who hung up and transfers.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from atsnb.calls.answers import refine_answers
from atsnb.calls.callset import CallSet
from atsnb.calls.channels import parse_channels
from atsnb.calls.classify import CALL_COLUMNS, classify, mark_legs
from atsnb.calls.legs import localize, prepare_legs
from atsnb.calls.steps import STEP_COLUMNS, build_steps
from atsnb.calls.topology import Topology

_ANSWER_EVENTS_QUEUE = {"CONNECT"}
_TRANSFER_EVENTS = {"BLINDTRANSFER", "ATTENDEDTRANSFER"}


def reconstruct(
    cdr: pd.DataFrame,
    topology: Topology,
    *,
    cel: pd.DataFrame | None = None,
    queue_log: pd.DataFrame | None = None,
    tz: str = "Europe/Moscow",
    short_abandon_s: float = 5,
) -> CallSet:
    """Rebuild every call in ``cdr`` (FreePBX column names, ``calldate`` naive PBX-local time).

    Returns a :class:`CallSet` whose ``calls`` has the columns of docs/calls.md (times tz-aware in
    ``tz``) and whose ``steps`` is every call's route.
    """
    if cdr is None or cdr.empty:
        return CallSet(empty_calls(tz), _empty_steps(tz))
    legs = prepare_legs(cdr, topology, tz)
    refine_answers(legs, cel, tz)
    runs = mark_legs(legs, topology)
    calls = classify(legs, runs, topology, short_abandon_s)
    hangup_by = None
    if queue_log is not None and not queue_log.empty:
        _sharpen_from_queue_log(calls, legs, queue_log, tz)
    if cel is not None and not cel.empty:
        hangup_by = _from_cel(calls, cel, topology)
    steps = build_steps(legs, runs, calls, topology, hangup_by)
    return CallSet(_finish_calls(calls, tz), _finish_steps(steps, tz))


def _sharpen_answer(calls: pd.DataFrame, moment: pd.Series) -> None:
    """Move the answer of answered calls later to ``moment`` (call_id → epoch s) when CDR's answer
    came too early (a caller answered by the PBX before the person), shortening talk accordingly."""
    when = calls["call_id"].map(moment).to_numpy(dtype=float)
    ans = calls["answer"].to_numpy()
    later = ~np.isnan(when) & ~np.isnan(ans) & (when > ans) & (when < calls["end"].to_numpy())
    if not later.any():
        return
    shift = np.where(later, when - ans, 0)
    calls["answer"] = np.where(later, when, ans)
    calls["wait_s"] = np.where(later, np.round(when - calls["start"].to_numpy()), calls["wait_s"]).astype(np.int64)
    calls["talk_s"] = np.clip(calls["talk_s"].to_numpy() - np.round(shift), 0, None).astype(np.int64)


def _epoch(naive: pd.Series, tz: str) -> np.ndarray:
    return localize(pd.to_datetime(naive, errors="coerce"), tz).to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9


def _sharpen_from_queue_log(calls: pd.DataFrame, legs: pd.DataFrame, queue_log: pd.DataFrame, tz: str) -> None:
    """queue_log CONNECT marks when an agent really took a queued caller (callid = caller's uniqueid)."""
    connect = queue_log[queue_log["event"].astype(str).isin(_ANSWER_EVENTS_QUEUE)]
    if connect.empty:
        return
    owner = legs.drop_duplicates("uniqueid").set_index("uniqueid")["call_id"]
    call_id = connect["callid"].astype(str).map(owner)
    when = pd.Series(_epoch(connect["time"], tz), index=connect.index)
    first = when[call_id.notna()].groupby(call_id[call_id.notna()]).min()
    _sharpen_answer(calls, first)


def _from_cel(calls: pd.DataFrame, cel: pd.DataFrame, topology: Topology) -> pd.Series:
    """CEL: transfers and who hung up (answer moments were refined per leg already)."""
    ev = cel["eventtype"].astype(str)
    linked = cel["linkedid"].astype(str)
    own = cel["uniqueid"].astype(str) == linked
    moved = ev.isin(_TRANSFER_EVENTS)
    if moved.any():
        counted = calls["call_id"].map(linked[moved].value_counts()).fillna(0).astype(np.int64)
        calls["transfers"] = np.maximum(calls["transfers"].to_numpy(), counted.to_numpy())
    hang = cel[(ev == "HANGUP") & own]
    if hang.empty:
        return pd.Series(dtype=object)
    source = hang["extra"].fillna("").astype(str).map(_hangup_source)
    side = parse_channels(source)
    trunk = side["peer"].isin(set(topology.trunks))
    who = pd.Series(np.where(trunk, "caller", side["peer"]), index=hang.index)
    who = who.where(source != "", "")
    return who.groupby(linked[hang.index]).first()


def _hangup_source(extra: str) -> str:
    try:
        return str(json.loads(extra).get("hangupsource", "")) if extra.startswith("{") else ""
    except ValueError:
        return ""


def _to_time(seconds: pd.Series | np.ndarray, tz: str) -> pd.Series:
    return pd.to_datetime(pd.Series(seconds, dtype=float), unit="s", utc=True).dt.tz_convert(tz)


def _finish_calls(calls: pd.DataFrame, tz: str) -> pd.DataFrame:
    calls = calls.reset_index(drop=True)
    for c in ("start", "answer", "end"):
        calls[c] = _to_time(calls[c].to_numpy(), tz)
    for c in ("call_id", "direction", "status", "caller", "dialed", "external_number", "line",
              "answered_by", "employee", "last_target", "group", "recording"):
        calls[c] = calls[c].astype(str)
    return calls[CALL_COLUMNS].reset_index(drop=True)


def _finish_steps(steps: pd.DataFrame, tz: str) -> pd.DataFrame:
    steps["at"] = _to_time(steps["at"].to_numpy(), tz)
    for c in ("call_id", "kind", "party", "target", "outcome"):
        steps[c] = steps[c].astype(str)
    return steps[STEP_COLUMNS]


def empty_calls(tz: str) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=str) for c in CALL_COLUMNS})
    for c in ("start", "answer", "end"):
        out[c] = pd.Series(dtype=f"datetime64[ns, {tz}]")
    for c in ("wait_s", "talk_s", "transfers", "legs"):
        out[c] = pd.Series(dtype=np.int64)
    out["primary"] = pd.Series(dtype=bool)
    return out


def _empty_steps(tz: str) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=str) for c in STEP_COLUMNS})
    out["seq"] = pd.Series(dtype=np.int64)
    out["at"] = pd.Series(dtype=f"datetime64[ns, {tz}]")
    out["duration_s"] = pd.Series(dtype=np.int64)
    return out


__all__ = ["reconstruct"]
