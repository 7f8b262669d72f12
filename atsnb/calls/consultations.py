"""Attended transfers a phone made itself (SIP REFER): the consultation on a linkedid of its own.

A phone that transfers with its own second line puts the client on hold and calls the colleague on a
new channel — a new call to Asterisk, with a new linkedid; the REFER then joins the client and the
colleague.  CDR alone cannot tell that consultation from an ordinary internal call (docs/pbx-data.md
§2.1).  CEL can: the ``ATTENDEDTRANSFER`` event, written under the client's call, names the
transferer's second channel in its extra (``channel2_uniqueid``), so that channel's linkedid is the
consultation's, and its rows join the client's call.  Without CEL the consultation stays a call of its
own; :func:`unlinked_consultations` counts such calls, so the data-quality audit can say so.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from atsnb.calls.classify import INTERNAL
from atsnb.calls.legs import LOCAL, PHONE, TRUNK
from atsnb.calls.runs import Legs
from atsnb.vectors import arrow_column, equals, is_in

# A consultation ends when the transfer completes, which is when the client's leg to the colleague
# begins; whole-second CDR times put the two up to two seconds apart.
_SAME_MOMENT_S = 2.0


def link_consultations(cdr: pd.DataFrame, cel: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``cdr`` and ``cel`` with each REFER consultation's linkedid replaced by the transferred call's.

    The frames given are not changed; without such transfers they come back as they are.
    """
    if cel is None or cel.empty or "linkedid" not in cdr.columns or "extra" not in cel.columns:
        return cdr, cel
    events = np.flatnonzero(equals(arrow_column(cel["eventtype"]), "ATTENDEDTRANSFER"))
    if not len(events):
        return cdr, cel
    seconds = {_second_channel(str(extra)): str(linked)
               for extra, linked in zip(cel["extra"].iloc[events], cel["linkedid"].iloc[events], strict=True)}
    seconds.pop("", None)
    if not seconds:
        return cdr, cel
    own = _linkedids_of(seconds, cel, cdr)
    merged = {own[uid]: into for uid, into in seconds.items() if own.get(uid, into) != into}
    if not merged:
        return cdr, cel
    for old in merged:  # a consultation of a consultation joins the first call
        while merged[old] in merged and merged[merged[old]] != old:
            merged[old] = merged[merged[old]]
    return _relinked(cdr, merged), _relinked(cel, merged)


def _second_channel(extra: str) -> str:
    """The transferer's second channel (the consultation's) named in an ATTENDEDTRANSFER extra."""
    try:
        found = json.loads(extra)
    except ValueError:
        return ""
    return str(found.get("channel2_uniqueid") or "") if isinstance(found, dict) else ""


def _linkedids_of(uniqueids: dict[str, str], *frames: pd.DataFrame) -> dict[str, str]:
    """The linkedid each of ``uniqueids`` has in CEL or CDR (the first frame that knows it wins)."""
    wanted = pa.array(sorted(uniqueids))
    out: dict[str, str] = {}
    for frame in frames:
        hit = np.flatnonzero(is_in(arrow_column(frame["uniqueid"]), wanted))
        for uid, linked in zip(frame["uniqueid"].iloc[hit], frame["linkedid"].iloc[hit], strict=True):
            out.setdefault(str(uid), str(linked))
    return out


def _relinked(frame: pd.DataFrame, merged: dict[str, str]) -> pd.DataFrame:
    hit = np.flatnonzero(is_in(arrow_column(frame["linkedid"]), pa.array(sorted(merged))))
    if not len(hit):
        return frame
    out = frame.copy(deep=False)
    values = out["linkedid"].astype(object).to_numpy(copy=True)
    values[hit] = [merged[str(v)] for v in values[hit]]
    out["linkedid"] = values
    return out


def unlinked_consultations(calls: pd.DataFrame, legs: Legs) -> int:
    """How many internal calls look like a REFER consultation nothing linked to its client's call.

    An internal call from a phone to a colleague that ends as an external call's client is put
    through to that colleague (within a couple of seconds), from a phone that talked in that call.
    """
    a_kind, b_kind = legs["a_kind"], legs["b_kind"]
    call = legs["call_index"]
    direction = legs["direction_code"]
    internal = np.flatnonzero((direction == INTERNAL) & (a_kind == PHONE) & (b_kind == PHONE))
    if not len(internal):
        return 0
    answer = calls["answer"].to_numpy()
    arriving = ((direction != INTERNAL) & ((a_kind == TRUNK) | (a_kind == LOCAL)) & (b_kind == PHONE)
                & (legs["t_start"] >= answer[call] + 0.5))
    arrivals = np.flatnonzero(arriving)
    if not len(arrivals):
        return 0
    consulted = pd.DataFrame({"consultation": call[internal], "phone": legs["b_peer"][internal],
                              "by": legs["a_peer"][internal], "ended": legs["t_end"][internal]})
    put_through = pd.DataFrame({"call": call[arrivals], "phone": legs["b_peer"][arrivals],
                                "at": legs["t_start"][arrivals]})
    pairs = consulted.merge(put_through, on="phone")
    pairs = pairs[np.abs(pairs["at"] - pairs["ended"]) <= _SAME_MOMENT_S]
    talked = legs["person"]
    talkers = pd.DataFrame({"call": call[talked], "by": legs["b_peer"][talked]}).drop_duplicates()
    return int(pairs.merge(talkers, on=["call", "by"])["consultation"].nunique())
