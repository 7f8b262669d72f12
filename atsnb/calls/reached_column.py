"""Everyone an incoming call reached, kept beside the call in the store: the ``reached`` column.

Who missed a call is written in its route: the phones that rang (``ring`` steps), the queues and
ring groups it waited in, the extension that forwarded it to a mobile.  A period's routes are
mostly ring steps — reading and matching them to the calls for every report is what the
``answers`` column (:mod:`atsnb.calls.answers_column`) spared the attribution, and the same holds
here.  So the derivation writes, for every incoming and mixed call, one short text of the places it
reached; a report reads it with the calls and parses each distinct text once
(:mod:`atsnb.metrics.who_missed`).  Outgoing and internal calls have it empty.

The text is one token per place, in route order, joined by RS (the ASCII record separator); a
token is a letter and a target:

- ``r<ext>`` — the phone of ``<ext>`` rang for the client (any outcome: no answer, busy, failed);
  a consultation ringing a colleague's phone from the agent's is the agent's call, not the client's;
- ``f<ext>`` — ``<ext>`` forwarded the call to an outside number (a mobile);
- ``q<number>`` / ``g<number>`` — the call waited in that queue / ring group;
- ``m<ext>`` — only on a call nobody answered: ``<ext>`` is a member of a queue or ring group it
  waited in (as the topology said when the call was derived) whose phone did not ring — the call
  waited for them too.

A token in upper case was answered there: ``R`` — that person talked with the client (an
``answer`` step of theirs); ``F`` — the forward was answered; ``Q``/``G`` — someone answered while
the call waited in it.  Each place appears once per call.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.topology import Topology
from atsnb.vectors import text_positions

REACHED = "reached"  # the stored calls' column
REACH_STEP_COLUMNS = ["call_id", "seq", "kind", "party", "target", "outcome"]  # what of the steps it is made of
REACH_STEP_KINDS = ["line", "ring", "forward", "queue", "group", "answer"]
PHONE, FORWARD, QUEUE, GROUP, MEMBER = "r", "f", "q", "g", "m"
LETTERS = (PHONE, FORWARD, QUEUE, GROUP, MEMBER)  # a place's letter is its code here (upper case: + 5)
INBOUND = ("incoming", "mixed")
RECORD = "\x1e"
_LINE, _RING, _FORWARD, _QUEUE, _GROUP, _ANSWER = range(len(REACH_STEP_KINDS))
_R, _F, _Q, _G, _M = range(len(LETTERS))


def pack_reached(calls: pd.DataFrame, steps: pd.DataFrame | None, topology: Topology | None = None) -> pd.Series:
    """The ``reached`` column for ``calls`` (``call_id``, ``direction``, ``status``) from their
    routes ``steps`` (:data:`REACH_STEP_COLUMNS`, other kinds and calls ignored); ``topology``
    names the members of queues and ring groups (none without it).

    Everything runs on integer codes (the steps' texts encoded once in Arrow): the derivation
    packs a month of a busy PBX, ~100,000 calls and ~1 M steps, at a time."""
    values = np.full(len(calls), "", dtype=object)
    places = _Places.of(calls, steps, topology or Topology())
    if places is not None and len(places.row):
        rows, tokens = places.tokens()
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        per_call = pa.LargeListArray.from_arrays(pa.array(np.r_[starts, len(rows)], pa.int64()), tokens)
        values[rows[starts]] = pc.binary_join(per_call, pa.scalar(RECORD, pa.large_string())).to_numpy(
            zero_copy_only=False)
    return pd.Series(values, index=calls.index, dtype="str", name=REACHED)


def unpack_places(texts: np.ndarray | list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(index of the text, letter in lower case, target, answered there) of every token of
    ``texts`` (values of the column), as text."""
    parent, letter, target, names, answered = unpack_coded(texts)
    return parent, np.array(LETTERS, dtype=object)[letter], names[target], answered


def unpack_coded(texts: np.ndarray | list[str] | pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """(index of the text, letter as its index in :data:`LETTERS`, target as a code, the targets'
    names, answered there) of every token of ``texts``; a report parses each distinct text once,
    not every call's, and works on the codes (a few hundred names over a year's tokens).

    A year's distinct texts still hold hundreds of thousands of tokens but only a few hundred
    distinct ones (a letter and an extension): the tokens are hashed once and each distinct token
    is read in Python, rather than every token sliced, lowered and looked up in Arrow."""
    if not len(texts):
        return (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, object),
                np.empty(0, bool))
    texts = texts if isinstance(texts, pa.Array) else pa.array(list(texts), pa.large_string())
    lists = pc.split_pattern(texts, RECORD)
    parent = pc.list_parent_indices(lists).to_numpy()
    tokens = pc.list_flatten(lists).dictionary_encode()
    code = tokens.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    distinct = tokens.dictionary.to_pylist()
    letter = np.array([LETTERS.index(t[0].lower()) if t and t[0].lower() in LETTERS else -1 for t in distinct],
                      dtype=np.int64)
    answered = np.array([bool(t) and not t[0].islower() for t in distinct], dtype=bool)
    names = sorted({t[1:] for t in distinct if t})
    target = np.array([bisect_left(names, t[1:]) for t in distinct], dtype=np.int64)
    keep = np.flatnonzero(np.array([bool(t) for t in distinct], dtype=bool)[code])
    code = code[keep]
    return parent[keep].astype(np.int64), letter[code], target[code], np.array(names, dtype=object), answered[code]


def _among(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """``np.isin`` against keys already sorted: two binary searches, no hashing (NumPy's own
    ``isin`` and ``unique`` hash a million integers in a good part of a second)."""
    if not len(sorted_keys):
        return np.zeros(len(values), bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[at] == values


def _first_of_each(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each distinct key first appears, and the distinct keys, in key order."""
    by = np.argsort(keys, kind="stable")
    ordered = keys[by]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(keys) else np.zeros(0, np.int64)
    return by[starts], ordered[starts]


def _arrow_text(values: pd.Series, rows: np.ndarray) -> pa.Array:
    """``values`` at ``rows`` as Arrow large strings, missing values as ``""``."""
    text = pa.array(values.astype(str), type=pa.large_string())
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    return text.take(pa.array(rows)).fill_null("")


class _Places:
    """The distinct places of the inbound calls, as codes: ``row`` (the call's row), ``order``
    (route order; members last, by name), ``letter`` (index into :data:`LETTERS`), ``target``
    (a code of ``names``) and ``answered``."""

    def __init__(self, row: np.ndarray, order: np.ndarray, letter: np.ndarray, target: np.ndarray,
                 answered: np.ndarray, names: pa.Array, rank: np.ndarray):
        self.row, self.order, self.letter, self.target, self.answered = row, order, letter, target, answered
        self.names = names
        self.rank = rank  # per place: 0, or a member's rank by name

    @classmethod
    def of(cls, calls: pd.DataFrame, steps: pd.DataFrame | None, topology: Topology) -> _Places | None:
        """The places of ``calls`` read from their ``steps`` (None without an inbound call or steps)."""
        inbound = np.flatnonzero(calls["direction"].astype(str).isin(INBOUND).to_numpy(dtype=bool))
        if not len(inbound) or steps is None or steps.empty:
            return None
        at = text_positions(steps["call_id"], calls["call_id"].iloc[inbound])
        kind = pc.index_in(pa.array(steps["kind"].astype(str)), value_set=pa.array(REACH_STEP_KINDS))
        kind = kind.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        idx = np.flatnonzero((at >= 0) & (kind >= 0))
        row, kind, order = inbound[at[idx]], kind[idx], steps["seq"].to_numpy()[idx].astype(np.int64)
        # party and target encoded together: one code per distinct text of either
        both = pa.concat_arrays([_arrow_text(steps["party"], idx), _arrow_text(steps["target"], idx)]).dictionary_encode()
        codes = both.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        party, target = codes[: len(idx)], codes[len(idx):]
        names = both.dictionary
        outcome_answered = pc.equal(_arrow_text(steps["outcome"], idx), "answered").to_numpy(zero_copy_only=False)
        width = len(names) + 1
        # the client's side: the party of the call's line step (a consultation's ring is the agent's)
        client = np.full(len(calls), -1, np.int64)
        line = kind == _LINE
        client[row[line]] = party[line]
        spoke = kind == _ANSWER
        talkers = np.sort(row[spoke] * width + target[spoke])
        ring = (kind == _RING) & ((client[row] < 0) | (client[row] == party))
        forward = kind == _FORWARD
        wait = (kind == _QUEUE) | (kind == _GROUP)
        places = cls(
            np.concatenate([row[ring], row[forward], row[wait]]),
            np.concatenate([order[ring], order[forward], order[wait]]),
            np.concatenate([np.full(ring.sum(), _R), np.full(forward.sum(), _F), np.where(kind[wait] == _QUEUE, _Q, _G)]),
            np.concatenate([target[ring], party[forward], target[wait]]),
            np.concatenate([_among(row[ring] * width + target[ring], talkers), outcome_answered[forward],
                            outcome_answered[wait]]),
            names, np.zeros(0, np.int64))
        empty = pc.index_in(pa.array([""], pa.large_string()), value_set=names).to_pylist()[0]
        places = places.where(places.target != (-1 if empty is None else empty)).distinct()
        return places.with_members(calls["status"].astype(str).ne("answered").to_numpy(dtype=bool), topology)

    def where(self, keep: np.ndarray) -> _Places:
        """The places where ``keep`` holds."""
        return _Places(self.row[keep], self.order[keep], self.letter[keep], self.target[keep], self.answered[keep],
                       self.names, self.rank[keep] if len(self.rank) else self.rank)

    def distinct(self) -> _Places:
        """Each (call, letter, target) once, where it first appears; answered if it was anywhere."""
        key = (self.row * len(LETTERS) + self.letter) * (len(self.names) + 1) + self.target
        by = np.lexsort((self.order, key))
        key = key[by]
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else np.zeros(0, np.int64)
        answered = np.logical_or.reduceat(self.answered[by], starts) if len(starts) else self.answered[:0]
        first = by[starts]
        return _Places(self.row[first], self.order[first], self.letter[first], self.target[first], answered,
                       self.names, np.zeros(len(first), np.int64))

    def with_members(self, unanswered: np.ndarray, topology: Topology) -> _Places:
        """The ``m`` places of the calls nobody answered: the members of the queues and ring groups
        they waited in whose phones did not ring, after the route's own places, by name."""
        wait = np.flatnonzero(np.isin(self.letter, (_Q, _G)) & unanswered[self.row])
        if not len(wait) or not (topology.queues or topology.groups):
            return self
        first, pairs = _first_of_each(self.letter[wait] * (len(self.names) + 1) + self.target[wait])
        listed = {_Q: topology.queues, _G: topology.groups}
        member_lists = []
        for at in wait[first]:
            name = self.names[int(self.target[at])].as_py()
            member_lists.append(listed[int(self.letter[at])].get(name) or topology.queues.get(name)
                                or topology.groups.get(name) or [])
        every = sorted({m for ms in member_lists for m in ms})
        if not every:
            return self
        found = pc.index_in(pa.array(every, self.names.type), value_set=self.names).to_pylist()
        missing = [m for m, f in zip(every, found, strict=True) if f is None]
        names = pa.concat_arrays([self.names, pa.array(missing, self.names.type)]) if missing else self.names
        code = dict(zip(every, pc.index_in(pa.array(every, names.type), value_set=names).to_pylist(), strict=True))
        rank = {m: i + 1 for i, m in enumerate(every)}
        flat = np.array([code[m] for ms in member_lists for m in ms], dtype=np.int64)
        flat_rank = np.array([rank[m] for ms in member_lists for m in ms], dtype=np.int64)
        size = np.array([len(ms) for ms in member_lists], dtype=np.int64)
        start = np.cumsum(size) - size
        which = np.searchsorted(pairs, self.letter[wait] * (len(self.names) + 1) + self.target[wait])
        repeats = size[which]
        within = np.arange(repeats.sum()) - np.repeat(np.cumsum(repeats) - repeats, repeats)
        pick = np.repeat(start[which], repeats) + within
        row, target, rank_of = np.repeat(self.row[wait], repeats), flat[pick], flat_rank[pick]
        width = len(names) + 1
        rang = self.letter == _R
        new = ~_among(row * width + target, np.sort(self.row[rang] * width + self.target[rang]))
        once, _ = _first_of_each((row * width + target)[new])
        row, target, rank_of = row[new][once], target[new][once], rank_of[new][once]
        return _Places(np.concatenate([self.row, row]),
                       np.concatenate([self.order, np.full(len(row), np.iinfo(np.int64).max)]),
                       np.concatenate([self.letter, np.full(len(row), _M)]), np.concatenate([self.target, target]),
                       np.concatenate([self.answered, np.zeros(len(row), bool)]), names,
                       np.concatenate([self.rank, rank_of]))

    def tokens(self) -> tuple[np.ndarray, pa.Array]:
        """The places' calls in order, and their tokens (letter, upper case when answered, then the
        target), each distinct token's text made once."""
        by = np.lexsort((self.rank, self.order, self.row))
        letter = self.letter[by] + np.where(self.answered[by], len(LETTERS), 0)
        codes, distinct = pd.factorize(letter * (len(self.names) + 1) + self.target[by])
        width = len(self.names) + 1
        prefixes = pa.array([(LETTERS[c % len(LETTERS)].upper() if c >= len(LETTERS) else LETTERS[c])
                             for c in distinct // width], pa.large_string())
        targets = self.names.take(pa.array(distinct % width)).cast(pa.large_string())
        text = pc.binary_join_element_wise(prefixes, targets, pa.scalar("", pa.large_string()))
        return self.row[by], text.take(pa.array(codes))
