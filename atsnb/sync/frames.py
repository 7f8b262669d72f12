"""Copy from frames already in memory (the simulator's ``--to store``): the PBX sync minus the PBX."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from tqdm import tqdm

from atsnb.config import Settings
from atsnb.source.shape import LOGICAL_TABLES, Shape
from atsnb.store import Store
from atsnb.sync.normalise import IngestReport, normalise
from atsnb.sync.writer import SyncReport, TableWriter


def copy_frames(store: Store, settings: Settings, frames: dict[str, pd.DataFrame], shape: Shape,
                progress: bool = True, derive: Callable[[], int] | None = None) -> SyncReport:
    """Ingest ``frames`` (table → rows in the PBX column names of ``shape``), then the caller's
    ``derive`` step, as :func:`atsnb.sync.pbx.copy_from_pbx` does.

    Takes the store's write lock; rows go in bounded chunks of ``sync.batch_rows`` through the same
    normalisation as the PBX sync, so the store cannot tell where they came from.
    """
    report = SyncReport()
    batch = max(1, settings.sync.batch_rows)
    total = sum(len(frames[k]) for k in frames)
    with store.writing(), tqdm(total=total, unit="rows", disable=not progress, desc="sync") as bar:
        report.derive(derive)
        for kind in LOGICAL_TABLES:
            if kind not in frames:
                continue
            table_shape = shape[kind]
            frame = frames[kind]
            if table_shape.time_column in frame.columns and len(frame):
                frame = frame.sort_values(table_shape.time_column, kind="stable")
            writer = TableWriter(store, kind, flush_rows=batch * 8)
            summary = IngestReport(kind)
            for start in range(0, len(frame), batch):
                df, part = normalise(frame.iloc[start:start + batch], table_shape)
                summary.merge(part)
                writer.add(df)
                bar.update(part.received)
            writer.flush()
            summary.added = writer.added
            report.tables[kind] = summary
        report.derive(derive)
    return report.finish()
