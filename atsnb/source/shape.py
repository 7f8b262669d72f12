"""What a PBX database looks like: which tables exist, in which flavour, with which columns.

A :class:`Shape` holds one :class:`TableShape` per logical table (``cdr``, ``cel``, ``queue_log``,
``ratings``, ``callbacks``).  Each says which PBX table and columns feed the canonical store
columns, so the sync normalises every flavour the same way:

* cdr ``freepbx`` (calldate, no answer/end), ``asterisk`` (start/answer/end), ``legacy`` (no linkedid);
* cel ``extra`` or ``eventextra`` (the JSON column's name);
* queue_log ``split`` (data1..data5) or ``single`` (one ``data`` column split on ``|``).

:func:`detect_shape` reads it from a live database (``atsnb check`` and ``atsnb sync``);
:meth:`Shape.of` builds it from the layouts in :mod:`atsnb.source.schemas` for a source that
already knows its flavour, such as the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pymysql

from atsnb.config import Settings, parse_column_map
from atsnb.source import schemas
from atsnb.source.canonical import CANONICAL, TIME_COLUMN

LOGICAL_TABLES = ("cdr", "cel", "queue_log", "ratings", "callbacks")


@dataclass(frozen=True)
class TableShape:
    """One PBX table as the sync sees it.

    ``source`` maps canonical column → PBX column for every canonical column the table has;
    canonical columns missing from it are filled with their empty value.  ``time_index`` names an
    index whose first column is the time column (used to keep window queries on the index).
    """

    kind: str
    table: str
    flavour: str
    columns: tuple[str, ...]
    source: dict[str, str] = field(default_factory=dict)
    time_index: str | None = None

    @property
    def time_column(self) -> str:
        """The PBX column holding the row's time (``calldate``, ``start``, ``eventtime`` …)."""
        return self.source[TIME_COLUMN[self.kind]]

    @property
    def id_column(self) -> str | None:
        """An auto-increment ``id`` the sync can page on, if the table has one."""
        return self.source.get("id")

    def expected_columns(self) -> list[str]:
        """The columns worth having (to tell the user what is missing).

        For CDR that is the fullest layout, FreePBX's (with its own time column): a legacy table
        lacks linkedid, an Asterisk one the FreePBX caller-ID columns, and the user should know.
        """
        if self.kind == "cdr":
            return [self.time_column if c == "calldate" else c for c in _layout("cdr", "freepbx")]
        return _layout(self.kind, self.flavour)

    def missing_columns(self) -> list[str]:
        present = set(self.columns)
        return [c for c in self.expected_columns() if c not in present and c not in self.source.values()]


@dataclass(frozen=True)
class Shape:
    """The whole PBX database: the tables found, by logical name."""

    tables: dict[str, TableShape]

    def __getitem__(self, kind: str) -> TableShape:
        return self.tables[kind]

    def __contains__(self, kind: str) -> bool:
        return kind in self.tables

    @classmethod
    def of(cls, flavour: str = "freepbx", *, cel_extra: str = "extra", queue_log_data: str = "split",
           tables: dict[str, str] | None = None) -> Shape:
        """The shape of a database created by :func:`atsnb.source.schemas.pbx_ddl` with the same arguments."""
        names = {"cdr": "cdr", "cel": "cel", "queue_log": "queue_log", "ratings": "quality_ratings",
                 "callbacks": "website_callbacks", **(tables or {})}
        flavours = {"cdr": flavour, "cel": cel_extra, "queue_log": queue_log_data,
                    "ratings": "default", "callbacks": "default"}
        return cls({kind: table_shape(kind, names[kind], flavours[kind], _layout(kind, flavours[kind]))
                    for kind in LOGICAL_TABLES})


def _layout(kind: str, flavour: str) -> list[str]:
    if kind == "cdr":
        return [c for c, _ in schemas.CDR_FLAVOURS[flavour]]
    if kind == "cel":
        return [flavour if c == "extra" else c for c, _ in schemas.CEL_COLUMNS]
    if kind == "queue_log":
        return [c for c, _ in (schemas.QUEUE_LOG_COLUMNS if flavour == "split" else schemas.QUEUE_LOG_SINGLE_DATA)]
    return [c for c, _ in (schemas.RATINGS_COLUMNS if kind == "ratings" else schemas.CALLBACKS_COLUMNS)]


def table_shape(kind: str, table: str, flavour: str, columns: list[str],
                overrides: dict[str, str] | None = None, time_index: str | None = None) -> TableShape:
    """Map the canonical columns of ``kind`` onto the PBX ``columns`` (``overrides``: ours → theirs)."""
    present = set(columns)
    defaults = {("cdr", "asterisk"): {"calldate": "start"}, ("cel", "eventextra"): {"extra": "eventextra"}}
    wanted = {**defaults.get((kind, flavour), {}), **(overrides or {})}
    source: dict[str, str] = {}
    for col in CANONICAL[kind]:
        theirs = wanted.get(col.name, col.name)
        if theirs in present:
            source[col.name] = theirs
    if kind == "queue_log" and flavour == "single":
        source["data"] = "data"
    return TableShape(kind, table, flavour, tuple(columns), source, time_index)


def cdr_flavour(columns: set[str], overrides: dict[str, str]) -> str:
    if "calldate" not in overrides and "calldate" not in columns and "start" in columns:
        return "asterisk"
    if overrides.get("linkedid", "linkedid") not in columns:
        return "legacy"
    return "freepbx"


def detect_shape(con: pymysql.Connection, settings: Settings) -> Shape:
    """Read the PBX database's layout (information_schema) and name its flavours."""
    with con.cursor() as cur:
        cur.execute(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION")
        columns: dict[str, list[str]] = {}
        for table, column in cur.fetchall():
            columns.setdefault(table, []).append(column)
        cur.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, INDEX_NAME FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = DATABASE() AND SEQ_IN_INDEX = 1")
        first_index: dict[tuple[str, str], str] = {}
        for table, column, index in cur.fetchall():
            first_index.setdefault((table, column), index)
    lowered = {name.lower(): name for name in columns}
    names = settings.tables
    overrides = {"cdr": parse_column_map(names.cdr_columns), "ratings": parse_column_map(names.ratings_columns),
                 "callbacks": parse_column_map(names.callbacks_columns)}
    found: dict[str, TableShape] = {}
    for kind in LOGICAL_TABLES:
        wanted = getattr(names, kind)
        table = lowered.get(wanted.lower()) if wanted else None
        if table is None:
            continue
        cols = columns[table]
        over = overrides.get(kind, {})
        if kind == "cdr":
            flavour = cdr_flavour(set(cols), over)
        elif kind == "cel":
            flavour = "eventextra" if "eventextra" in cols and "extra" not in cols else "extra"
        elif kind == "queue_log":
            flavour = "single" if "data" in cols and "data1" not in cols else "split"
        else:
            flavour = "default"
        shape = table_shape(kind, table, flavour, cols, over)
        if TIME_COLUMN[kind] not in shape.source:
            continue  # without a time column the table cannot be synced; check reports it as missing
        index = first_index.get((table, shape.time_column))
        found[kind] = TableShape(kind, table, flavour, tuple(cols), shape.source, index)
    return Shape(found)


def present_tables(con: pymysql.Connection, settings: Settings) -> dict[str, str | None]:
    """Logical table → the PBX table of that name if it exists (even when unusable), else None."""
    with con.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()")
        lowered = {row[0].lower(): row[0] for row in cur.fetchall()}
    out: dict[str, str | None] = {}
    for kind in LOGICAL_TABLES:
        wanted = getattr(settings.tables, kind)
        out[kind] = lowered.get(wanted.lower()) if wanted else None
    return out
