"""The one-way flow run end to end: a source's rows copied by the sync, then the calls derived.

The layers below know nothing of each other's work: the sync copies rows and marks where calls
are out of date, the calls layer derives them from the mark, the simulator makes rows.  This
module wires them in the order data flows, and every command that brings data in goes through it.

* :func:`sync_pbx` — ``atsnb sync``: the PBX's new rows, then the calls they touch;
* :func:`sync_frames` — the same for rows already in memory;
* :func:`store_simulation` — a simulation into the embedded store, through the same path;
* :func:`simulation_sink` — where ``atsnb simulate`` and ``atsnb demo`` write (store or MySQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import pyarrow as pa

from atsnb.calls.derive import derive_pending
from atsnb.config import Settings
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.simulate.engine import Simulation
from atsnb.simulate.sinks import MySQLSink, Sink, StoreSink
from atsnb.simulate.targets import pbx_shape, write_extras
from atsnb.source.shape import Shape
from atsnb.store import Store
from atsnb.store.pending import calls_pending_since
from atsnb.sync import SyncReport, copy_frames, copy_from_pbx


@contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow's buffers from the C library's allocator while a sync runs, then the default again.

    A sync reads, merges and writes month after month, each of a different size.  Arrow's default
    allocator (mimalloc) keeps what it freed, and a year's first import ended near its peak
    (~470 MB); with the C library's, whose freed memory the derivation hands back before it starts
    (:func:`atsnb.calls.derive.derive_pending`), it peaks at ~390 MB and is no slower
    (docs/performance.md, "Sync").  This sets pyarrow's default pool — what conversions from and
    to pandas, compute functions and writes use.  Buffers remember their allocator, so switching
    back is safe while they live."""
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(before)


class DeriveStep:
    """The calls layer's derivation, as the step the sync runs under its write lock; it remembers
    the earliest time it re-derived calls from, so whoever is told of new calls knows where to look."""

    def __init__(self, store: Store, settings: Settings):
        self.store, self.settings = store, settings
        self.since: pd.Timestamp | None = None

    def __call__(self) -> int:
        since = calls_pending_since(self.store)
        if since is not None and (self.since is None or since < self.since):
            self.since = since
        return derive_pending(self.store, self.settings)

    def noted(self, report: SyncReport) -> SyncReport:
        report.calls_since = self.since
        return report


def sync_pbx(settings: Settings, *, store: Store | None = None, progress: bool = False) -> SyncReport:
    """One incremental sync of every PBX table into the store, then the calls re-derived."""
    store = store or Store.open(settings.store_path)
    step = DeriveStep(store, settings)
    with system_allocator():
        return step.noted(copy_from_pbx(settings, store, progress=progress, derive=step))


def sync_frames(store: Store, settings: Settings, frames: dict[str, pd.DataFrame], shape: Shape,
                progress: bool = True) -> SyncReport:
    """Rows already in memory (PBX column names of ``shape``) into the store, then the calls."""
    step = DeriveStep(store, settings)
    with system_allocator():
        return step.noted(copy_frames(store, settings, frames, shape, progress=progress, derive=step))


def store_simulation(sim: Simulation, store: Store, settings: Settings, *, progress: bool = True,
                     directories: bool = True) -> SyncReport:
    """A simulation into ``store`` the way a real PBX's rows arrive, plus what only a simulation
    has (directories, topology, ground truth, recordings)."""
    report = sync_frames(store, settings, sim.tables, pbx_shape(sim), progress=progress)
    write_extras(sim, store, directories=directories)
    return report


def store_sink(settings: Settings, *, progress: bool = True) -> StoreSink:
    """The simulator's sink for the settings' embedded store, its rows through the sync."""
    store = Store.open(settings.store_path)

    def write(sim: Simulation, show: bool, directories: bool) -> None:
        store_simulation(sim, store, settings, progress=show, directories=directories)

    return StoreSink(store, write, progress=progress)


def simulation_sink(target: str, settings: Settings, flavour: str, *, progress: bool = True) -> Sink:
    """``store`` → the settings' embedded store; ``mysql://…`` → that database."""
    if target == "store":
        return store_sink(settings, progress=progress)
    if target.startswith(("mysql://", "mariadb://")):
        return MySQLSink(target.replace("mariadb://", "mysql://", 1), flavour, progress=progress)
    raise AtsnbError(t("simulate.bad_target", target=target))
