"""Where a simulation goes: a MySQL/MariaDB database laid out like a PBX, or the embedded store.

* :func:`write_mysql` creates the PBX tables of the flavour (:func:`atsnb.source.schemas.pbx_ddl`; the
  queue_log with data1..data5 or one ``data`` column, as the company's style says) and bulk-loads the rows (``LOAD DATA LOCAL INFILE`` when the server allows it, multi-row INSERTs
  otherwise); the ground truth goes into ``atsnb_truth``, a table the product never reads.
* into the embedded store the rows take the sync's path (:func:`atsnb.flow.store_simulation`
  wires the two), so the store cannot tell them from a real PBX's; :func:`write_extras` then adds
  what only a simulation has: the directories, the topology, the truth
  (``<store>/simulation/truth.parquet``) and the recent recordings.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pymysql

from atsnb.config import Settings, apply_pbx_url
from atsnb.errors import PBXConnectionError
from atsnb.simulate.engine import Simulation
from atsnb.simulate.recordings import RECORDINGS_DIR, SIMULATION_DIR, render_all
from atsnb.source.mysql import Endpoint, explain
from atsnb.source.schemas import pbx_ddl
from atsnb.source.shape import Shape
from atsnb.store import Store

log = logging.getLogger(__name__)

PBX_TABLES = {"cdr": "cdr", "cel": "cel", "queue_log": "queue_log", "ratings": "quality_ratings",
              "callbacks": "website_callbacks"}
TRUTH_TABLE = "atsnb_truth"
TRUTH_DDL = (
    f"CREATE TABLE IF NOT EXISTS `{TRUTH_TABLE}` (call_id varchar(32) NOT NULL PRIMARY KEY, scenario varchar(40), "
    "direction varchar(10), status varchar(12), start datetime(6), answer datetime(6), end datetime(6), "
    "caller varchar(40), dialed varchar(40), external_number varchar(20), line varchar(20), "
    "answered_by varchar(20), employee varchar(20), rang varchar(400), last_target varchar(40), "
    "`group` varchar(20), wait_s double, talk_s double, transfers int, hangup_by varchar(10), "
    "recording varchar(255)) DEFAULT CHARSET=utf8mb4"
)
INSERT_BATCH = 5000
#: Recordings of the last days are written to disk at once; older ones are rendered on first request.
EAGER_RECORDING_DAYS = 2


def cel_extra_column(flavour: str) -> str:
    """The CEL JSON column's name for a flavour (Issabel-era databases call it ``eventextra``)."""
    return "eventextra" if flavour == "legacy" else "extra"


# -- MySQL ---------------------------------------------------------------------------------------
def _settings_for(target: str | Settings) -> Settings:
    if isinstance(target, Settings):
        return target
    settings = Settings()
    apply_pbx_url(settings, target)
    return settings


UNKNOWN_DATABASE = 1049


@contextmanager
def _connect(settings: Settings, *, local_infile: bool, create: bool = False) -> Iterator[pymysql.Connection]:
    """A writing connection; with ``create`` a missing database is created first."""
    pbx = settings.pbx
    where = Endpoint(pbx.host, pbx.port, pbx.user, pbx.database)

    def open_(database: str | None) -> pymysql.Connection:
        return pymysql.connect(host=pbx.host, port=pbx.port, user=pbx.user, password=pbx.password,
                               database=database, charset="utf8mb4", autocommit=False,
                               connect_timeout=pbx.connect_timeout_s, local_infile=local_infile)

    try:
        try:
            con = open_(pbx.database)
        except pymysql.err.OperationalError as exc:
            if not create or exc.args[0] != UNKNOWN_DATABASE:
                raise
            with open_(None) as bare, bare.cursor() as cur:
                cur.execute(f"CREATE DATABASE IF NOT EXISTS `{pbx.database.replace('`', '')}` CHARACTER SET utf8mb4")
            con = open_(pbx.database)
    except pymysql.err.MySQLError as exc:
        raise explain(exc, where) from None
    try:
        yield con
    finally:
        con.close()


def write_mysql(sim: Simulation, target: str | Settings, flavour: str | None = None, *,
                progress: bool = True) -> dict[str, int]:
    """Create the PBX tables in the target database and load the simulation; returns rows per table.

    ``target`` is ``mysql://user:password@host:port/database`` or settings whose ``[pbx]`` section
    names the database.  The flavour must be the one the simulation was made in (its column names).
    """
    flavour = flavour or sim.flavour
    if flavour != sim.flavour:
        raise ValueError(f"the simulation has {sim.flavour} columns; simulate again with flavour={flavour!r}")
    settings = _settings_for(target)
    counts: dict[str, int] = {}
    with _connect(settings, local_infile=True, create=True) as con:
        try:
            with con.cursor() as cur:
                for ddl in pbx_ddl(flavour, cel_extra=cel_extra_column(flavour),
                                   queue_log_data=sim.style.queue_log_data):
                    cur.execute(ddl)
                cur.execute(TRUTH_DDL)
            con.commit()
            infile = _local_infile_allowed(con)
            items = [(PBX_TABLES[k], df) for k, df in sim.tables.items()] + [(TRUTH_TABLE, sim.truth)]
            for table, df in items:
                _load(con, table, df, infile)
                counts[table] = len(df)
                con.commit()
                if progress:
                    log.info("%s: %d rows", table, len(df))
        except pymysql.err.MySQLError as exc:
            con.rollback()
            raise PBXConnectionError(
                f"Writing the simulated PBX tables into {settings.pbx.database} on {settings.pbx.host} failed "
                f"({exc.args[1] if len(exc.args) > 1 else type(exc).__name__})."
            ) from None
    return counts


def _local_infile_allowed(con: pymysql.Connection) -> bool:
    with con.cursor() as cur:
        cur.execute("SHOW VARIABLES LIKE 'local_infile'")
        row = cur.fetchone()
    return bool(row) and str(row[1]).upper() == "ON"


def _cells(df: pd.DataFrame) -> pd.DataFrame:
    """Values as MySQL text: datetimes ``YYYY-MM-DD HH:MM:SS[.ffffff]``, missing → NULL marker."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            fmt = "%Y-%m-%d %H:%M:%S.%f" if (s.dt.microsecond.fillna(0) != 0).any() else "%Y-%m-%d %H:%M:%S"
            out[col] = s.dt.strftime(fmt).astype(object).where(s.notna(), None)
        else:
            out[col] = s.astype(object).where(s.notna(), None)
    return out


def _load(con: pymysql.Connection, table: str, df: pd.DataFrame, infile: bool) -> None:
    if df.empty:
        return
    cells = _cells(df)
    cols = ", ".join(f"`{c}`" for c in df.columns)
    if infile:
        fd, path = tempfile.mkstemp(suffix=".tsv")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                _write_tsv(fh, cells)
            variables = ", ".join(f"@v{i}" for i in range(len(df.columns)))
            sets = ", ".join(f"`{c}` = NULLIF(@v{i}, '\\\\N')" for i, c in enumerate(df.columns))
            with con.cursor() as cur:
                cur.execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE `{table}` CHARACTER SET utf8mb4 "
                    f"FIELDS TERMINATED BY '\\t' ESCAPED BY '' LINES TERMINATED BY '\\n' ({variables}) SET {sets}",
                    (path,))
        finally:
            os.unlink(path)
        return
    marks = ", ".join(["%s"] * len(df.columns))
    rows = list(cells.itertuples(index=False, name=None))
    with con.cursor() as cur:
        for i in range(0, len(rows), INSERT_BATCH):
            cur.executemany(f"INSERT INTO `{table}` ({cols}) VALUES ({marks})", rows[i:i + INSERT_BATCH])


def _write_tsv(fh: io.TextIOBase, cells: pd.DataFrame) -> None:
    """Tab-separated rows; simulated text never holds tabs or newlines, NULL is the literal ``\\N``."""
    values = cells.to_numpy(dtype=object)
    values[pd.isna(values)] = "\\N"
    fh.writelines("\t".join(map(str, row)) + "\n" for row in values.tolist())


# -- embedded store ------------------------------------------------------------------------------
def pbx_shape(sim: Simulation) -> Shape:
    """The table layout the simulation's rows are in, as the sync reads them."""
    return Shape.of(sim.flavour, cel_extra=cel_extra_column(sim.flavour), queue_log_data=sim.style.queue_log_data)


def write_extras(sim: Simulation, store: Store, *, directories: bool = True) -> None:
    """What the simulation adds to ``store`` besides its PBX rows: the directories and topology
    (with ``directories``: on the first write only, so later edits survive), the ground truth and
    the recordings of the last days."""
    sim_dir = store.root / SIMULATION_DIR
    sim_dir.mkdir(parents=True, exist_ok=True)
    if directories:
        for name, df in sim.directories.items():
            store.catalog.upsert(name, df)
        store.catalog.set_state("topology", json.dumps(sim.topology, ensure_ascii=False))
    _merge_truth(sim_dir / "truth.parquet", sim.truth)
    recent = sim.recordings
    if not recent.empty:
        first = (sim.end.tz_localize(None) - pd.Timedelta(days=EAGER_RECORDING_DAYS)).strftime("%Y/%m/%d")
        recent = recent[recent["folder"] >= first]
        render_all(store.root / RECORDINGS_DIR, recent["name"])


def _merge_truth(path: Path, truth: pd.DataFrame) -> None:
    if path.exists():
        old = pd.read_parquet(path)
        truth = pd.concat([old, truth], ignore_index=True).drop_duplicates("call_id", keep="last")
    tmp = path.with_name(f".{path.name}.tmp")
    truth.sort_values("start", kind="stable").to_parquet(tmp, index=False)
    tmp.replace(path)


def recordings_folder(store: Store) -> Path:
    """The monitor folder of a simulated store (what ``recordings.folder`` points at for the demo)."""
    return store.root / RECORDINGS_DIR


__all__ = ["TRUTH_TABLE", "cel_extra_column", "pbx_shape", "recordings_folder", "write_extras", "write_mysql"]
