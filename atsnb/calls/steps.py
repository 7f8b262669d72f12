"""The route of every call as ordered steps: line, ivr, queue, group, ring, forward, transfer,
answer, voicemail, hangup — what support staff read when a client says "nobody picked up".

Each kind of step is one vectorised selection over all legs; the pieces are concatenated and
numbered per call in time order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.calls.classify import DIRECTIONS, INCOMING, MIXED
from atsnb.calls.groups import Runs
from atsnb.calls.legs import LOCAL, PHONE
from atsnb.calls.numbers import normalize_numbers
from atsnb.calls.topology import Topology

KINDS = ["line", "ivr", "queue", "group", "ring", "forward", "transfer", "answer", "voicemail", "hangup"]
STEP_COLUMNS = ["call_id", "seq", "at", "kind", "party", "target", "outcome", "duration_s"]
_ORDER = {k: i for i, k in enumerate(KINDS)}


def build_steps(legs: pd.DataFrame, runs: Runs, calls: pd.DataFrame, topology: Topology,
                hangup_by: pd.Series | None = None) -> pd.DataFrame:
    """All steps of all calls (``at`` as epoch seconds), sorted and numbered per call."""
    if legs.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in STEP_COLUMNS})
    call_id = legs["call_id"].to_numpy(dtype=object)
    t0, ta, t1 = legs["t0"].to_numpy(), legs["ta"].to_numpy(), legs["t1"].to_numpy()
    disp = legs["disposition"].str.lower().str.replace(" ", "_").to_numpy(dtype=object)
    caller = calls["caller"].to_numpy(dtype=object)[runs.cidx]
    parts: list[pd.DataFrame] = []

    def add(kind: str, mask: np.ndarray, at, party, target, outcome, duration) -> None:
        if not np.any(mask):
            return
        parts.append(pd.DataFrame({
            "call_id": call_id[mask], "at": _take(at, mask), "kind": kind, "party": _take(party, mask),
            "target": _take(target, mask), "outcome": _take(outcome, mask), "duration_s": _take(duration, mask),
        }))

    inbound = calls["direction"].isin([DIRECTIONS[INCOMING], DIRECTIONS[MIXED]]).to_numpy()
    if inbound.any():
        parts.append(pd.DataFrame({
            "call_id": calls["call_id"][inbound], "at": calls["start"][inbound], "kind": "line",
            "party": calls["caller"][inbound], "target": calls["line"][inbound], "outcome": "",
            "duration_s": (calls["end"] - calls["start"])[inbound],
        }))
    ivr = legs["dcontext"].str.startswith("ivr-").to_numpy()
    add("ivr", _first_per(legs, ivr, "dcontext"), t0, caller, legs["dcontext"].to_numpy(dtype=object), "", t1 - t0)
    _add_groups(legs, topology, parts)
    b_kind = legs["b_kind"].to_numpy()
    ring = b_kind == PHONE
    answered_at = np.where(legs["answered"].to_numpy() & ~np.isnan(ta), ta, t1)
    party = np.where(legs["a_kind"].to_numpy() == PHONE, legs["a_peer"].to_numpy(dtype=object), caller)
    add("ring", ring, t0, party, legs["b_peer"].to_numpy(dtype=object), disp, answered_at - t0)
    extensions = set(topology.extensions)
    forward = (b_kind == LOCAL) & ~legs["b_num"].isin(extensions).to_numpy() & legs["b_num"].str.isdigit().to_numpy()
    if forward.any():
        number = normalize_numbers(legs["b_num"][forward]).reindex(legs.index, fill_value="").to_numpy(dtype=object)
        add("forward", forward, t0, legs["dst"].to_numpy(dtype=object), number, disp, t1 - t0)
    talk = legs["talk"].to_numpy()
    person = legs["person"].to_numpy()
    talker = np.where(person, legs["b_peer"].to_numpy(dtype=object), legs["dst"].to_numpy(dtype=object))
    add("answer", talk, ta, caller, talker, "answered", t1 - ta)
    _add_transfers(legs, talk, talker, parts)
    vm = (legs["lastapp"] == "VoiceMail").to_numpy()
    box = legs["lastdata"].str.split("@").str[0].str.lstrip("*usbi").to_numpy(dtype=object)
    add("voicemail", vm, t0, caller, box, disp, t1 - t0)
    parts.append(pd.DataFrame({
        "call_id": calls["call_id"], "at": calls["end"], "kind": "hangup",
        "party": hangup_by.reindex(calls["call_id"]).fillna("").to_numpy() if hangup_by is not None else "",
        "target": "", "outcome": calls["status"], "duration_s": 0.0,
    }))
    steps = pd.concat(parts, ignore_index=True)
    steps["order"] = steps["kind"].map(_ORDER)
    steps = steps.sort_values(["call_id", "at", "order"], kind="stable").drop(columns="order")
    steps["seq"] = steps.groupby("call_id", sort=False).cumcount().astype(np.int64)
    steps["duration_s"] = np.round(pd.to_numeric(steps["duration_s"]).fillna(0).clip(lower=0)).astype(np.int64)
    for c in ("party", "target", "outcome"):
        steps[c] = steps[c].fillna("").astype(object)
    return steps[STEP_COLUMNS].reset_index(drop=True)


def _take(value, mask: np.ndarray):
    return value[mask] if isinstance(value, np.ndarray) else value


def _first_per(legs: pd.DataFrame, mask: np.ndarray, column: str) -> np.ndarray:
    """Mask of the first leg of each (call, value of ``column``) among legs where ``mask`` holds."""
    out = np.zeros(len(legs), bool)
    if mask.any():
        sub = legs.loc[mask, ["cidx", column]]
        out[sub.index[~sub.duplicated()].to_numpy()] = True
    return out


def _add_groups(legs: pd.DataFrame, topology: Topology, parts: list[pd.DataFrame]) -> None:
    """One step per queue / ring group a call passed, with whether it was answered there."""
    has = legs["grp"].to_numpy() != ""
    if not has.any():
        return
    sub = legs.loc[has, ["call_id", "grp", "t0", "t1", "talk", "lastapp"]]
    agg = sub.groupby(["call_id", "grp"], sort=False).agg(
        at=("t0", "min"), until=("t1", "max"), answered=("talk", "any"),
        queue=("lastapp", lambda s: (s == "Queue").any()),
    ).reset_index()
    queue = agg["queue"] | agg["grp"].isin(set(topology.queues))
    parts.append(pd.DataFrame({
        "call_id": agg["call_id"], "at": agg["at"], "kind": np.where(queue, "queue", "group"),
        "party": "", "target": agg["grp"], "outcome": np.where(agg["answered"], "answered", "unanswered"),
        "duration_s": agg["until"] - agg["at"],
    }))


def _add_transfers(legs: pd.DataFrame, talk: np.ndarray, talker: np.ndarray, parts: list[pd.DataFrame]) -> None:
    """A transfer step each time the talk moves to someone else, from the previous talker."""
    if not talk.any():
        return
    sub = pd.DataFrame({"call_id": legs["call_id"].to_numpy(dtype=object)[talk], "at": legs["t0"].to_numpy()[talk],
                        "ta": legs["ta"].to_numpy()[talk], "who": talker[talk]}).sort_values(["call_id", "ta"])
    prev = sub.groupby("call_id", sort=False)["who"].shift(1)
    moved = prev.notna() & (prev != sub["who"])
    if moved.any():
        parts.append(pd.DataFrame({
            "call_id": sub["call_id"][moved], "at": sub["at"][moved], "kind": "transfer",
            "party": prev[moved], "target": sub["who"][moved], "outcome": "", "duration_s": 0.0,
        }))
