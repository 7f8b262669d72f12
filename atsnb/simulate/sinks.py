"""The two places ``atsnb simulate`` writes to, behind one small interface used by ``--follow`` too.

A sink remembers where the PBX's auto-increment ids (CEL, queue_log, ratings, callbacks) stand, so
live calls appended later continue the numbering instead of overwriting earlier rows, and when the
simulated history ends, so a follower (or the next demo start) continues from there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Protocol

import pandas as pd

from atsnb.config import Settings, apply_pbx_url
from atsnb.errors import StoreError
from atsnb.i18n import t
from atsnb.simulate.engine import Simulation
from atsnb.simulate.recordings import SIMULATION_DIR
from atsnb.simulate.targets import PBX_TABLES, _connect, write_mysql
from atsnb.store import Store

ID_TABLES = ("cel", "queue_log", "ratings", "callbacks")
STATE_IDS = "simulation_next_ids"
STATE_END = "simulation_end"


class Sink(Protocol):
    calls_written: int
    progress: bool

    def write(self, sim: Simulation) -> None: ...
    def describe(self) -> str: ...
    def history_end(self) -> pd.Timestamp | None: ...


def _advance(sim: Simulation, next_ids: dict[str, int]) -> dict[str, int]:
    sim.shift_ids(next_ids)
    return {name: next_ids[name] + len(sim.tables[name]) for name in ID_TABLES}


class StoreSink:
    """The embedded store.  ``write(sim, progress, directories)`` puts a simulation in it — its rows
    through the sync path a real PBX's rows take, then what only a simulation has
    (:func:`atsnb.flow.store_simulation`: the simulator knows nothing of the sync)."""

    def __init__(self, store: Store, write: Callable[[Simulation, bool, bool], object], *, progress: bool = True):
        self.store = store
        self.write_simulation = write
        self.progress = progress
        self.calls_written = 0
        if not self.store.is_empty() and not self.is_simulated(self.store):
            raise StoreError(t("simulate.store_not_simulated", path=self.store.root))

    @staticmethod
    def is_simulated(store: Store) -> bool:
        return (store.root / SIMULATION_DIR).is_dir()

    def describe(self) -> str:
        return str(self.store.root)

    def history_end(self) -> pd.Timestamp | None:
        value = self.store.catalog.get_state(STATE_END)
        return pd.Timestamp(value) if value else None

    def write(self, sim: Simulation) -> None:
        raw = self.store.catalog.get_state(STATE_IDS)
        next_ids = json.loads(raw) if raw else dict.fromkeys(ID_TABLES, 1)
        first = raw is None
        following = _advance(sim, next_ids)
        self.write_simulation(sim, self.progress, first)
        self.store.catalog.set_state(STATE_IDS, json.dumps(following))
        self.store.catalog.set_state(STATE_END, sim.end.isoformat())
        self.calls_written += len(sim.truth)


class MySQLSink:
    """A MySQL/MariaDB database laid out like the PBX's (tables created if missing)."""

    def __init__(self, url: str, flavour: str, *, progress: bool = True):
        self.settings = Settings()
        apply_pbx_url(self.settings, url)
        self.flavour = flavour
        self.progress = progress
        self.end: pd.Timestamp | None = None
        self.calls_written = 0

    def describe(self) -> str:
        pbx = self.settings.pbx
        return f"{pbx.user}@{pbx.host}:{pbx.port}/{pbx.database}"

    def history_end(self) -> pd.Timestamp | None:
        return self.end

    def _next_ids(self) -> dict[str, int]:
        out = dict.fromkeys(ID_TABLES, 1)
        with _connect(self.settings, local_infile=False, create=True) as con, con.cursor() as cur:
            cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
            present = {row[0] for row in cur.fetchall()}
            for name in ID_TABLES:
                if PBX_TABLES[name] in present:
                    cur.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM `{PBX_TABLES[name]}`")
                    out[name] = int(cur.fetchone()[0])
        return out

    def write(self, sim: Simulation) -> None:
        _advance(sim, self._next_ids())
        write_mysql(sim, self.settings, self.flavour, progress=self.progress)
        self.end = sim.end
        self.calls_written += len(sim.truth)
