"""When did a person really pick up?  Correcting the answer time of legs that early ``Answer()`` hid.

A caller answered by the IVR (or queue) is "up" before anyone talks to them; every row created for
that caller afterwards carries an answer time from its creation, so its billsec includes ringing
(research §2.1 "Answer caveat", §8).  Two independent witnesses give the true moment:

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

from atsnb.calls.groups import Legs
from atsnb.calls.legs import PHONE, TRUNK, epoch_seconds
from atsnb.calls.text import is_in


def refine_answers(legs: Legs, cel: pd.DataFrame | None, tz: str) -> None:
    """Move ``legs["ta"]`` later where a witness shows the person answered later (in place)."""
    ta = legs["ta"].copy()
    candidate = _from_siblings(legs)
    if cel is not None and not cel.empty:
        candidate = np.fmax(candidate, _from_bridges(legs, cel, tz))
    t1 = legs["t1"]
    # Whole-second timestamps: a witness within a second of the recorded answer is the same moment.
    better = ~np.isnan(candidate) & ~np.isnan(ta) & (candidate > ta + 1.0) & (candidate <= t1)
    if better.any():
        ta[better] = candidate[better]
        legs["ta"] = ta


def _early(legs: Legs) -> np.ndarray:
    """Answered legs whose Party A may have been up before the far side answered: the caller's
    channel to a phone (IVR, queue), or a phone originated by the PBX to a trunk (a website callback
    rings the employee first, then the client)."""
    a_kind, b_kind = legs["a_kind"], legs["b_kind"]
    pair = ((a_kind == TRUNK) & (b_kind == PHONE)) | ((a_kind == PHONE) & (b_kind == TRUNK))
    return legs["answered"] & pair & ~np.isnan(legs["ta"])


def _from_siblings(legs: Legs) -> np.ndarray:
    out = np.full(len(legs), np.nan)
    early = _early(legs)
    if not early.any():
        return out
    lost = (legs["disposition"] == legs.vocab.code("NO ANSWER")) & (legs["b_kind"] == PHONE)
    if not lost.any():
        return out
    # Siblings share the caller's channel: its uniqueid, coded here for the few legs that matter.
    either = np.flatnonzero(early | lost)
    uid = np.full(len(legs), -1, dtype=np.int64)
    uid[either] = pd.factorize(pd.Series(pd.array(legs.uniqueid.take(pa.array(either)), dtype="str")))[0]
    legs_by = pd.DataFrame({"cidx": legs["cidx"], "uid": uid, "t0": legs["t0"], "t1": legs["t1"]})
    key = ["cidx", "uid", "t0"]
    ends = legs_by[lost].groupby(key, sort=False)["t1"].max().rename("sibling_end")
    hit = legs_by.loc[early, key].join(ends, on=key)["sibling_end"].to_numpy()
    out[np.flatnonzero(early)] = hit
    return out


def _from_bridges(legs: Legs, cel: pd.DataFrame, tz: str) -> np.ndarray:
    """For each early leg, the first bridge entry of its Party A channel within [recorded answer, end]."""
    out = np.full(len(legs), np.nan)
    early = _early(legs)
    if not early.any():
        return out
    rows = np.flatnonzero(early)
    channels = legs.uniqueid.take(pa.array(rows))
    enter = cel[(cel["eventtype"].astype(str) == "BRIDGE_ENTER").to_numpy() & is_in(cel["uniqueid"], channels)]
    enter = enter[~enter["extra"].fillna("").astype(str).str.contains("holding_bridge", regex=False)]
    if enter.empty:
        return out
    when = epoch_seconds(enter["eventtime"], tz)
    bridges = pd.DataFrame({"uniqueid": enter["uniqueid"].astype(str).to_numpy(), "at": when}).sort_values("at")
    want = pd.DataFrame({"row": rows, "uniqueid": pd.array(channels, dtype="str"),
                         "ta": legs["ta"][early]}).sort_values("ta")
    # Bridge times and CDR times are both whole seconds; a bridge a second before the recorded
    # answer is the same moment.
    want["probe"] = want["ta"] - 1.0
    got = pd.merge_asof(want, bridges, left_on="probe", right_on="at", by="uniqueid", direction="forward")
    out[got["row"].to_numpy()] = got["at"].to_numpy()
    return out
