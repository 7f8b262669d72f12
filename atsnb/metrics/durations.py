"""Wait and talk times (docs/glossary.md §5): means and the talk-time distribution.

- **mean talk** = Σ talk_s / number of answered calls (talk is summed over transfers per call);
- **mean wait** = Σ wait_s / number of incoming calls (wait runs to the answer, or to the end when
  nobody answered);
- **talk-time buckets**: answered calls counted by talk time in half-open ranges
  ``[0, 30 s), [30 s, 1 min), [1, 3 min), [3, 5 min), [5, 10 min), [10 min, ∞)``, with their share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.metrics.calls import answered, inbound
from atsnb.metrics.counts import share_pct

TALK_BUCKET_EDGES_S = (30, 60, 180, 300, 600)


def _mean(values: pd.Series) -> float:
    """The mean, or NaN for no values: "no data" is not a mean of 0 s (a report shows it as such)."""
    return float(values.mean()) if len(values) else float("nan")


def mean_talk_s(calls: pd.DataFrame) -> float:
    """Mean talk time of answered calls, seconds (NaN when none)."""
    return _mean(calls.loc[answered(calls), "talk_s"])


def mean_wait_s(calls: pd.DataFrame) -> float:
    """Mean wait of incoming calls, answered or not, seconds (NaN when none)."""
    return _mean(calls.loc[inbound(calls), "wait_s"])


def talk_buckets(calls: pd.DataFrame, edges_s: tuple[int, ...] = TALK_BUCKET_EDGES_S) -> pd.DataFrame:
    """Answered calls per talk-time bucket: columns ``from_s``, ``to_s`` (NaN for the last, open one),
    ``calls``, ``share_pct``."""
    talk = calls["talk_s"].to_numpy(dtype=float)[answered(calls).to_numpy()]
    # calls below each edge, counted by comparing (a binary search per call is ~4x slower); a NaN
    # talk time is below no edge, so it lands in the last bucket
    below = [np.count_nonzero(talk < edge) for edge in edges_s]
    counts = np.diff([0, *below, len(talk)])
    out = pd.DataFrame({
        "from_s": (0, *edges_s),
        "to_s": (*map(float, edges_s), np.nan),
        "calls": counts,
    })
    out["share_pct"] = share_pct(out["calls"])
    return out
