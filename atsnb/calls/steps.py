"""The route of every call as ordered steps: line, ivr, queue, group, ring, forward, hold,
transfer, answer, voicemail, hangup — what support staff read when a client says "nobody picked up".

Each kind of step is one vectorised selection over all legs; the pieces are concatenated and
numbered per call in time order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.calls.classify import DIRECTIONS, INCOMING, MIXED
from atsnb.calls.legs import LOCAL, PHONE
from atsnb.calls.runs import Legs, Runs, call_time_order
from atsnb.calls.topology import Topology
from atsnb.calls.vocabulary import CODE, EMPTY, gathered
from atsnb.calls.witnesses import RESOLUTION_S
from atsnb.phone_numbers import normalize_numbers

KINDS = ["line", "ivr", "queue", "group", "ring", "forward", "hold", "transfer", "answer", "voicemail", "hangup"]
STEP_COLUMNS = ["call_id", "seq", "at", "kind", "party", "target", "outcome", "duration_s"]
_ORDER = {k: i for i, k in enumerate(KINDS)}


def build_steps(legs: Legs, runs: Runs, calls: pd.DataFrame, topology: Topology,
                hangup_by: np.ndarray | None = None) -> pd.DataFrame:
    """All steps of all calls (``at`` as epoch seconds), sorted and numbered per call.

    ``calls`` holds text as codes of ``legs.vocab``; ``hangup_by`` is who hung up per call (codes).
    Steps are assembled as codes and become Python strings once, in their final order.
    """
    if legs.empty:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in STEP_COLUMNS})
    vocab = legs.vocab
    cidx = runs.call_index
    t0, ta, t1 = legs["t_start"], legs["t_answer"], legs["t_end"]
    disp = vocab.derive(legs["disposition"], lambda d: d.lower().replace(" ", "_"))
    caller_of_call = calls["caller"].to_numpy()
    caller = caller_of_call[cidx]
    parts: list[dict[str, np.ndarray]] = []

    def add(kind: str, c: np.ndarray, at, party, target, outcome, duration, rank=None) -> None:
        if len(c):
            parts.append({"c": c, "at": at, "kind": np.full(len(c), _ORDER[kind], dtype=np.int8),
                          "party": _fill(party, len(c)),
                          "target": _fill(target, len(c)), "outcome": _fill(outcome, len(c)),
                          "duration_s": np.asarray(duration, dtype=float),
                          "rank": np.zeros(len(c), np.int64) if rank is None else rank})

    def add_legs(kind: str, mask: np.ndarray, at, party, target, outcome, duration) -> None:
        # The legs' positions first, then one gather per column: numpy's boolean indexing of a
        # million-row column is about twice as slow as taking the same rows by position.  The
        # positions are in call order, so each kind's steps come sorted by call and the final sort
        # (stable, merging runs) has little left to do.
        rank, rows = runs.in_order(mask)
        if len(rows):
            add(kind, cidx[rows], at[rows], _take(party, rows), _take(target, rows), _take(outcome, rows),
                duration[rows], rank)

    start, end = calls["start"].to_numpy(), calls["end"].to_numpy()
    direction = calls["direction"].to_numpy()
    inbound = np.flatnonzero((direction == vocab.code(DIRECTIONS[INCOMING]))
                             | (direction == vocab.code(DIRECTIONS[MIXED])))
    add("line", inbound, start[inbound], caller_of_call[inbound], calls["line"].to_numpy()[inbound], EMPTY,
        (end - start)[inbound])
    dcontext = legs["dcontext"]
    ivr = vocab.where(dcontext, lambda c: c.startswith("ivr-"))
    span = t1 - t0
    add_legs("ivr", _first_per(runs, dcontext, ivr), t0, caller, dcontext, EMPTY, span)
    _add_groups(legs, runs, topology, add)
    b_kind = legs["b_kind"]
    b_peer = legs["b_peer"]
    answered_at = np.where(legs["answered"] & ~np.isnan(ta), ta, t1)
    party = np.where(legs["a_kind"] == PHONE, legs["a_peer"], caller)
    add_legs("ring", b_kind == PHONE, t0, party, b_peer, disp, answered_at - t0)
    b_num = legs["b_num"]
    forward = (b_kind == LOCAL) & ~vocab.among(b_num, topology.extensions) & vocab.where(b_num, str.isdigit)
    dst = legs["dst"]
    if forward.any():
        number = np.full(len(legs), EMPTY, dtype=CODE)
        number[forward] = vocab.derive_all(b_num[forward], normalize_numbers)
        add_legs("forward", forward, t0, dst, number, disp, span)
    # The client on hold while an employee consults a colleague: the employee → the colleague (a phone,
    # or the extension behind a Local channel), for the consultation's whole span — nobody's talk.
    hold = legs["hold"]
    add_legs("hold", hold, t0, legs["a_peer"], np.where(b_kind == PHONE, b_peer, b_num), EMPTY, span)
    talk = legs["talk"]
    talker = np.where(legs["person"], b_peer, dst)
    add_legs("answer", talk, ta, caller, talker, vocab.code("answered"), t1 - ta)
    _add_transfers(runs, t0, ta, talk, talker, add)
    vm = legs["lastapp"] == vocab.code("VoiceMail")
    box = np.full(len(legs), EMPTY, dtype=CODE)
    box[vm] = vocab.derive(legs.picked("lastdata", np.flatnonzero(vm)), lambda v: v.split("@", 1)[0])
    add_legs("voicemail", vm, t0, caller, box, disp, span)
    every = np.arange(len(calls))
    who = hangup_by if hangup_by is not None else EMPTY
    add("hangup", every, end, who, EMPTY, calls["status"].to_numpy(), np.zeros(len(calls)))
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = _step_order(cols["c"], cols["at"], cols["kind"], cols["rank"])
    c, kind = cols["c"][order], cols["kind"][order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    seq = np.arange(len(c)) - np.repeat(starts, np.diff(np.r_[starts, len(c)]))
    duration = cols["duration_s"]
    # Text leaves as Arrow-backed ``str`` columns, like the calls': taken from the vocabulary, no
    # Python string per step.
    kind_names, party, target, outcome = vocab.strings(np.take(vocab.encode(KINDS), kind), cols["party"][order],
                                                       cols["target"][order], cols["outcome"][order])
    return pd.DataFrame({
        "call_id": gathered(legs.call_ids, c), "seq": seq, "at": cols["at"][order],
        "kind": kind_names, "party": party, "target": target, "outcome": outcome,
        # NaN and negative spans count as zero.
        "duration_s": np.round(np.where(duration > 0, duration, 0.0)).astype(np.int64)[order],
    }, copy=False)  # the arrays are this frame's alone: no copy of the numbers into one block


def _step_order(c: np.ndarray, at: np.ndarray, kind: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Steps in call order, then time; same moment, same kind: the legs' own call order decides,
    never the order rows came in (kind and rank share one sort key)."""
    return call_time_order(c, at, (kind.astype(np.int64) << 40) | rank)


def _fill(value, n: int) -> np.ndarray:
    """A code array of length ``n`` from an array or one repeated code."""
    if isinstance(value, np.ndarray):
        return value.astype(CODE, copy=False)
    return np.full(n, value, dtype=CODE)


def _take(value, rows: np.ndarray):
    return value[rows] if isinstance(value, np.ndarray) else value


def _first_per(runs: Runs, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mask of the first leg (in call order) of each (call, value) among legs where ``mask`` holds."""
    out = np.zeros(runs.size, bool)
    if mask.any():
        rows = runs.order[mask[runs.order]]
        seen = pd.DataFrame({"c": runs.call_index[rows], "v": values[rows]}).duplicated().to_numpy()
        out[rows[~seen]] = True
    return out


def _add_groups(legs: Legs, runs: Runs, topology: Topology, add) -> None:
    """One step per queue / ring group a call passed, with whether it was answered there."""
    vocab = legs.vocab
    grp = legs["group"]
    has = grp != EMPTY
    if not has.any():
        return
    rows = runs.in_order(has)[1]
    # Groups of one call are listed by name (their order breaks ties between steps of one moment).
    # Call index and name rank (both below 2**31: a leg count, a CODE) folded into one key: a stable
    # sort of it is the two-key lexsort's order, and with the rows already in call order it only
    # has the few names of each call to put in order.  (A group's legs may come in another order
    # than before: only their earliest start, latest end and whether any talked are read.)
    key = (legs["call_index"][rows].astype(np.int64) << 32) | vocab.alphabetical(grp[rows])
    rows = rows[np.argsort(key, kind="stable")]
    c, names = legs["call_index"][rows], grp[rows]
    starts = np.flatnonzero(np.r_[True, (c[1:] != c[:-1]) | (names[1:] != names[:-1])])
    c, names = c[starts], names[starts]
    at = np.fmin.reduceat(legs["t_start"][rows], starts)
    until = np.fmax.reduceat(legs["t_end"][rows], starts)
    answered = np.logical_or.reduceat(legs["talk"][rows], starts) | _talk_within(legs, c, at, until)
    queue = np.logical_or.reduceat(legs["lastapp"][rows] == vocab.code("Queue"), starts)
    queue |= vocab.among(names, topology.queues)
    outcome = np.where(answered, vocab.code("answered"), vocab.code("unanswered"))
    for kind, pick in (("queue", queue), ("group", ~queue)):
        add(kind, c[pick], at[pick], EMPTY, names[pick], outcome[pick], (until - at)[pick])


def _talk_within(legs: Legs, calls: np.ndarray, begin: np.ndarray, until: np.ndarray) -> np.ndarray:
    """Per (call, span): whether a talk leg of the call was answered within [begin, until].

    A queue's own rows (the caller's, to the members' Local channels) never talk: the member
    side's Local;2 → phone leg does.  So a queue step is answered when someone answered while the
    caller was in it.  Call and whole second are one sorted integer key, so each span is two
    binary searches.
    """
    talk = np.flatnonzero(legs["talk"])
    if not len(talk):
        return np.zeros(len(calls), dtype=bool)
    shift = np.int64(1 << 33)  # whole epoch seconds stay below 2**33 until the year 2242
    keys = np.sort(legs["call_index"][talk].astype(np.int64) * shift + np.floor(legs["t_answer"][talk]).astype(np.int64))
    base = calls.astype(np.int64) * shift
    lo = np.searchsorted(keys, base + np.floor(begin - RESOLUTION_S).astype(np.int64), side="left")
    hi = np.searchsorted(keys, base + np.floor(until).astype(np.int64), side="right")
    return hi > lo


def _add_transfers(runs: Runs, t0: np.ndarray, ta: np.ndarray, talk: np.ndarray, talker: np.ndarray, add) -> None:
    """A transfer step each time the talk moves to someone else, from the previous talker."""
    if not talk.any():
        return
    rank, rows = runs.in_order(talk)  # in call order: the sort by answer time has little to move
    by_answer = call_time_order(runs.call_index[rows], ta[rows], rank)
    rows, rank = rows[by_answer], rank[by_answer]
    c, who = runs.call_index[rows], talker[rows]
    same_call = np.r_[False, c[1:] == c[:-1]]
    prev = np.r_[np.array([EMPTY], dtype=who.dtype), who[:-1]]
    moved = same_call & (prev != who)
    if moved.any():
        add("transfer", c[moved], t0[rows][moved], prev[moved], who[moved], EMPTY, np.zeros(int(moved.sum())),
            rank[moved])
