"""When did a person really pick up?  Correcting the answer time of legs that early ``Answer()`` hid.

A caller answered by the IVR (or queue) is "up" before anyone talks to them; every row created for
that caller afterwards carries an answer time from its creation, so its billsec includes ringing
(docs/pbx-data.md §2.1 "Answer caveat", §8).  Two independent witnesses give the true moment:

* **ring-group siblings** (CDR alone): the phones that lost the race stop ringing the instant the
  winner answers, so the latest end of the NO ANSWER rows started with the winner's row is its
  answer time;
* **CEL** (when present): the caller's channel enters the bridge with the person at that moment
  (``BRIDGE_ENTER``, not into a holding bridge).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.legs import PHONE, TRUNK, epoch_seconds
from atsnb.calls.runs import Legs, Runs
from atsnb.vectors import arrow_column, equals, is_in


def refine_answers(legs: Legs, runs: Runs, cel: pd.DataFrame | None, tz: str) -> None:
    """Move ``legs["t_answer"]`` later where a witness shows the person answered later (in place)."""
    ta = legs["t_answer"].copy()
    candidate = _from_siblings(legs, runs)
    if cel is not None and not cel.empty:
        candidate = np.fmax(candidate, _from_bridges(legs, cel, tz))
    t1 = legs["t_end"]
    # Whole-second timestamps: a witness within a second of the recorded answer is the same moment.
    better = ~np.isnan(candidate) & ~np.isnan(ta) & (candidate > ta + 1.0) & (candidate <= t1)
    if better.any():
        ta[better] = candidate[better]
        legs["t_answer"] = ta


def _early(legs: Legs) -> np.ndarray:
    """Answered legs whose Party A may have been up before the far side answered: the caller's
    channel to a phone (IVR, queue), or a phone originated by the PBX to a trunk (a website callback
    rings the employee first, then the client)."""
    a_kind, b_kind = legs["a_kind"], legs["b_kind"]
    pair = ((a_kind == TRUNK) & (b_kind == PHONE)) | ((a_kind == PHONE) & (b_kind == TRUNK))
    return legs["answered"] & pair & ~np.isnan(legs["t_answer"])


def _from_siblings(legs: Legs, runs: Runs) -> np.ndarray:
    out = np.full(len(legs), np.nan)
    early = _early(legs)
    if not early.any():
        return out
    lost = (legs["disposition"] == legs.vocab.code("NO ANSWER")) & (legs["b_kind"] == PHONE)
    if not lost.any():
        return out
    # Siblings start together in one call: legs of the same call and start time are neighbours in
    # call order, so only moments holding both an early and a lost leg need their channels compared.
    # The moments are found among the early and lost legs alone (still neighbours in call order).
    t0 = legs["t_start"]
    order = runs.order
    either = order[(early | lost)[order]]
    cidx, start = runs.call_index[either], t0[either]
    moment = np.cumsum(np.r_[True, (cidx[1:] != cidx[:-1]) | (start[1:] != start[:-1])]) - 1
    both = (np.bincount(moment, weights=early[either]) > 0) & (np.bincount(moment, weights=lost[either]) > 0)
    rows = np.sort(either[both[moment]])
    if not len(rows):
        return out
    # Siblings share the caller's channel: its uniqueid, coded here for these few legs.
    uid = pd.factorize(pd.Series(pd.array(legs.uniqueid.take(pa.array(rows)), dtype="str")))[0]
    sub = pd.DataFrame({"call_index": legs["call_index"][rows], "uid": uid, "t_start": t0[rows], "t_end": legs["t_end"][rows]})
    key = ["call_index", "uid", "t_start"]
    ends = sub[lost[rows]].groupby(key, sort=False)["t_end"].max().rename("sibling_end")
    hit = sub[early[rows]].join(ends, on=key)["sibling_end"].to_numpy()
    out[rows[early[rows]]] = hit
    return out


def _from_bridges(legs: Legs, cel: pd.DataFrame, tz: str) -> np.ndarray:
    """For each early leg, the first bridge entry of its Party A channel within [recorded answer, end]."""
    out = np.full(len(legs), np.nan)
    early = _early(legs)
    if not early.any():
        return out
    rows = np.flatnonzero(early)
    channels = legs.uniqueid.take(pa.array(rows))
    # Only bridge entries of these channels are read, and only their text is looked at.
    bridge = np.flatnonzero(equals(arrow_column(cel["eventtype"]), "BRIDGE_ENTER"))
    uid = arrow_column(cel["uniqueid"]).take(pa.array(bridge))
    mine = is_in(uid, channels)
    bridge, uid = bridge[mine], uid.filter(pa.array(mine))
    holding = np.asarray(pc.match_substring(arrow_column(cel["extra"]).take(pa.array(bridge)), "holding_bridge")
                         .fill_null(False), dtype=bool)
    if holding.all():
        return out
    bridge, uid = bridge[~holding], uid.filter(pa.array(~holding))
    when = epoch_seconds(cel["eventtime"].iloc[bridge], tz)
    bridges = pd.DataFrame({"uniqueid": pd.array(uid, dtype="str"), "at": when}).sort_values("at")
    want = pd.DataFrame({"row": rows, "uniqueid": pd.array(channels, dtype="str"),
                         "t_answer": legs["t_answer"][early]}).sort_values("t_answer")
    # Bridge times and CDR times are both whole seconds; a bridge a second before the recorded
    # answer is the same moment.
    want["probe"] = want["t_answer"] - 1.0
    got = pd.merge_asof(want, bridges, left_on="probe", right_on="at", by="uniqueid", direction="forward")
    out[got["row"].to_numpy()] = got["at"].to_numpy()
    return out
