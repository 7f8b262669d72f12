"""What a store write that fails tells the user, and what it leaves behind: nothing half-written.

A month file is written to a temporary file and renamed over the old one
(:meth:`atsnb.store.PartitionedTable.write_month`), so a failed or killed write can only leave a
temporary file, never a damaged month.  A full disk, a quota or a file-size limit becomes one
:class:`~atsnb.errors.StoreError` sentence naming the file and the folder to free; temporary files
of writers that died (``kill -9``, a power cut) are swept by the next writer under the lock
(:func:`sweep_temporary`), so they do not keep the disk full.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from atsnb.errors import StoreError
from atsnb.i18n import t

TEMPORARY = ".tmp"  # suffix of a month file being written: ".<month>.parquet.<pid>.tmp"
NO_ROOM = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def write_failed(path: Path, exc: OSError) -> StoreError:
    """The error for a month file that could not be written: a full disk said plainly."""
    if exc.errno in NO_ROOM:
        return StoreError(t("store.no_room", path=path, folder=path.parent.parent, reason=_reason(exc)))
    return StoreError(t("store.write_failed", path=path, reason=_reason(exc)))


CATALOG_FAILURES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN")  # the file system let SQLite down
ALMOST_FULL = 1024 * 1024  # free bytes below which a failed write is put down to a full disk


def is_catalog_failure(exc: sqlite3.Error) -> bool:
    """Whether SQLite failed because of the file system (full, unwritable), not because of a query."""
    return getattr(exc, "sqlite_errorname", "").startswith(CATALOG_FAILURES)


def catalog_failed(path: Path, exc: sqlite3.Error) -> StoreError:
    """The error for a catalog that could not be opened or written.  SQLite says a full disk as
    SQLITE_FULL, but as a mere I/O error when it cannot grow its shared-memory file: then the free
    space of the disk decides."""
    full = getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or _free(path.parent) < ALMOST_FULL
    return StoreError(t("store.no_room" if full else "store.write_failed", path=path, folder=path.parent,
                        reason=str(exc)))


def _free(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return ALMOST_FULL


def _reason(exc: OSError) -> str:
    """The system's own words for the error ("No space left on device"), not the library's."""
    return os.strerror(exc.errno) if exc.errno else str(exc)


def sweep_temporary(root: Path) -> int:
    """Remove the temporary month files left by writers that died; the caller holds the write
    lock, so no live writer owns one.  Returns how many were removed."""
    removed = 0
    for tmp in root.glob(f"*/.*{TEMPORARY}"):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed
