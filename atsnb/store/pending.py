"""The "calls pending" marker: where the sync leaves word that derived calls are out of date.

The sync copies raw rows and knows nothing of calls; the calls layer derives them and knows nothing
of the sync.  They meet here, in the store's state: before raw call rows are written, the sync marks
the earliest time they touch (:func:`mark_calls_pending`); whoever derives calls reads the mark,
works from it and clears it (:func:`calls_pending_since`, :func:`set_calls_pending`).  A run killed
in between leaves the mark, so the next one derives from it first.
"""

from __future__ import annotations

import pandas as pd

from atsnb.store import Store

PENDING = "calls:pending_since"


def mark_calls_pending(store: Store, since: pd.Timestamp) -> None:
    """Remember that calls from ``since`` (naive PBX-local) on must be re-derived; an earlier mark stays."""
    old = calls_pending_since(store)
    if old is not None and old <= since:
        return
    set_calls_pending(store, since)


def calls_pending_since(store: Store) -> pd.Timestamp | None:
    """The earliest time whose calls are out of date, or None when they are all derived."""
    value = store.catalog.get_state(PENDING) or ""
    return pd.Timestamp(value) if value else None


def set_calls_pending(store: Store, since: pd.Timestamp | None) -> None:
    """Move the mark to ``since`` (derivation got that far), or clear it with None."""
    store.catalog.set_state(PENDING, "" if since is None else since.isoformat(sep=" "))
