"""From legs to one row per call: direction, who answered, wait and talk, status (docs/glossary.md §3–§6).

The rules, each a fix for a trap of docs/pbx-data.md §3.7 (docs/calls.md explains them):

* a call is **incoming** when the channel that started it (its uniqueid is the linkedid) is a trunk,
  **outgoing** when it is not but some leg dials a trunk, **mixed** when both (an incoming call
  forwarded outside), **internal** otherwise;
* a **talk leg** is an ANSWERED leg with billsec > 0 between the client's side (trunk or a Local
  half carrying the call) and a phone, or — for outgoing and forwarded calls — from our side to a
  trunk.  Rows to Local channels (queue members, forwards), voicemail and IVR rows (no phone on
  the far side) are not: that is what early ``Answer()`` makes look answered;
* a leg from a phone to a phone inside an external call is an attended transfer's consultation:
  not client talk, not a call of its own;
* talk time is the union of the talk legs' [answer, end] intervals, so fan-out and Local halves
  covering the same seconds count them once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.calls.legs import LOCAL, NONE, PHONE, TRUNK
from atsnb.calls.primary import first_of_each
from atsnb.calls.runs import NO_ROW, Legs, Runs, pick
from atsnb.calls.topology import Topology
from atsnb.calls.vocabulary import CODE, EMPTY
from atsnb.phone_numbers import normalize_numbers

DIRECTIONS = np.array(["incoming", "outgoing", "internal", "mixed"], dtype=object)
INCOMING, OUTGOING, INTERNAL, MIXED = 0, 1, 2, 3
CALL_COLUMNS = ["call_id", "start", "answer", "end", "direction", "status", "caller", "dialed",
                "external_number", "line", "answered_by", "employee", "last_target", "group", "wait_s",
                "talk_s", "transfers", "legs", "recording", "primary"]


def mark_legs(legs: Legs, runs: Runs, topology: Topology) -> None:
    """Add per-leg columns: ``direction_code`` of its call, ``person``, ``talk``, ``hold``, ``grp``
    (queue / ring group passed) and ``reach`` (what the leg reached, for ``last_target``)."""
    a_kind, b_kind = legs["a_kind"], legs["b_kind"]
    orig = legs["originating"]
    from_trunk = runs.any(orig & (a_kind == TRUNK))
    to_trunk = runs.any(b_kind == TRUNK)
    direction = np.where(from_trunk, np.where(to_trunk, MIXED, INCOMING), np.where(to_trunk, OUTGOING, INTERNAL))
    leg_dir = runs.broadcast(direction)
    external = leg_dir != INTERNAL
    ok = legs["answered"] & (legs["billsec"] > 0) & ~np.isnan(legs["t_answer"])
    client_side = (a_kind == TRUNK) | (a_kind == LOCAL)
    person = ok & (b_kind == PHONE) & (client_side | ~external)
    consultation = _consultation_halves(legs, person)
    person &= ~consultation
    outward = ok & (b_kind == TRUNK) & external & (a_kind != TRUNK) & (a_kind != NONE)
    legs["direction_code"] = leg_dir
    legs["person"] = person
    legs["consultation"] = consultation
    legs["talk"] = person | outward
    # An answered leg from an employee's phone, inside an external call it did not start, to a
    # phone or to a Local channel that is no queue member: the consultation of an attended transfer
    # (phone to phone, or through ``Local/<ext>@from-internal`` when done by feature code), while
    # the client waits on hold — connected, so its span counts as the client's time.
    to_colleague = (b_kind == PHONE) | ((b_kind == LOCAL) & ~legs.vocab.where(legs["b_ctx"], _is_queue_context))
    legs["hold"] = ok & (a_kind == PHONE) & ~legs["originating"] & to_colleague & external
    legs["group"] = _group_names(legs, topology)
    legs["reach"] = _reached(legs, topology)


def _is_queue_context(context: str) -> bool:
    return context.startswith("from-queue")


def _is_ivr_context(context: str) -> bool:
    return context.startswith("ivr")


def _reached(legs: Legs, topology: Topology) -> np.ndarray:
    """What each leg reached, for ``last_target``: the person who talked, else the phone that rang,
    the queue/group it passed, the number it was forwarded to, the parking lot or the IVR."""
    vocab = legs.vocab
    b_kind = legs["b_kind"]
    grp = legs["group"]
    queue_member = (legs["a_kind"] == LOCAL) & vocab.where(legs["a_ctx"], _is_queue_context)
    out = np.full(len(legs), EMPTY, dtype=CODE)
    ivr = (b_kind == NONE) & vocab.where(legs["dcontext"], _is_ivr_context)
    out[ivr] = legs["dcontext"][ivr]
    park = (b_kind == NONE) & (legs["lastapp"] == vocab.code("Park"))
    out[park] = legs["dst"][park]
    forward = (b_kind == LOCAL) & ~vocab.among(legs["b_num"], topology.extensions)
    out[forward] = legs["b_num"][forward]
    out = np.where(grp != EMPTY, grp, out)
    rang = (b_kind == PHONE) & (grp == EMPTY) & ~queue_member
    return np.where(rang | legs["person"], legs["b_peer"], out)


def _consultation_halves(legs: Legs, person: np.ndarray) -> np.ndarray:
    """Local ``;2`` → phone legs of an attended transfer, not of a queue member.

    When an agent consults a colleague through ``Local/<ext>@from-internal``, the Local half's leg
    to the colleague covers the consultation; the caller's own leg to the colleague after the
    transfer covers the client's talk.  So a non-queue Local leg to a phone that the caller's channel
    also reached directly is consultation.
    """
    via_local = person & (legs["a_kind"] == LOCAL) & ~legs.vocab.where(legs["a_ctx"], _is_queue_context)
    if not via_local.any():
        return np.zeros(len(legs), bool)
    direct = person & (legs["a_kind"] == TRUNK)
    both = legs.frame(["call_index", "b_peer"], via_local | direct)
    both["direct"] = direct[via_local | direct]
    reached_directly = both.groupby(["call_index", "b_peer"], sort=False)["direct"].transform("any").to_numpy()
    out = np.zeros(len(legs), bool)
    out[np.flatnonzero(via_local | direct)] = reached_directly & via_local[via_local | direct]
    return out


def _group_names(legs: Legs, topology: Topology) -> np.ndarray:
    """The queue or ring group a leg passed: Queue(name,…) rows, or dst of a known/ext-group group."""
    vocab = legs.vocab
    out = np.full(len(legs), EMPTY, dtype=CODE)
    dst = legs["dst"]
    # A transfer out of a queue keeps lastapp=Queue on the caller's next row, but dials the target.
    is_queue = (legs["lastapp"] == vocab.code("Queue")) & ~vocab.among(dst, topology.extensions)
    if is_queue.any():
        out[is_queue] = vocab.derive(legs.picked("lastdata", np.flatnonzero(is_queue)), lambda v: v.split(",", 1)[0])
    known = set(topology.groups) | set(topology.queues)
    is_group = ~is_queue & (vocab.among(dst, known) | (legs["dcontext"] == vocab.code("ext-group")))
    out[is_group] = dst[is_group]
    return out


def classify(legs: Legs, runs: Runs, topology: Topology, short_abandon_s: float) -> pd.DataFrame:
    """One row per call with the columns of :data:`CALL_COLUMNS` (times as epoch seconds; text as
    codes of ``legs.vocab``, except ``call_id``)."""
    vocab = legs.vocab
    n = runs.n
    t0, ta, t1 = legs["t_start"], legs["t_answer"], legs["t_end"]
    talk, person = legs["talk"], legs["person"]
    a_kind, b_kind = legs["a_kind"], legs["b_kind"]
    orig = legs["originating"]
    direction = runs.first_of_call(legs["direction_code"])
    col = legs.columns

    start, end = runs.first_of_call(t0), runs.max(t1)  # call order is by start (NaN last): the first is the least
    answer = runs.min(ta, talk)
    talk_s = _union_seconds(legs, talk | legs["hold"], runs.n)
    answered_by = pick(col["b_peer"], runs.first_row_by(ta, person))
    # A call forwarded outside counts for the extension that forwarded it (a mobile is nobody's extension).
    forwarding = ((b_kind == LOCAL) & ~vocab.among(col["b_num"], topology.extensions)
                  & vocab.among(col["dst"], topology.extensions))
    forwarder = pick(col["dst"], runs.first_row(forwarding))

    dialer_row = runs.first_row(orig & (a_kind == PHONE))
    dialer_row = np.where(dialer_row == NO_ROW, runs.first_row(a_kind == PHONE), dialer_row)
    dialer = pick(col["a_peer"], dialer_row)
    orig_row = runs.first_row(orig)
    dialer = np.where(dialer == EMPTY, legs.picked("cnum", orig_row), dialer)

    inbound = (direction == INCOMING) | (direction == MIXED)
    outgoing = direction == OUTGOING
    orig_src = legs.picked("src", orig_row)
    orig_dst = pick(col["dst"], orig_row)
    did = legs.picked("did", runs.first_row(legs.filled("did")))
    trunk_row = runs.first_row(b_kind == TRUNK)
    out_dst = pick(col["dst"], trunk_row)
    out_cid = legs.picked("outbound_cnum", runs.first_row((b_kind == TRUNK) & legs.filled("outbound_cnum")))
    out_trunk = pick(col["b_peer"], trunk_row)

    orig_src_n, did_n, out_dst_n, out_cid_n = np.split(
        vocab.derive_all(np.concatenate([orig_src, did, out_dst, out_cid]), normalize_numbers), 4)
    caller = np.where(inbound, orig_src, np.where(dialer != EMPTY, dialer, orig_src))
    line = np.where(inbound, did_n, np.where(outgoing, out_cid_n, EMPTY))
    line = np.where(outgoing & (line == EMPTY), out_trunk, line)
    dialed = np.where(inbound, np.where(did != EMPTY, did, orig_dst), np.where(outgoing, out_dst, orig_dst))
    external_number = np.where(inbound, orig_src_n, np.where(outgoing, out_dst_n, EMPTY))

    answered = ~np.isnan(answer) & (talk_s > 0)
    answered_by = np.where(answered, answered_by, EMPTY)
    employee = np.where(direction == MIXED, np.where(answered_by != EMPTY, answered_by, forwarder),
                        np.where(direction == INCOMING, answered_by, dialer))
    # A leg counts from when it was answered (a group's winner after the losers it started with).
    reached_at = np.where(person, ta, t0)
    last_target = pick(col["reach"], runs.last_row_by(reached_at, col["reach"] != EMPTY))
    last_target = np.where(outgoing, out_dst, last_target)
    group = pick(col["group"], runs.last_row(col["group"] != EMPTY))

    wait_s = np.where(answered, answer, end) - start
    status = np.where(answered, vocab.code("answered"),
                      np.where((direction == INCOMING) & (wait_s < short_abandon_s), vocab.code("dropped"),
                               vocab.code("unanswered")))
    rec = legs.filled("recordingfile")
    recording = legs.picked("recordingfile", np.minimum(runs.first_row(rec & talk), runs.first_row(rec)))
    return pd.DataFrame({
        "call_id": pd.array(legs.call_ids, dtype="str"),
        "start": start, "answer": np.where(answered, answer, np.nan), "end": end,
        "direction": vocab.encode(DIRECTIONS)[direction] if n else np.array([], CODE),
        "status": status, "caller": caller, "dialed": dialed,
        "external_number": external_number, "line": line, "answered_by": answered_by,
        "employee": employee, "last_target": last_target, "group": group,
        "wait_s": np.round(wait_s).astype(np.int64), "talk_s": np.round(np.where(answered, talk_s, 0)).astype(np.int64),
        "transfers": _transfers(legs, runs, answer, answered_by), "legs": runs.count(), "recording": recording,
        "primary": first_of_each(external_number, start, EMPTY),
    })


def _union_seconds(legs: Legs, talk: np.ndarray, n: int) -> np.ndarray:
    """Per call, the length of the union of the legs' [answer, end] (hold legs: [start, end]).

    Intervals in call order, then by begin: each one adds what reaches past the furthest end of
    the call's earlier ones.  That running maximum is taken one depth at a time (the second interval
    of every call, then the third, ...): calls have a few talk legs each, so a handful of vectorised
    steps replace a grouped cumulative maximum.  Talk and hold legs have finite times (answered,
    billsec > 0), so no NaN enters the maximum.
    """
    rows = np.flatnonzero(talk)
    if not len(rows):
        return np.zeros(n)
    c = legs["call_index"][rows]
    begin = np.where(legs["hold"][rows], legs["t_start"][rows], legs["t_answer"][rows])
    order = np.lexsort((begin, c))
    c, a, b = c[order], begin[order], legs["t_end"][rows][order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    depth = np.arange(len(c)) - np.repeat(starts, np.diff(np.r_[starts, len(c)]))
    reach = b.copy()  # the furthest end so far within the call, this interval included
    later = np.flatnonzero(depth > 0)
    later = later[np.argsort(depth[later], kind="stable")]
    for at in np.split(later, np.cumsum(np.bincount(depth[later] - 1))[:-1]):
        reach[at] = np.maximum(reach[at - 1], b[at])
    prev = np.r_[-np.inf, reach[:-1]]
    prev[starts] = -np.inf
    gain = np.clip(b - np.maximum(a, prev), 0, None)
    return np.bincount(c, weights=gain, minlength=n)


def _transfers(legs: Legs, runs: Runs, answer: np.ndarray, answered_by: np.ndarray) -> np.ndarray:
    """How many times the answered client was sent somewhere else.

    After the first answer, every leg of the client's side (its own channel, or a Local half
    carrying it) to a phone or into a parking lot is a place the client was sent to: the queue or
    ring group the leg passed, else the lot, else the phone (queue members through Local channels
    count as their queue).  Walking those places in time order from the first person who answered,
    each change of place is a transfer; legs that began together (a ring group ringing several
    phones) are one move; a consultation's Local half is not a place the client went, and the
    pickup from a lot is the same move as the park.
    """
    vocab = legs.vocab
    a_kind, b_kind = legs["a_kind"], legs["b_kind"]
    client = (a_kind == TRUNK) | (a_kind == LOCAL)
    park = legs["lastapp"] == vocab.code("Park")
    rows = np.flatnonzero(client & (((b_kind == PHONE) & ~park & ~legs["consultation"]) | (park & (b_kind == NONE))))
    calls = runs.call_index[rows]
    after = legs["t_start"][rows] >= answer[calls] + 0.5  # NaN (never answered): never after
    rows, calls = rows[after], calls[after]
    if not len(rows):
        return np.zeros(runs.n, dtype=np.int64)
    group, ctx = legs["group"][rows], legs["a_ctx"][rows]
    member = (a_kind[rows] == LOCAL) & vocab.where(ctx, _is_queue_context)
    place = np.where(group != EMPTY, group,
                     np.where(park[rows], legs["dst"][rows], np.where(member, ctx, legs["b_peer"][rows])))
    began = legs["t_start"][rows]
    order = np.lexsort((began, calls))
    c, place, began = calls[order], place[order], began[order]
    first = np.r_[True, c[1:] != c[:-1]]
    before = np.where(first, answered_by[c], np.r_[EMPTY, place[:-1]])
    together = ~first & (began - np.r_[-np.inf, began[:-1]] <= 1.0)
    moved = (place != before) & ~together
    return np.bincount(c[moved], minlength=runs.n).astype(np.int64)
