"""The embedded local store: call records in month-partitioned Parquet, reference data in SQLite.

>>> store = Store.open("~/.local/share/atsnb/store")
>>> store.table("cdr").read(start, end)          # raw legs, partition-pruned
>>> store.catalog.read("employees")              # a directory as a DataFrame

Tables and their keys are declared in :data:`TABLES`; every writer goes through
``with store.writing(): store.table(name).upsert(df)`` so one process writes at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from atsnb.store.directories import DIRECTORIES, Catalog
from atsnb.store.failures import sweep_temporary
from atsnb.store.lock import write_lock
from atsnb.store.partitions import PartitionedTable

# name -> (time column used for month partitions, natural key).  Raw PBX tables carry ``_key``,
# computed by the sync from the PBX's natural key (see atsnb.sync), so duplicates collapse.
TABLES: dict[str, tuple[str, list[str]]] = {
    "cdr": ("calldate", ["_key"]),
    "cel": ("eventtime", ["_key"]),
    "queue_log": ("time", ["_key"]),
    "ratings": ("rated_at", ["_key"]),
    "callbacks": ("requested_at", ["_key"]),
    "calls": ("start", ["call_id"]),
    "steps": ("at", ["call_id", "seq"]),
}


class Store:
    def __init__(self, root: Path):
        self.root = root
        self.catalog = Catalog(root / "atsnb.sqlite")

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Store:
        return cls(Path(os.path.expanduser(os.fspath(path))))

    def table(self, name: str) -> PartitionedTable:
        time_col, key = TABLES[name]
        return PartitionedTable(self.root, name, time_col, key)

    @contextmanager
    def writing(self, timeout_s: float = 30.0) -> Iterator[None]:
        """Hold the write lock; first sweep the temporary files of a writer that died mid-write."""
        with write_lock(self.root, timeout_s):
            sweep_temporary(self.root)
            yield

    def revision(self, tables: Iterable[str] = ("calls", "steps")) -> tuple[tuple[str, int, int], ...]:
        """A value that changes whenever anything is written to ``tables`` or the catalog: the name,
        size and modification time of their files.  Writers replace whole files (month partitions
        by rename, SQLite in place), so a reader that kept a result can tell in a few ``stat``
        calls whether it is still the store's."""
        files = [self.catalog.path, self.catalog.path.with_name(self.catalog.path.name + "-wal")]
        for name in tables:
            folder = self.root / name
            files += sorted(folder.glob("*.parquet")) if folder.exists() else []
        out = []
        for f in files:
            try:
                st = f.stat()
            except FileNotFoundError:
                continue
            out.append((str(f), st.st_size, st.st_mtime_ns))
        return tuple(out)

    def is_empty(self) -> bool:
        return not any(self.table(name).months() for name in TABLES)


__all__ = ["DIRECTORIES", "TABLES", "Catalog", "PartitionedTable", "Store"]
