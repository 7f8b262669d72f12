"""Copy PBX rows into the store, normalised to the canonical columns, idempotently.

* :func:`ingest` — the one path every row takes into the store (normalise, repair, key, upsert);
* :func:`copy_from_pbx` — one incremental run against the PBX database;
* :func:`copy_frames` — the same for frames already in memory (the simulator).

The sync only copies: it marks where calls are out of date (:mod:`atsnb.store.pending`) and runs
the derivation step its caller hands it.  ``atsnb sync`` is :func:`atsnb.flow.sync_pbx`, which
hands it the calls layer's.
"""

from atsnb.sync.frames import copy_frames
from atsnb.sync.normalise import IngestReport, ingest, normalise
from atsnb.sync.pbx import copy_from_pbx
from atsnb.sync.writer import SyncReport

__all__ = ["IngestReport", "SyncReport", "copy_frames", "copy_from_pbx", "ingest", "normalise"]
