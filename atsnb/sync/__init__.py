"""Copy PBX rows into the store, normalised to the canonical columns, idempotently.

* :func:`ingest` — the one path every row takes into the store (normalise, repair, key, upsert);
* :func:`sync_pbx` — one incremental run against the PBX database (``atsnb sync``);
* :func:`sync_frames` — the same for frames already in memory (the simulator).
"""

from atsnb.sync.frames import sync_frames
from atsnb.sync.normalise import IngestReport, ingest, normalise
from atsnb.sync.pbx import sync_pbx
from atsnb.sync.writer import SyncReport

__all__ = ["IngestReport", "SyncReport", "ingest", "normalise", "sync_frames", "sync_pbx"]
