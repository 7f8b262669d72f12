"""The newest recorded call of a store — what the settings page plays to show that recordings are
reachable from the dashboards (``recordings.folder`` or ``recordings.base_url``)."""

from __future__ import annotations

import pandas as pd

from atsnb.store import Store

COLUMNS = ["call_id", "start", "recording", "caller", "external_number", "answered_by"]


def newest_recorded_call(store: Store) -> pd.Series | None:
    """The latest call (by start) that has a recording, None when no call has one; reads month
    files from the newest back and stops at the first month with a recorded call."""
    table = store.table("calls")
    for month in sorted(table.months(), reverse=True):
        frame = table.read_month(month, columns=COLUMNS)
        if frame is None or frame.empty:
            continue
        recorded = frame[frame["recording"].fillna("").astype(str) != ""]
        if not recorded.empty:
            return recorded.loc[recorded["start"].idxmax()]
    return None
