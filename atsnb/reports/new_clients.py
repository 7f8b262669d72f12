"""The New clients report: the calls that reached a red phone (new clients' calls, docs/glossary.md)
by time scale — per red phone by hour of day, day, week or month, and a chart of them answered and
unanswered over the same buckets.

A call counts once, for the first red phone its route reached (:mod:`atsnb.metrics.red_phones`).
"""

from __future__ import annotations

from typing import Unpack

import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.metrics.counts import bucket_codes, bucket_labels, dense, full_range
from atsnb.reports.elements import ElementColumn, element
from atsnb.reports.model import Element, Report
from atsnb.reports.pieces import SCALES, pivot_element, scale_label
from atsnb.reports.red_phone_calls import HIT_COLUMNS, red_hits, red_phone_labels
from atsnb.reports.scope import FilterError, Scope, ScopeKeywords, load_scope


def bucketed(scope: Scope, scale: str) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Every bucket of the period at ``scale`` and, per red-phone call, its bucket's position among
    them and whether it was answered."""
    hits = red_hits(scope)
    start = scope.calls["start"][hits.hit]
    every = full_range(scale, scope.start, scope.end)
    if not len(start):
        return every, np.empty(0, np.int64), np.empty(0, bool)
    uniques, inverse, _ = dense(bucket_codes(start, scale))
    labels = bucket_labels(uniques, scale, getattr(start.dt, "tz", None))
    position = pd.Index(every).get_indexer(labels)[inverse]
    answered = (scope.calls["status"] == "answered").to_numpy(dtype=bool)[hits.hit]
    return every, position, answered


def pivot_element_of(scope: Scope, scale: str) -> Element:
    """Red-phone calls per red phone (rows) and bucket (columns), with a total per red phone."""
    hits = red_hits(scope)
    every, position, _ = bucketed(scope, scale)
    codes, targets = pd.factorize(pd.Series(hits.target[hits.hit], dtype=object))
    width = len(every)
    keep = position >= 0  # calls outside the period's buckets: none, the scope holds only its calls
    table = np.bincount(codes[keep] * width + position[keep], minlength=len(targets) * width).reshape(len(targets), width)
    frame = pd.DataFrame(table, columns=list(every))
    frame.insert(0, "red_phone", red_phone_labels(scope, np.asarray(targets, dtype=object)))
    frame["calls"] = table.sum(axis=1)
    frame = frame.sort_values("red_phone", kind="stable", ignore_index=True)
    table = pivot_element("by_scale", "rep_new_clients_by_scale", "rep_col_red_phone", frame, "red_phone", scale)
    table.note = t("rep_new_clients_by_scale_note")  # a call counts once here, not once per person
    return table


def chart_element(scope: Scope, scale: str) -> Element:
    """Red-phone calls per bucket, answered and unanswered stacked (buckets still to come left out)."""
    every, position, answered = bucketed(scope, scale)
    width = len(every)
    took = np.bincount(position[answered], minlength=width)[:width]
    lost = np.bincount(position[~answered], minlength=width)[:width]
    frame = pd.DataFrame({"bucket": [scale_label(b, scale) for b in every], "answered": took,
                          "unanswered": lost, "calls": took + lost})
    if scale != "hour" and scope.now is not None:
        frame = frame[np.asarray([pd.Timestamp(b) <= scope.now for b in every], dtype=bool)].reset_index(drop=True)
    return element("dynamics", "rep_new_clients_dynamics", frame, [
        ElementColumn("bucket", "rep_col_bucket"),
        ElementColumn("answered", "answered", "calls"),
        ElementColumn("unanswered", "rep_col_red_unanswered", "calls"),
        ElementColumn("calls", "rep_col_calls", "calls"),
    ], kind="stacked_bar", x="bucket", y=["answered", "unanswered"], note="rep_new_clients_dynamics_note",
        scale=t(f"rep_scale_{scale}"))


def new_clients_report(scope: Scope, scale: str = "day") -> Report:
    return Report("new_clients", t("rep_new_clients"), scope.filters, [
        chart_element(scope, scale),
        pivot_element_of(scope, scale),
    ])


def new_clients(period: str = "last_30_days", *, scale: str = "day", **keywords: Unpack[ScopeKeywords]) -> Report:
    """The New clients report (docs/reports.md "New clients"); ``scale`` sets the buckets."""
    if scale not in SCALES:  # refused before a year of calls is read
        raise FilterError(t("rep_bad_scale", value=scale))
    return new_clients_report(load_scope(period, columns=HIT_COLUMNS, **keywords), scale)
