"""CDR rows turned into *legs*: deduplicated, timed in real seconds, each side of the row classified
(phone, trunk, Local half or nothing), and grouped into calls.

Everything here is column arithmetic over the whole frame — no Python loop per row or per call —
because a first import hands a million rows at once (docs/performance.md, Reconstruction).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.calls.channels import local_base, parse_channels
from atsnb.calls.groups import Legs, Runs
from atsnb.calls.text import as_objects, coded_objects, text_mask
from atsnb.calls.topology import Topology

# Kinds of one side of a row.
NONE, PHONE, TRUNK, LOCAL = 0, 1, 2, 3

TEXT_COLUMNS = ["src", "dst", "dcontext", "lastapp", "lastdata", "disposition", "uniqueid", "linkedid", "did",
                "recordingfile", "cnum", "outbound_cnum"]
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


def prepare_legs(cdr: pd.DataFrame, topology: Topology, tz: str) -> tuple[Legs, Runs]:
    """One leg per distinct CDR row with the columns reconstruction reads, and the calls as runs.

    Times are float seconds since the epoch (``t0`` start, ``ta`` answer or NaN, ``t1`` end), so the
    later arithmetic is plain numpy.
    """
    df = _text_frame(cdr)
    df = _dedupe(df)
    born = localize(df["calldate"], tz, df["uniqueid"])
    t0 = born.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9
    duration = pd.to_numeric(df["duration"], errors="coerce").fillna(0).clip(lower=0).to_numpy(float)
    billsec = pd.to_numeric(df["billsec"], errors="coerce").fillna(0).clip(lower=0).to_numpy(float)
    billsec = np.minimum(billsec, duration)
    t1 = t0 + duration
    ta = np.where(billsec > 0, t1 - billsec, np.nan)
    if "answer" in df.columns and df["answer"].notna().any():
        ans = localize(df["answer"], tz, df["uniqueid"])
        known = ans.notna().to_numpy()
        ta = np.where(known & (billsec > 0), ans.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 1e9, ta)
    a = parse_channels(df["channel"])
    b = parse_channels(df["dstchannel"])
    trunks = set(topology.trunks)
    columns = {
        "t0": t0, "ta": ta, "t1": t1, "billsec": billsec,
        "seq": pd.to_numeric(df["sequence"], errors="coerce").fillna(-1).to_numpy(np.int64),
        "a_kind": _kinds(a, trunks), "a_peer": a["peer"].to_numpy(), "a_ctx": a["context"].to_numpy(),
        "b_kind": _kinds(b, trunks), "b_peer": b["peer"].to_numpy(), "b_num": b["number"].to_numpy(),
        "answered": text_mask(df["disposition"], lambda d: d.upper() == "ANSWERED"),
    }
    # The uniqueid's code ("uid") stands in for it wherever legs are grouped by channel (never
    # missing: _text_frame turned missing text into '').
    columns["uid"], columns["uniqueid"] = coded_objects(df["uniqueid"])
    for col in TEXT_COLUMNS:
        if col != "uniqueid":
            columns[col] = as_objects(df[col])
    columns["call_id"] = _call_keys(df, columns["linkedid"])
    # Factorising the Arrow column is several times faster than the object array it equals.
    keys = df["linkedid"] if columns["call_id"] is columns["linkedid"] else columns["call_id"]
    cidx, _ = pd.factorize(keys, sort=True)
    columns["cidx"] = cidx.astype(np.int64)
    runs = Runs(columns["cidx"], np.lexsort((columns["seq"], t0, cidx)))
    legs = Legs(columns)
    own = (columns["uniqueid"] == columns["linkedid"]) & (columns["linkedid"] != "")
    first = np.zeros(len(cidx), bool)
    first[runs.order[runs.starts]] = True
    legs["orig"] = np.where(runs.broadcast(runs.any(own)), own, first)
    return legs, runs


def _text_frame(cdr: pd.DataFrame) -> pd.DataFrame:
    """The CDR columns reconstruction needs, text ones as plain strings ('' for missing)."""
    out = pd.DataFrame(index=cdr.index)
    if "calldate" in cdr.columns:
        out["calldate"] = pd.to_datetime(cdr["calldate"])
    else:  # Asterisk's own schema: start instead of calldate
        out["calldate"] = pd.to_datetime(cdr["start"])
    for col in [*TEXT_COLUMNS, "channel", "dstchannel"]:
        out[col] = cdr[col].fillna("").astype(str) if col in cdr.columns else ""
    for col in ("duration", "billsec"):
        out[col] = cdr[col] if col in cdr.columns else 0
    out["sequence"] = cdr["sequence"] if "sequence" in cdr.columns else -1
    if "answer" in cdr.columns:
        out["answer"] = pd.to_datetime(cdr["answer"])
    return out


def _dedupe(df: pd.DataFrame) -> pd.DataFrame:
    """Drop rows written twice (two CDR back ends on one table): same row, same everything.

    The numeric part of the key is hashed first: only rows sharing it can be duplicates, and they
    are few, so the text columns are hashed for those rows alone.
    """
    numeric = [c for c in _DUPLICATE_KEY if c not in _DUPLICATE_TEXT]
    cheap = pd.util.hash_pandas_object(df[numeric].astype({"sequence": "float64"}), index=False)
    suspects = cheap.duplicated(keep=False).to_numpy()
    if not suspects.any():
        return df
    sub = df[_DUPLICATE_KEY][suspects]
    h = pd.util.hash_pandas_object(sub.astype({"sequence": "float64"}), index=False)
    twice = np.zeros(len(df), dtype=bool)
    twice[np.flatnonzero(suspects)[h.duplicated().to_numpy()]] = True
    return df[~twice] if twice.any() else df


def _kinds(side: pd.DataFrame, trunks: set[str]) -> np.ndarray:
    tech = side["tech"].to_numpy()
    peer = side["peer"].to_numpy()
    kind = np.where(tech == "Local", LOCAL, np.where(text_mask(peer, trunks.__contains__), TRUNK, PHONE))
    return np.where(peer == "", NONE, kind).astype(np.int8)


def _call_keys(df: pd.DataFrame, linkedid: np.ndarray) -> np.ndarray:
    """The linkedid; for rows without one, the smallest uniqueid reachable through shared channels.

    Rows lacking linkedid (old schemas) are joined when they share a channel name (the caller's
    channel is Party A of every row it owns; a transferee's channel appears as dstchannel of one row
    and Party A of another) or the two halves of one Local channel, within one day.
    """
    lost = linkedid == ""
    if not lost.any():
        return linkedid
    keys = linkedid.copy()
    sub = df[lost]
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
    return keys
