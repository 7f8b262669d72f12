"""Reference data (docs/directories.md) and the application's own state, in one SQLite file.

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

from atsnb.store.failures import catalog_failed, is_catalog_failure


@dataclass(frozen=True)
class DirectoryColumn:
    """One column of a directory.

    ``kind`` says how a value is checked and normalised on import and in the editor (the checks
    live in :mod:`atsnb.directory.values`): text, extension, number (a phone number), flag (1/0),
    count (whole number ≥ 0), directions, scope_kind, target_kind, seen_as, latin, json, cron,
    emails, list, numbers (a list of phone numbers), chat_id, secret, filters (a report's filters as
    ``key=value&…``), language (ru / en).  ``ref`` names the directory
    whose key the value must be (``departments``); ``aliases`` are other header names accepted in
    a CSV file (Russian ones, as people name their columns).
    """

    name: str
    type: str = "TEXT"  # TEXT | INTEGER | REAL
    required: bool = False
    kind: str = "text"
    ref: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Directory:
    name: str
    columns: tuple[DirectoryColumn, ...]
    key: tuple[str, ...]
    doc: str

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> DirectoryColumn:
        return next(c for c in self.columns if c.name == name)


C = DirectoryColumn
_SEEN = (C("calls", "INTEGER", kind="count", aliases=("Звонков", "Вызовов")),
         C("first_seen", aliases=("Впервые",)), C("last_seen", aliases=("Последний",)))
DIRECTORIES: dict[str, Directory] = {
    d.name: d
    for d in [
        Directory("departments",
                  (C("name", required=True, aliases=("Отдел", "Название", "Наименование", "Подразделение")),
                   C("parent", ref="departments",
                     aliases=("Родитель", "Входит в", "Вышестоящий отдел", "Родительский отдел"))),
                  ("name",),
                  "Departments; parent is the name of the enclosing department (empty at the top)."),
        Directory("employees",
                  (C("extension", required=True, kind="extension",
                     aliases=("Добавочный", "Внутренний", "Внутренний номер", "Добавочный номер", "Номер")),
                   C("name", aliases=("ФИО", "Сотрудник", "Имя")),
                   C("department", ref="departments", aliases=("Отдел", "Подразделение")),
                   C("mobile", kind="number", aliases=("Мобильный", "Мобильный телефон")),
                   C("active", "INTEGER", kind="flag", aliases=("Активен", "Работает")),
                   *_SEEN),
                  ("extension",),
                  "Internal subscribers: extension, name, department, mobile, active (1/0); "
                  "calls/first_seen/last_seen are filled from the records."),
        Directory("lines",
                  (C("number", required=True, kind="number", aliases=("Номер", "Линия", "Телефон")),
                   C("name", aliases=("Название", "Имя", "Наименование")),
                   C("line_group", aliases=("Группа",)),
                   C("purpose", aliases=("Назначение",)),
                   C("seen_as", kind="seen_as", aliases=("Направление",)),
                   *_SEEN),
                  ("number",),
                  "External lines: company numbers (DID / outbound caller id) with a display name; "
                  "seen_as/calls/first_seen/last_seen are filled from the records."),
        Directory("partners",
                  (C("number", required=True, kind="number", aliases=("Номер", "Телефон")),
                   C("name", required=True, aliases=("Название", "Имя", "Клиент", "Контрагент", "Партнёр"))),
                  ("number",),
                  "Partners (clients): one row per phone number; calls from it show the name."),
        Directory("red_phones",
                  (C("target", required=True, aliases=("Номер", "Цель", "Добавочный", "Группа")),
                   C("kind", kind="target_kind", aliases=("Тип",))),
                  ("target",),
                  "Red phones: an extension or a queue/ring group whose calls mark a new client."),
        Directory("efficiency_panels",
                  (C("scope_kind", required=True, kind="scope_kind", aliases=("Для", "Тип")),
                   C("scope", required=True, aliases=("Сотрудник или отдел", "Объект")),
                   C("min_talk_s", "INTEGER", kind="count",
                     aliases=("Минимальный разговор", "Мин. разговор, с", "Минимальная длительность")),
                   C("directions", kind="directions", aliases=("Направления",)),
                   C("daily_target", "INTEGER", kind="count", aliases=("План в день", "План"))),
                  ("scope_kind", "scope"),
                  "Per employee (scope_kind=employee) or department: talk time that makes a call effective, "
                  "directions that count (incoming,outgoing), daily target of effective calls."),
        Directory("monitors",
                  (C("name", required=True, kind="latin", aliases=("Имя", "Адрес")),
                   C("title", aliases=("Заголовок", "Название")),
                   C("indicators", kind="list", aliases=("Показатели",)),
                   C("participants", kind="list", aliases=("Участники",)),
                   C("refresh_s", "INTEGER", kind="count", aliases=("Обновление, с",))),
                  ("name",),
                  "Call monitors (wall-boards): Latin name used in the address, indicators, participants."),
        Directory("telegram_bots",
                  (C("name", required=True, aliases=("Имя", "Название")),
                   C("token", kind="secret", aliases=("Токен",)),
                   C("username", aliases=("Имя бота",))),
                  ("name",),
                  "Telegram bots; the token is a secret and is never shown."),
        Directory("telegram_subscribers",
                  (C("chat_id", required=True, kind="chat_id", aliases=("Чат",)),
                   C("bot", ref="telegram_bots", aliases=("Бот",)),
                   C("name", aliases=("Имя", "Подписчик")),
                   C("lines", kind="numbers", aliases=("Линии",)),
                   C("last_targets", kind="list", aliases=("Последний номер/группа",)),
                   C("active", "INTEGER", kind="flag", aliases=("Активен",)),
                   C("digest_min", "INTEGER", kind="count", aliases=("Сводка, мин", "Сводка"))),
                  ("chat_id",),
                  "Who receives missed-call alerts, optionally limited to lines and last number/group; "
                  "digest_min > 0: one message per that many minutes instead of one per call."),
        Directory("mailings",
                  (C("name", required=True, aliases=("Название", "Имя")),
                   C("report", aliases=("Отчёт", "Отчет")),
                   C("parameters", kind="filters", aliases=("Параметры", "Фильтры")),
                   C("schedule", kind="cron", aliases=("Расписание",)),
                   C("recipients", kind="emails", aliases=("Получатели",)),
                   C("active", "INTEGER", kind="flag", aliases=("Активна", "Активен")),
                   C("subject", aliases=("Тема",)),
                   C("language", kind="language", aliases=("Язык",)),
                   C("attach_notebook", "INTEGER", kind="flag", aliases=("Приложить блокнот", "Блокнот"))),
                  ("name",),
                  "Report mailings: report, saved filters (key=value&… as in a dashboard address), cron "
                  "schedule, recipients, subject, language, the executed notebook attached (1/0)."),
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
                have = {row[1] for row in con.execute(f'PRAGMA table_info("{d.name}")')}
                for c in d.columns:  # a store made by an older version: add the columns it lacks
                    if c.name not in have:
                        con.execute(f'ALTER TABLE "{d.name}" ADD COLUMN "{c.name}" {c.type}')

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30)
        try:
            with con:
                yield con
        except sqlite3.OperationalError as exc:
            if not is_catalog_failure(exc):
                raise
            raise catalog_failed(self.path, exc) from None  # a full disk, say: one clear sentence
        finally:
            con.close()

    # -- state ---------------------------------------------------------------------------------
    def get_state(self, key: str, default: str | None = None) -> str | None:
        with self.connect() as con:
            row = con.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_state(self, key: str, value: str) -> None:
        self.set_states({key: value})

    def set_states(self, values: dict[str, str]) -> None:
        """Set several state keys in one transaction: all of them, or (killed midway) none."""
        with self.connect() as con:
            con.executemany(
                "INSERT INTO state(key, value, updated_at) VALUES (?, ?, datetime('now')) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                list(values.items()),
            )

    # -- directories ---------------------------------------------------------------------------
    def read(self, name: str) -> pd.DataFrame:
        d = DIRECTORIES[name]
        cols = ", ".join(f'"{c}"' for c in d.column_names)
        with self.connect() as con:
            rows = con.execute(f'SELECT {cols} FROM "{name}" ORDER BY {", ".join(d.key)}').fetchall()
        df = pd.DataFrame(rows, columns=d.column_names)
        for c in d.columns:
            if c.type == "INTEGER":
                df[c.name] = pd.to_numeric(df[c.name], errors="coerce").astype("Int64")
        return df

    def upsert(self, name: str, df: pd.DataFrame, *, replace_all: bool = False) -> int:
        """Insert or update rows by key; with ``replace_all`` the directory becomes exactly ``df``."""
        d = DIRECTORIES[name]
        df = df.reindex(columns=d.column_names)
        rows = [tuple(_sql_value(v) for v in row) for row in df.itertuples(index=False)]
        cols = ", ".join(f'"{c}"' for c in d.column_names)
        marks = ", ".join("?" for _ in d.column_names)
        with self.connect() as con:
            if replace_all:
                con.execute(f'DELETE FROM "{name}"')
            con.executemany(f'INSERT OR REPLACE INTO "{name}" ({cols}) VALUES ({marks})', rows)
        return len(rows)

    def delete(self, name: str, keys: pd.DataFrame) -> int:
        """Remove the rows whose key (the directory's key columns of ``keys``) matches; returns how many."""
        d = DIRECTORIES[name]
        where = " AND ".join(f'"{k}" = ?' for k in d.key)
        rows = [tuple(row) for row in keys[list(d.key)].itertuples(index=False)]
        with self.connect() as con:
            before = con.total_changes
            con.executemany(f'DELETE FROM "{name}" WHERE {where}', rows)
            return con.total_changes - before


def is_missing(value: object) -> bool:
    """A directory cell that holds nothing: None, NaN, NaT or pd.NA — the one test import checks,
    the fill, the organisation model and the writer share (an empty text is a value here)."""
    return value is None or (not isinstance(value, str | bytes) and pd.isna(value))


def _sql_value(value: object) -> object:
    """A cell as SQLite takes it: None for any missing marker, plain Python for numpy scalars
    (SQLite would store a numpy integer as a blob)."""
    if is_missing(value):
        return None
    return value.item() if hasattr(value, "item") else value
