"""CEL and queue_log as witnesses: they correct what CDR alone cannot know.

* queue_log ``CONNECT`` — when an agent really took a queued caller (``callid`` is the caller's
  uniqueid); ``ABANDON``/``EXIT*`` — when a queued caller left, which no CDR row covers when they
  hung up between ring rounds (docs/pbx-data.md §8); ``COMPLETECALLER``/``COMPLETEAGENT`` — who hung up;
* CEL ``LINKEDID_END``/``HANGUP`` of the caller's channel — the true end of the call; ``HANGUP``'s
  ``hangupsource`` — who hung up; ``BLINDTRANSFER``/``ATTENDEDTRANSFER`` — transfers.

Answer moments of single legs are corrected earlier, in :mod:`atsnb.calls.answer_times`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.channels import coded_channels, parse_channels
from atsnb.calls.legs import epoch_seconds
from atsnb.calls.runs import Legs
from atsnb.calls.topology import Topology
from atsnb.calls.vocabulary import CODE, EMPTY, Vocabulary, dictionary
from atsnb.vectors import arrow_column, equals

# PBX timestamps are whole seconds, and CDR times add two truncations (start, duration): a witness
# within a second of CDR's moment corrects the moment but not the billsec-exact talk time.
RESOLUTION_S = 1.0
QUEUE_LEFT = {"ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY"}
TRANSFERS = {"BLINDTRANSFER", "ATTENDEDTRANSFER"}
QUEUE_COMPLETE = {"COMPLETECALLER", "COMPLETEAGENT"}
_HANGUP_SOURCE = r'"hangupsource"\s*:\s*"(?P<source>[^"]*)"'


def apply_witnesses(calls: pd.DataFrame, legs: Legs, topology: Topology, cel: pd.DataFrame | None,
                    queue_log: pd.DataFrame | None, tz: str, short_abandon_s: float) -> np.ndarray | None:
    """Correct ``calls`` in place from CEL / queue_log; returns who hung up per call (codes of
    ``legs.vocab``, or None without witnesses).

    Every event is first turned into the row of its call in ``calls`` (one Arrow hash lookup), so
    the per-call minima and maxima are integer-indexed numpy reductions, not string joins.
    """
    vocab = legs.vocab
    hangup_by = None
    n = len(calls)
    if queue_log is not None and not queue_log.empty:
        event = queue_log["event"].astype(str)
        # callid is the caller's uniqueid: its first leg tells the call.
        leg = _first_legs(arrow_column(queue_log["callid"]), legs.uniqueid)
        row = np.where(leg >= 0, legs["call_index"][np.maximum(leg, 0)], -1)
        when = epoch_seconds(queue_log["time"], tz)
        known = (row >= 0) & ~np.isnan(when)
        connect = known & (event == "CONNECT").to_numpy()
        _later_answer(calls, _per_call(np.fmin, n, row[connect], when[connect]))
        left = known & event.isin(QUEUE_LEFT).to_numpy()
        _later_end(calls, vocab, _per_call(np.fmax, n, row[left], when[left]), short_abandon_s)
        done = known & event.isin(QUEUE_COMPLETE).to_numpy()
        hangup_by = _queue_hangup_by(queue_log[done], row[done], n, vocab)
    if cel is not None and not cel.empty:
        # Only the events that can change a call are kept before any lookup: its end (LINKEDID_END,
        # the caller's channel hanging up) and transfers.
        event, linked = arrow_column(cel["eventtype"]), arrow_column(cel["linkedid"])
        own = np.asarray(pc.equal(arrow_column(cel["uniqueid"]), linked).fill_null(False), dtype=bool)
        closing = equals(event, "HANGUP") & own
        ended = equals(event, "LINKEDID_END")
        moved = np.asarray(pc.is_in(event, value_set=pa.array(sorted(TRANSFERS))).fill_null(False), dtype=bool)
        keep = np.flatnonzero(closing | ended | moved)
        row = _positions(linked.take(pa.array(keep)), legs.call_ids)
        closing, ended, moved = closing[keep] & (row >= 0), ended[keep], moved[keep] & (row >= 0)
        gone = closing | (ended & (row >= 0))
        when = epoch_seconds(cel["eventtime"].iloc[keep[gone]], tz)
        _later_end(calls, vocab, _per_call(np.fmax, n, row[gone], when), short_abandon_s)
        if moved.any():
            counted = np.bincount(row[moved], minlength=n)
            calls["transfers"] = np.maximum(calls["transfers"].to_numpy(), counted).astype(np.int64)
        seen, from_cel = _hangup_by(arrow_column(cel["extra"]), keep[closing], row[closing], n, topology, vocab)
        hangup_by = from_cel if hangup_by is None else np.where(seen, from_cel, hangup_by)
    return hangup_by


def _positions(keys: pa.Array | pa.ChunkedArray, values: pa.Array) -> np.ndarray:
    """Position of each key's first occurrence in ``values`` (-1 where absent)."""
    return np.asarray(pc.index_in(keys, value_set=values.cast(keys.type)).fill_null(-1), dtype=np.int64)


def _first_legs(keys: pa.Array | pa.ChunkedArray, uniqueid: pa.Array) -> np.ndarray:
    """Position of each key's first occurrence in the legs' ``uniqueid`` (-1 where absent).

    The keys (a few per call) are hashed and the legs probed, not the other way round.
    """
    encoded = dictionary(keys)
    out = np.full(len(keys), -1, dtype=np.int64)
    if not len(encoded.dictionary):
        return out
    found = np.asarray(pc.index_in(uniqueid, value_set=encoded.dictionary.cast(uniqueid.type)).fill_null(-1))
    hit = np.flatnonzero(found >= 0)
    first = np.full(len(encoded.dictionary), -1, dtype=np.int64)
    distinct, at = np.unique(found[hit], return_index=True)
    first[distinct] = hit[at]
    index = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
    return np.where(index >= 0, first[index], -1)


def _per_call(ufunc: np.ufunc, n: int, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``ufunc`` (np.fmin / np.fmax) of ``values`` per call row; NaN for calls without any."""
    out = np.full(n, np.nan)
    ufunc.at(out, rows, values)
    return out


def _later_answer(calls: pd.DataFrame, when: np.ndarray) -> None:
    """Move the answer of answered calls later to ``when`` (epoch s per call row, NaN if unknown) when
    CDR's answer came too early (a caller answered by the PBX before the person), shortening talk."""
    ans = calls["answer"].to_numpy()
    later = ~np.isnan(when) & ~np.isnan(ans) & (when > ans) & (when < calls["end"].to_numpy())
    if not later.any():
        return
    shift = np.where(later, when - ans, 0)
    calls["answer"] = np.where(later, when, ans)
    calls["wait_s"] = np.where(later, np.round(when - calls["start"].to_numpy()), calls["wait_s"]).astype(np.int64)
    # Talk came from billsec, which is exact to the second: a one-second disagreement is rounding.
    cut = np.where(shift > RESOLUTION_S, np.round(shift), 0)
    calls["talk_s"] = np.clip(calls["talk_s"].to_numpy() - cut, 0, None).astype(np.int64)


def _later_end(calls: pd.DataFrame, vocab: Vocabulary, when: np.ndarray, short_abandon_s: float) -> None:
    """Extend the end of calls to ``when`` (epoch s per call row, NaN if unknown) when a witness saw
    the caller still there later; an unanswered call's wait grows with it (it may stop being "dropped")."""
    end = calls["end"].to_numpy()
    later = ~np.isnan(when) & (when > end + RESOLUTION_S)
    if not later.any():
        return
    calls["end"] = np.where(later, when, end)
    status = calls["status"].to_numpy()
    waiting = later & (status != vocab.code("answered"))
    wait = np.round(calls["end"].to_numpy() - calls["start"].to_numpy())
    calls["wait_s"] = np.where(waiting, wait, calls["wait_s"]).astype(np.int64)
    dropped = (calls["direction"].to_numpy() == vocab.code("incoming")) & (wait < short_abandon_s)
    calls["status"] = np.where(waiting, np.where(dropped, vocab.code("dropped"), vocab.code("unanswered")), status)


def _queue_hangup_by(done: pd.DataFrame, rows: np.ndarray, n: int, vocab: Vocabulary) -> np.ndarray:
    """Per call row, who ended a queue call (codes; '' when unknown): COMPLETECALLER → ``caller``,
    COMPLETEAGENT → the agent's extension (``Local/<ext>@from-queue/n``) or member name."""
    out = np.full(n, EMPTY, dtype=CODE)
    if done.empty or "agent" not in done.columns:
        return out
    # Each distinct agent is read once; a missing agent stays missing and speaks for nobody.
    codes, agents = pd.factorize(done["agent"].astype(str))
    names = np.append(_agent_names(pd.Series(agents, dtype=object)), None)
    who = np.where(done["event"].astype(str) == "COMPLETECALLER", "caller", names[codes])
    last = pd.Series(who, dtype=object).groupby(rows).last()
    out[last.index.to_numpy()] = vocab.encode(last.tolist())
    return out


def _agent_names(agents: pd.Series) -> np.ndarray:
    """``Local/<ext>@from-queue/n``, ``PJSIP/<ext>``, ``IAX2/<ext>`` → the extension; a member name
    (no technology) as it is."""
    parts = parse_channels(agents)
    return np.where(parts["tech"] != "", parts["number"], agents.to_numpy(dtype=object))


def _hangup_by(extra: pa.Array | pa.ChunkedArray, events: np.ndarray, rows: np.ndarray, n: int, topology: Topology,
               vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Per call row, whether CEL saw the caller's channel hang up (``events``, of call ``rows``), and
    who hung up (codes): ``caller`` (the trunk side), the extension, or '' when the event does not say."""
    seen = np.zeros(n, dtype=bool)
    out = np.full(n, EMPTY, dtype=CODE)
    if not len(events):
        return seen, out
    # The first event of each call speaks for it; only those have their extra read.
    call_rows, first = np.unique(rows, return_index=True)
    # One Arrow pass instead of a JSON parse per event; the key/value layout of CEL's extra is fixed.
    found = pc.extract_regex(extra.take(pa.array(events[first])), _HANGUP_SOURCE)
    source = pc.if_else(pc.is_null(found), "", pc.struct_field(found, "source")).cast(pa.large_string())
    side = coded_channels(source, vocab)
    who = np.where(topology.trunk_mask(side["tech"], side["peer"], vocab), vocab.code("caller"), side["number"])
    seen[call_rows] = True
    out[call_rows] = np.where(np.asarray(pc.binary_length(source)) > 0, who, EMPTY)
    return seen, out
