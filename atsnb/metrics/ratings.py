"""Quality ratings (docs/glossary.md §14.5): the marks clients give an operator after a call.

The PBX's rating module writes one row per rating — when (``rated_at``), the operator
(``extension``), the client's number, the mark (1–5) and the call it belongs to (``linkedid``,
``uniqueid``).  A rating counts for the operator its row names, matched to a call or not: a rating
the module could not tie to a call (no linkedid, or one no stored call has) is still a client's
mark of that operator, so it is counted everywhere and flagged ``matched = False``, never dropped.

A rating is **low** when it is at or below ``thresholds.low_rating`` (default 3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.metrics.counts import bucket_codes, bucket_labels, dense, full_range, share_pct
from atsnb.vectors import text_positions

SCORES = (1, 2, 3, 4, 5)
RATING_COLUMNS = ["rated_at", "linkedid", "uniqueid", "extension", "number", "rating"]


def match_ratings(ratings: pd.DataFrame, call_ids: pd.Series) -> np.ndarray:
    """Per rating the position of its call in ``call_ids`` (-1: no call): by ``linkedid``, else by
    ``uniqueid`` (a module that keeps only the channel's id; the first leg's id is the call's)."""
    linked = text_positions(ratings["linkedid"].fillna("").astype(str), call_ids)
    if (linked >= 0).all() or "uniqueid" not in ratings:
        return linked
    unique = text_positions(ratings["uniqueid"].fillna("").astype(str), call_ids)
    return np.where(linked >= 0, linked, unique)


def rating_distribution(ratings: pd.DataFrame) -> pd.DataFrame:
    """Ratings per mark, every mark 1–5 listed: ``rating``, ``ratings``, ``share_pct`` (of all)."""
    counts = ratings["rating"].value_counts().reindex(list(SCORES), fill_value=0)
    return pd.DataFrame({"rating": list(SCORES), "ratings": counts.to_numpy(dtype=np.int64),
                         "share_pct": share_pct(counts).to_numpy(dtype=float)})


def ratings_by(ratings: pd.DataFrame, holders: pd.Series, low: int, name: str = "employee",
               index: np.ndarray | None = None) -> pd.DataFrame:
    """Per holder: ``ratings``, ``total`` (the marks added up), ``mean`` = total / ratings, ``low``
    (marks ≤ ``low``), ``low_pct`` = 100 × low / ratings, and ``r1`` … ``r5`` (ratings per mark).
    ``holders`` names the holder of each entry; ``index`` the rating of each entry when a rating
    counts for several holders (a department and the ones above it), else one entry per rating."""
    marks = ratings["rating"].to_numpy(dtype=np.int64)
    marks = marks if index is None else marks[index]
    codes, names = pd.factorize(holders.astype(object), sort=True)
    n = len(names)
    count = np.bincount(codes, minlength=n)
    total = np.bincount(codes, weights=marks, minlength=n)
    out = pd.DataFrame({name: names, "ratings": count, "total": total.astype(np.int64)})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean"] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        lows = np.bincount(codes, weights=marks <= low, minlength=n).astype(np.int64)
        out["low"] = lows
        out["low_pct"] = np.where(count > 0, 100.0 * lows / np.maximum(count, 1), np.nan)
    for score in SCORES:
        out[f"r{score}"] = np.bincount(codes, weights=marks == score, minlength=n).astype(np.int64)
    return out


def ratings_over_time(ratings: pd.DataFrame, scale: str, start: pd.Timestamp, end: pd.Timestamp,
                      low: int) -> pd.DataFrame:
    """Per bucket of ``scale`` (hour of day, day, week, month) over ``[start, end)``: ``ratings``,
    ``mean`` (NaN for a bucket without ratings: no data, not a mark of 0), ``low``."""
    when = ratings["rated_at"]
    buckets, inverse, _ = dense(bucket_codes(when, scale))
    marks = ratings["rating"].to_numpy(dtype=np.int64)
    count = np.bincount(inverse, minlength=len(buckets))
    total = np.bincount(inverse, weights=marks, minlength=len(buckets))
    lows = np.bincount(inverse, weights=marks <= low, minlength=len(buckets)).astype(np.int64)
    labels = bucket_labels(buckets, scale, getattr(when.dt, "tz", None))
    frame = pd.DataFrame({"ratings": count, "total": total, "low": lows}, index=labels)
    frame = frame.reindex(full_range(scale, start, end), fill_value=0)
    frame["mean"] = frame["total"].where(frame["ratings"] > 0) / frame["ratings"].where(frame["ratings"] > 0)
    return frame.rename_axis("bucket").reset_index()[["bucket", "ratings", "mean", "low"]]
