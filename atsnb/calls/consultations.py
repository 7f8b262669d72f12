"""Attended transfers a phone made itself (SIP REFER): the consultation on a linkedid of its own.

A phone that transfers with its own second line puts the client on hold and calls the colleague on a
new channel — a new call to Asterisk, with a new linkedid; the REFER then joins the client and the
colleague.  CDR alone cannot tell that consultation from an ordinary internal call (docs/pbx-data.md
§2.1).  CEL can: the ``ATTENDEDTRANSFER`` event, written under the client's call, names the
transferer's second channel in its extra (``channel2_uniqueid``); that channel started the
consultation, so its uniqueid is the consultation's linkedid, and those rows join the client's call
(:func:`consultation_links`, applied to the legs' linkedids in :func:`atsnb.calls.legs.prepare_legs`).  Without CEL the consultation stays a call of its
own; :func:`unlinked_consultations` names such calls, so the data-quality audit can say so.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa

from atsnb.calls.classify import INTERNAL
from atsnb.calls.legs import LOCAL, PHONE, TRUNK
from atsnb.calls.runs import Legs
from atsnb.vectors import arrow_column, equals

# A consultation ends when the transfer completes, which is when the client's leg to the colleague
# begins; whole-second CDR times put the two up to two seconds apart.
_SAME_MOMENT_S = 2.0


def consultation_links(cel: pd.DataFrame | None) -> dict[str, str]:
    """``{consultation's linkedid: the transferred call's linkedid}`` from CEL's ATTENDEDTRANSFER events.

    The consultation's channel was the first of its own call, so its uniqueid is that call's
    linkedid; a transfer whose consultation already shared the client's call links nothing new.
    """
    if cel is None or cel.empty or "extra" not in cel.columns:
        return {}
    events = np.flatnonzero(equals(arrow_column(cel["eventtype"]), "ATTENDEDTRANSFER"))
    links = {channel2: str(linked)
             for channel2, linked in zip(map(_second_channel, cel["extra"].iloc[events].astype(str)),
                                         cel["linkedid"].iloc[events], strict=True)
             if channel2 and channel2 != str(linked)}
    for old in links:  # a consultation of a consultation joins the first call
        while links[old] in links and links[links[old]] != old:
            links[old] = links[links[old]]
    return links


def _second_channel(extra: str) -> str:
    """The transferer's second channel (the consultation's) named in an ATTENDEDTRANSFER extra."""
    try:
        found = json.loads(extra)
    except ValueError:
        return ""
    return str(found.get("channel2_uniqueid") or "") if isinstance(found, dict) else ""


def unlinked_consultations(calls: pd.DataFrame, legs: Legs) -> list[str]:
    """The ids of the internal calls that look like a REFER consultation nothing linked to its
    client's call.

    An internal call from a phone to a colleague that ends as an external call's client is put
    through to that colleague (within a couple of seconds), from a phone that talked in that call.
    Phone and whole second are folded into one integer per leg, so the few candidates are found by
    hash lookups rather than by pairing every consultation with every transfer to the same phone.
    """
    a_kind, b_kind = legs["a_kind"], legs["b_kind"]
    call = legs["call_index"]
    direction = legs["direction_code"]
    to_phone = np.flatnonzero(b_kind == PHONE)
    internal = to_phone[(direction[to_phone] == INTERNAL) & (a_kind[to_phone] == PHONE)]
    if not len(internal):
        return []
    answer = calls["answer"].to_numpy()
    arrivals = to_phone[(direction[to_phone] != INTERNAL)
                        & ((a_kind[to_phone] == TRUNK) | (a_kind[to_phone] == LOCAL))]
    arrivals = arrivals[legs["t_start"][arrivals] >= answer[call[arrivals]] + 0.5]
    if not len(arrivals):
        return []

    def moment(rows: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        return (legs["b_peer"][rows].astype(np.int64) << 34) + np.floor(seconds).astype(np.int64)

    put_through = moment(arrivals, legs["t_start"][arrivals])
    ended = legs["t_end"][internal]
    near = np.zeros(len(internal), dtype=bool)
    for shift in range(-int(_SAME_MOMENT_S), int(_SAME_MOMENT_S) + 1):
        near |= np.isin(moment(internal, ended + shift), put_through)
    internal = internal[near]
    if not len(internal):
        return []
    consulted = pd.DataFrame({"consultation": call[internal], "phone": legs["b_peer"][internal],
                              "by": legs["a_peer"][internal], "ended": legs["t_end"][internal]})
    transfers = pd.DataFrame({"call": call[arrivals], "phone": legs["b_peer"][arrivals],
                              "at": legs["t_start"][arrivals]})
    pairs = consulted.merge(transfers[transfers["phone"].isin(consulted["phone"])], on="phone")
    pairs = pairs[np.abs(pairs["at"] - pairs["ended"]) <= _SAME_MOMENT_S]
    talked = legs["person"]
    talkers = pd.DataFrame({"call": call[talked], "by": legs["b_peer"][talked]}).drop_duplicates()
    found = np.unique(pairs.merge(talkers, on=["call", "by"])["consultation"].to_numpy())
    return legs.call_ids.take(pa.array(found)).to_pylist()
