"""Reference data (SPEC §4) and the application's own state, in one SQLite file.

SQLite (WAL) because these tables are small, edited row by row from a dashboard, and read while a
sync writes: WAL lets readers in during a write, which a DuckDB file does not.

Each directory is declared once in :data:`DIRECTORIES`; the CSV import/export, the dashboard editor
and validation all work from that declaration.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "TEXT"  # TEXT | INTEGER | REAL
    required: bool = False


@dataclass(frozen=True)
class Directory:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    doc: str

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


C = Column
DIRECTORIES: dict[str, Directory] = {
    d.name: d
    for d in [
        Directory("departments", (C("name", required=True), C("parent")), ("name",),
                  "Departments; parent is the name of the enclosing department (empty at the top)."),
        Directory("employees", (C("extension", required=True), C("name"), C("department"), C("mobile"),
                                C("active", "INTEGER")), ("extension",),
                  "Internal subscribers: extension, name, department, mobile, active (1/0)."),
        Directory("lines", (C("number", required=True), C("name"), C("line_group"), C("purpose")), ("number",),
                  "External lines: company numbers (DID / outbound caller id) with a display name."),
        Directory("partners", (C("number", required=True), C("name", required=True)), ("number",),
                  "Partners (clients): one row per phone number; calls from it show the name."),
        Directory("red_phones", (C("target", required=True), C("kind")), ("target",),
                  "Red phones: an extension or a queue/ring group whose calls mark a new client."),
        Directory("efficiency_panels", (C("scope_kind", required=True), C("scope", required=True),
                                        C("min_talk_s", "INTEGER"), C("directions"),
                                        C("daily_target", "INTEGER")), ("scope_kind", "scope"),
                  "Per employee (scope_kind=employee) or department: talk time that makes a call effective, "
                  "directions that count (incoming,outgoing), daily target of effective calls."),
        Directory("monitors", (C("name", required=True), C("title"), C("indicators"), C("participants"),
                               C("refresh_s", "INTEGER")), ("name",),
                  "Call monitors (wall-boards): Latin name used in the address, indicators, participants."),
        Directory("telegram_bots", (C("name", required=True), C("token"), C("username")), ("name",),
                  "Telegram bots; the token is a secret and is never shown."),
        Directory("telegram_subscribers", (C("chat_id", required=True), C("bot"), C("name"), C("lines"),
                                           C("last_targets"), C("active", "INTEGER")), ("chat_id",),
                  "Who receives missed-call alerts, optionally limited to lines and last number/group."),
        Directory("mailings", (C("name", required=True), C("report"), C("parameters"), C("schedule"),
                               C("recipients"), C("active", "INTEGER")), ("name",),
                  "Report mailings: report notebook, saved filters (JSON), cron schedule, recipients."),
    ]
}


class Catalog:
    """The SQLite file: directories plus a key/value ``state`` table (watermarks, markers)."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT, updated_at TEXT)")
            for d in DIRECTORIES.values():
                cols = ", ".join(f'"{c.name}" {c.type}' for c in d.columns)
                key = ", ".join(f'"{k}"' for k in d.key)
                con.execute(f'CREATE TABLE IF NOT EXISTS "{d.name}" ({cols}, PRIMARY KEY ({key}))')

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30)
        try:
            with con:
                yield con
        finally:
            con.close()

    # -- state ---------------------------------------------------------------------------------
    def get_state(self, key: str, default: str | None = None) -> str | None:
        with self.connect() as con:
            row = con.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_state(self, key: str, value: str) -> None:
        with self.connect() as con:
            con.execute(
                "INSERT INTO state(key, value, updated_at) VALUES (?, ?, datetime('now')) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value),
            )

    # -- directories ---------------------------------------------------------------------------
    def read(self, name: str) -> pd.DataFrame:
        d = DIRECTORIES[name]
        cols = ", ".join(f'"{c}"' for c in d.column_names)
        with self.connect() as con:
            rows = con.execute(f'SELECT {cols} FROM "{name}" ORDER BY {", ".join(d.key)}').fetchall()
        return pd.DataFrame(rows, columns=d.column_names)

    def upsert(self, name: str, df: pd.DataFrame, *, replace_all: bool = False) -> int:
        """Insert or update rows by key; with ``replace_all`` the directory becomes exactly ``df``."""
        d = DIRECTORIES[name]
        df = df.reindex(columns=d.column_names)
        rows = [tuple(None if pd.isna(v) else v for v in row) for row in df.itertuples(index=False)]
        cols = ", ".join(f'"{c}"' for c in d.column_names)
        marks = ", ".join("?" for _ in d.column_names)
        with self.connect() as con:
            if replace_all:
                con.execute(f'DELETE FROM "{name}"')
            con.executemany(f'INSERT OR REPLACE INTO "{name}" ({cols}) VALUES ({marks})', rows)
        return len(rows)
