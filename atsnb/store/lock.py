"""One writer at a time: an exclusive ``flock`` on ``<store>/.write.lock``.

The kernel drops the lock when the holder dies (even by ``kill -9``), so a crashed sync never
leaves the store locked.  Readers take no lock: month files are replaced atomically.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from atsnb.errors import StoreError


@contextmanager
def write_lock(root: Path, timeout_s: float = 30.0) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    path = root / ".write.lock"
    fh = open(path, "a+")  # noqa: SIM115 - held for the whole with-block
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    raise StoreError(
                        f"The store {root} is being written by {holder}; try again when it finishes."
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"process {os.getpid()}")
        fh.flush()
        yield
    finally:
        fh.close()
