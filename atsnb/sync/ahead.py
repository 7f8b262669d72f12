"""Reading the next rows while the last ones are written.

A sync run alternates two kinds of work: waiting for MariaDB to find, pack and send a window of
rows, then normalising and writing it.  Done in turn, the server idles while this process writes
and this process idles while the server works — about a second in ten of a first import
(docs/performance.md, "Sync").  :func:`read_ahead` runs the reads in a thread one or two units
ahead, so the two overlap; the socket waits and Parquet writes let go of the GIL.

The reads stay in order and in one thread, which alone uses the PBX connection; what the writer
does with them, and when the watermark moves, is unchanged.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def read_ahead(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """``items``, produced by a thread up to ``depth`` ahead of the consumer.  An error of the
    producer is raised here; a consumer that stops early stops the producer and waits for it (so
    no thread is left holding the connection or rows)."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.05)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            ready.put(exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="sync-read-ahead", daemon=True)
    worker.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # free a producer blocked on a full queue
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                continue
        worker.join()
