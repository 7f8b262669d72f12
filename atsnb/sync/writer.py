"""Writing normalised rows: month-buffered upserts, the calls-pending mark, the run report.

Why buffer: a big first import arrives in many small batches, and every upsert rewrites the
whole month file.  :class:`TableWriter` keeps batches until the stream moves to a later month
(or the buffer is large), so a month is written about once.  The caller advances its watermark
only after :meth:`TableWriter.flush`, so a killed run restarts from rows it has really stored.

Why a mark: the derived ``calls`` table must follow the raw rows.  Before raw call rows are
written, :func:`atsnb.store.pending.mark_calls_pending` records the earliest time they touch;
whoever derives the calls (not the sync: it only copies) works from there and clears it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.source.canonical import TIME_COLUMN
from atsnb.store import Store
from atsnb.store.merging import month_groups
from atsnb.store.pending import mark_calls_pending
from atsnb.sync.normalise import IngestReport

log = logging.getLogger(__name__)

FEEDS_CALLS = frozenset({"cdr", "cel", "queue_log"})  # tables the calls are derived from


@dataclass
class SyncReport:
    """One sync run: per-table ingest figures, calls re-derived (and the earliest time they were
    re-derived from, naive PBX-local, when the caller's step says), reconnections, wall time."""

    tables: dict[str, IngestReport] = field(default_factory=dict)
    calls: int = 0
    calls_since: pd.Timestamp | None = None
    retries: int = 0
    seconds: float = 0.0
    derive_seconds: float = 0.0
    cpu_seconds: float = 0.0
    derive_cpu_seconds: float = 0.0
    started: tuple[float, float] = field(default_factory=lambda: (time.monotonic(), time.process_time()),
                                         repr=False)

    def derive(self, step: Callable[[], int] | None) -> None:
        """Run the caller's derivation ``step`` (it returns the calls it updated), timed; the sync
        itself derives nothing."""
        if step is None:
            return
        wall, cpu = time.monotonic(), time.process_time()
        self.calls += step()
        self.derive_seconds += time.monotonic() - wall
        self.derive_cpu_seconds += time.process_time() - cpu

    def finish(self) -> SyncReport:
        self.seconds = time.monotonic() - self.started[0]
        self.cpu_seconds = time.process_time() - self.started[1]
        return self

    @property
    def rows(self) -> int:
        return sum(r.received for r in self.tables.values())

    def as_dict(self) -> dict:
        return {
            "tables": {k: {"received": r.received, "kept": r.kept, "added": r.added, "skipped": r.skipped,
                           "repaired": r.repaired, "first": _iso(r.first), "last": _iso(r.last),
                           "problems": r.problems, "notices": r.notices} for k, r in self.tables.items()},
            "calls": self.calls, "retries": self.retries, "seconds": round(self.seconds, 3),
            "derive_seconds": round(self.derive_seconds, 3), "cpu_seconds": round(self.cpu_seconds, 3),
            "derive_cpu_seconds": round(self.derive_cpu_seconds, 3),
        }


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None or pd.isna(ts) else ts.isoformat(sep=" ")


class TableWriter:
    """Buffers normalised rows of one store table and upserts them a month at a time."""

    def __init__(self, store: Store, kind: str, flush_rows: int):
        self.store, self.kind, self.flush_rows = store, kind, flush_rows
        self.table = store.table(kind)
        self.time_col = TIME_COLUMN[kind]
        self.parts: list[pd.DataFrame] = []
        self.rows = 0
        self.last_month = ""
        self.added = 0

    def add(self, df: pd.DataFrame) -> bool:
        """Buffer ``df``; first flushes the buffer if ``df`` starts a later month or the buffer is full.

        Returns True when a flush happened (the caller may then save its watermark).
        """
        flushed = False
        if df.empty:
            return flushed
        first_month = df[self.time_col].min().strftime("%Y-%m")
        if self.rows and (first_month > self.last_month or self.rows + len(df) > self.flush_rows):
            self.flush()
            flushed = True
        self.parts.append(df)
        self.rows += len(df)
        self.last_month = max(self.last_month, df[self.time_col].max().strftime("%Y-%m"))
        return flushed

    def new_rows(self, df: pd.DataFrame) -> pd.Series:
        """Which rows have a key the store does not hold yet.

        Raw PBX rows never change once written, so only new keys can change a call: re-reading the
        overlap window costs a read of the key column, not a re-derivation of the calls.
        """
        fresh = np.ones(len(df), bool)
        for month, rows in month_groups(df[self.time_col]):
            stored = self.table.read_month(month, columns=["_key"])
            if stored is not None and not stored.empty:
                # pyarrow's is_in hashes the stored keys once: ~40x faster than Series.isin on
                # Arrow strings, which matters for the small, frequent writes of --follow.
                known = pc.is_in(pa.array(df["_key"].iloc[rows]), value_set=pa.array(stored["_key"]))
                fresh[rows] = ~known.to_numpy(zero_copy_only=False)
        return pd.Series(fresh, index=df.index)

    def flush(self) -> int:
        if not self.parts:
            return 0
        df = pd.concat(self.parts, ignore_index=True) if len(self.parts) > 1 else self.parts[0]
        self.parts, self.rows, self.last_month = [], 0, ""
        if self.kind in FEEDS_CALLS:
            fresh = self.new_rows(df)
            if fresh.any():
                mark_calls_pending(self.store, df.loc[fresh, self.time_col].min())
        added = self.table.upsert(df)
        self.added += added
        return added
