"""CDR rows turned into *legs*: deduplicated, timed in real seconds, each side of the row classified
(phone, trunk, Local half or nothing), and grouped into calls.

Everything here is column arithmetic over the whole frame — no Python loop per row or per call —
because a first import hands a million rows at once (docs/performance.md, Reconstruction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.channels import PARTS, arrow_text, channel_parts, local_base
from atsnb.calls.runs import Legs, Runs, call_time_order
from atsnb.calls.topology import Topology
from atsnb.calls.vocabulary import EMPTY, Vocabulary, dictionary

# Kinds of one side of a row.
NONE, PHONE, TRUNK, LOCAL = 0, 1, 2, 3

# Text compared over every leg: coded for every leg in one shared vocabulary.
CODED_COLUMNS = ["dst", "dcontext", "lastapp", "disposition"]
# Text read at a few legs per call (its first leg, its first trunk leg, ...): kept in Arrow and coded
# for the legs picked (uniqueid and linkedid, unique per leg or call, stay in Arrow too).
PICKED_COLUMNS = ["src", "lastdata", "did", "recordingfile", "cnum", "outbound_cnum"]
# Columns that make two rows "the same row" when a second CDR writer duplicated it.
# (uniqueid, sequence) alone identifies a row where the schema has sequence; the rest covers old ones.
_DUPLICATE_KEY = ["calldate", "uniqueid", "dstchannel", "disposition", "duration", "billsec", "sequence"]
_DUPLICATE_TEXT = {"uniqueid", "dstchannel", "disposition"}
# Rows without linkedid are joined through shared channel names only within this window, because
# channel counters restart with Asterisk and names repeat over months.
_CLOSURE_WINDOW = "1D"


def localize(naive: pd.Series, tz: str, uniqueid: pd.Series | None = None) -> pd.Series:
    """Naive PBX wall-clock times → tz-aware.

    In the autumn DST hour a wall-clock time happens twice; the uniqueid (``<epoch>.<n>``, the real
    creation instant of the channel) tells which: the reading closest after it wins.  Times that
    cannot exist (spring gap) are shifted forward.
    """
    naive = pd.to_datetime(naive)
    if naive.dt.tz is not None:
        return naive.dt.tz_convert(tz)
    out = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    ambiguous = out.isna() & naive.notna()
    if ambiguous.any():
        amb = naive[ambiguous]
        early = amb.dt.tz_localize(tz, ambiguous=np.ones(len(amb), dtype=bool))
        late = amb.dt.tz_localize(tz, ambiguous=np.zeros(len(amb), dtype=bool))
        pick_late = np.zeros(len(amb), dtype=bool)
        if uniqueid is not None:
            born = pd.to_numeric(uniqueid[ambiguous].astype(str).str.extract(r"(\d{9,})\.")[0], errors="coerce")
            born_ns = (born.to_numpy(dtype=float) * 1e9)
            early_ns = early.to_numpy(dtype="datetime64[ns]").astype(np.int64)
            pick_late = np.nan_to_num(born_ns, nan=-np.inf) > early_ns + 1e9
        out = out.copy()
        out[ambiguous] = np.where(pick_late, late.to_numpy(), early.to_numpy())
    return out


def epoch_seconds(naive: pd.Series, tz: str) -> np.ndarray:
    """Naive PBX-local times (datetimes or text) → whole epoch seconds as floats (NaN if unreadable).

    Floored like CDR's own times, so CEL and queue_log moments (which may carry fractions) compare
    with CDR on the same one-second grid.
    """
    aware = localize(pd.to_datetime(naive, errors="coerce", format="mixed"), tz)
    ns = aware.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    return np.where(aware.isna().to_numpy(), np.nan, np.floor(ns / 1e9))


def prepare_legs(cdr: pd.DataFrame, topology: Topology, tz: str,
                 links: dict[str, str] | None = None) -> tuple[Legs, Runs]:
    """One leg per distinct CDR row with the columns reconstruction reads, and the calls as runs.

    ``links`` moves the rows of one linkedid into another call (a phone-made transfer's
    consultation into the call it transferred: :mod:`atsnb.calls.consultations`).

    Times are float seconds since the epoch (``t0`` start, ``ta`` answer or NaN, ``t1`` end), so the
    later arithmetic is plain numpy; text columns are codes into one vocabulary, built in Arrow.
    """
    cdr = drop_duplicate_rows(cdr)
    calldate = pd.to_datetime(cdr["calldate"] if "calldate" in cdr.columns else cdr["start"])
    uniqueid = cdr["uniqueid"] if "uniqueid" in cdr.columns else None
    born = localize(calldate, tz, uniqueid)
    t0 = _seconds(born)
    duration = _seconds_of(cdr, "duration")
    billsec = np.minimum(_seconds_of(cdr, "billsec"), duration)
    t1 = t0 + duration
    ta = np.where(billsec > 0, t1 - billsec, np.nan)
    if "answer" in cdr.columns and cdr["answer"].notna().any():
        ans = localize(pd.to_datetime(cdr["answer"]), tz, uniqueid)
        known = ans.notna().to_numpy()
        ta = np.where(known & (billsec > 0), _seconds(ans), ta)
    vocab, codes = Vocabulary.of_columns([_text(cdr, col) for col in CODED_COLUMNS])
    columns: dict[str, np.ndarray] = dict(zip(CODED_COLUMNS, codes, strict=True))
    # The parts each side needs, and its kind, are worked out per channel stem and gathered per leg.
    a_stem, a_parts = channel_parts(_text(cdr, "channel"), vocab)
    b_stem, b_parts = channel_parts(_text(cdr, "dstchannel"), vocab)
    columns.update({
        "t_start": t0, "t_answer": ta, "t_end": t1, "billsec": billsec,
        "seq": (pd.to_numeric(cdr["sequence"], errors="coerce").fillna(-1).to_numpy(np.int64)
                if "sequence" in cdr.columns else np.full(len(cdr), -1, dtype=np.int64)),
        "a_kind": np.take(_kinds(a_parts, vocab, topology), a_stem), "a_peer": _part(a_parts, "peer", a_stem),
        "a_ctx": _part(a_parts, "context", a_stem),
        "b_kind": np.take(_kinds(b_parts, vocab, topology), b_stem), "b_peer": _part(b_parts, "peer", b_stem),
        "b_num": _part(b_parts, "number", b_stem), "b_ctx": _part(b_parts, "context", b_stem),
        "answered": vocab.where(columns["disposition"], lambda d: d.upper() == "ANSWERED"),
    })
    uid, linked = _joined(_text(cdr, "uniqueid")), _text(cdr, "linkedid")
    if links:
        linked = _relinked(linked, links)
    keys = _call_keys(cdr, calldate, uid, linked)
    columns["call_index"], call_ids = _call_index(keys)
    runs = Runs(columns["call_index"], call_time_order(columns["call_index"], t0, columns["seq"]))
    legs = Legs(columns, vocab, uid, call_ids, {col: _text(cdr, col) for col in PICKED_COLUMNS})
    own = np.asarray(pc.and_(pc.equal(uid, linked), pc.not_equal(linked, "")), dtype=bool)
    first = np.zeros(len(legs), bool)
    first[runs.order[runs.starts]] = True
    legs["originating"] = np.where(runs.broadcast(runs.any(own)), own, first)
    return legs, runs


def _relinked(linked: pa.Array | pa.ChunkedArray, links: dict[str, str]) -> pa.Array | pa.ChunkedArray:
    """``linked`` with the linkedids of ``links`` replaced (one hash lookup over all rows)."""
    old = pa.array(list(links), type=pa.large_string())
    at = pc.index_in(linked, value_set=old)
    if not pc.any(pc.is_valid(at)).as_py():
        return linked
    new = pa.array(list(links.values()), type=pa.large_string())
    return pc.if_else(pc.is_valid(at), new.take(at), linked)


def _seconds(aware: pd.Series) -> np.ndarray:
    """Tz-aware times → float epoch seconds (nanoseconds over 1e9), read off the times' own integers
    rather than converted through a new datetime64[ns] array."""
    return aware.array.as_unit("ns").asi8 / 1e9


def _call_index(keys: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """Each leg's call index, calls numbered in the order of their sorted ids, and those ids."""
    encoded = dictionary(keys)
    order = np.asarray(pc.sort_indices(encoded.dictionary))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return np.take(rank, np.asarray(encoded.indices)), encoded.dictionary.take(pa.array(order))


def _joined(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    return texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts


def _text(cdr: pd.DataFrame, col: str) -> pa.Array | pa.ChunkedArray:
    """A CDR text column in Arrow ('' for missing values and for a column the schema lacks)."""
    if col not in cdr.columns:
        return pa.array(np.full(len(cdr), "", dtype=object), type=pa.large_string())
    return arrow_text(cdr[col])


def _seconds_of(cdr: pd.DataFrame, col: str) -> np.ndarray:
    """A CDR count of seconds as floats: 0 where missing, unreadable or negative (in numpy, without
    the pandas copies of filling and clipping a million-row column)."""
    if col not in cdr.columns:
        return np.zeros(len(cdr))
    values = pd.to_numeric(cdr[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(values > 0, values, 0.0)


def drop_duplicate_rows(cdr: pd.DataFrame) -> pd.DataFrame:
    """Drop rows written twice (two CDR back ends on one table): same row, same everything.

    Only rows sharing the numeric part of the key can be duplicates, and they are few: that part is
    folded into one integer per row first (equal values, equal integers), and the whole key is
    hashed for the rows sharing it alone.
    """
    calldate = pd.to_datetime(cdr["calldate"] if "calldate" in cdr.columns else cdr["start"])
    folded = calldate.array.asi8.view(np.uint64)  # equal times, equal integers (in the column's own unit)
    for col, default in (("duration", 0), ("billsec", 0), ("sequence", -1)):
        folded = folded * np.uint64(0x9E3779B97F4A7C15) + _value_bits(cdr[col] if col in cdr.columns else default,
                                                                     len(cdr))
    ordered = np.sort(folded)
    shared = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(shared):
        return cdr
    suspects = np.isin(folded, shared)
    sub = pd.DataFrame({"calldate": calldate[suspects]})
    for col, default in (("uniqueid", ""), ("dstchannel", ""), ("disposition", ""), ("duration", 0),
                         ("billsec", 0), ("sequence", -1)):
        sub[col] = cdr[col][suspects] if col in cdr.columns else default
        if col in _DUPLICATE_TEXT:
            sub[col] = sub[col].fillna("").astype(str)
    h = pd.util.hash_pandas_object(sub[_DUPLICATE_KEY].astype({"sequence": "float64"}), index=False)
    twice = np.zeros(len(cdr), dtype=bool)
    twice[np.flatnonzero(suspects)[h.duplicated().to_numpy()]] = True
    return cdr[~twice] if twice.any() else cdr


def _value_bits(values: pd.Series | int, n: int) -> np.ndarray:
    """A numeric column as 64-bit patterns, equal for equal values (one NaN, one zero)."""
    if not isinstance(values, pd.Series):
        return np.full(n, values, dtype=np.int64).view(np.uint64)
    values = pd.to_numeric(values, errors="coerce")
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":  # plain integers: never missing
        return values.to_numpy().astype(np.int64, copy=False).view(np.uint64)
    floats = values.to_numpy(dtype=float, na_value=np.nan)
    return (np.where(np.isnan(floats), np.inf, floats) + 0.0).view(np.uint64)


def _part(parts: np.ndarray, name: str, stems: np.ndarray) -> np.ndarray:
    return np.take(parts[:, PARTS.index(name)], stems)


def _kinds(parts: np.ndarray, vocab: Vocabulary, topology: Topology) -> np.ndarray:
    """The kind of each channel stem (rows of :func:`channel_parts`)."""
    tech, peer = parts[:, PARTS.index("tech")], parts[:, PARTS.index("peer")]
    kind = np.where(tech == vocab.code("Local"), LOCAL,
                    np.where(topology.trunk_mask(tech, peer, vocab), TRUNK, PHONE))
    return np.where(peer == EMPTY, NONE, kind).astype(np.int8)


def _call_keys(cdr: pd.DataFrame, calldate: pd.Series, uniqueid: pa.Array,
               linkedid: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The linkedid; for rows without one, the smallest uniqueid reachable through shared channels.

    Rows lacking linkedid (old schemas) are joined when they share a channel name (the caller's
    channel is Party A of every row it owns; a transferee's channel appears as dstchannel of one row
    and Party A of another) or the two halves of one Local channel, within one day.
    """
    lost = np.asarray(pc.equal(linkedid, ""), dtype=bool)
    if not lost.any():
        return linkedid
    keys = np.asarray(_joined(linkedid).to_numpy(zero_copy_only=False), dtype=object)

    def lost_text(texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
        return _joined(texts).filter(pa.array(lost)).to_numpy(zero_copy_only=False)

    sub = pd.DataFrame({"calldate": calldate[lost].to_numpy(), "channel": lost_text(_text(cdr, "channel")),
                        "dstchannel": lost_text(_text(cdr, "dstchannel")), "uniqueid": lost_text(uniqueid)})
    day = sub["calldate"].dt.floor(_CLOSURE_WINDOW).astype(str).to_numpy()
    chan_base = local_base(sub["channel"]).to_numpy(dtype=object)
    dest_base = local_base(sub["dstchannel"]).to_numpy(dtype=object)
    chan = chan_base + "|" + day
    dest = dest_base + "|" + day
    has_dest = dest_base != ""
    uid = sub["uniqueid"].to_numpy(dtype=object)
    # Connected components by min-label propagation on the bipartite graph rows <-> channel names.
    names, name_codes = np.unique(np.concatenate([chan, dest[has_dest]]), return_inverse=True)
    row_of_edge = np.concatenate([np.arange(len(sub)), np.flatnonzero(has_dest)])
    label = pd.factorize(uid, sort=True)[0].astype(np.int64)
    ranks = np.unique(uid)  # label i <-> ranks[i], the sorted uniqueids
    while True:
        name_label = np.full(len(names), np.iinfo(np.int64).max)
        np.minimum.at(name_label, name_codes, label[row_of_edge])
        new = label.copy()
        np.minimum.at(new, row_of_edge, name_label[name_codes])
        if np.array_equal(new, label):
            break
        label = new
    keys[lost] = ranks[label]
    return pa.array(keys, type=pa.large_string())
