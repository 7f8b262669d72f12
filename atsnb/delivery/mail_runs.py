"""The runs of the mailings: one row per (mailing, due time), kept in the store's catalog, and the
lock that lets one scheduler at a time work on them.

A run goes ``due`` → ``running`` (papermill executes the report) → ``sending`` (the mail is
handed to the SMTP server) → ``sent``; a failure makes it ``failed`` with the time of the next
try (back-off), and a newer due time of the same mailing makes an unfinished one ``superseded``.
Whatever a process was doing when it died, the row says so, and the next scheduler picks the run
up again: a ``running`` run is run again, a ``sending`` one is sent again with the same
Message-ID (docs/mail.md, "Exactly once").
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from atsnb.store.directories import Catalog

TABLE = "mail_runs"
OPEN = ("due", "running", "sending")  # picked up by the next scheduler as they are
FINAL = ("sent", "superseded")
COLUMNS = ("mailing", "due", "kind", "status", "late", "skipped", "attempts", "next_try", "error",
           "message_id", "recipients", "updated_at", "sent_at")


@dataclass(frozen=True)
class Run:
    """One run: the mailing, the time it fell due (PBX zone), ``scheduled`` or ``test``."""

    mailing: str
    due: pd.Timestamp
    kind: str = "scheduled"
    late: bool = False
    skipped: int = 0
    attempts: int = 0

    @property
    def key(self) -> str:
        """The delivery ledger's key of the run, and the seed of its Message-ID."""
        suffix = "" if self.kind == "scheduled" else f"#{self.kind}"
        return f"mailing:{self.mailing}@{utc(self.due)}{suffix}"


def utc(moment: pd.Timestamp) -> str:
    """A moment as the table keeps it: UTC, ISO 8601 — text that sorts as time does in every zone."""
    return moment.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


class MailRuns:
    """The ``mail_runs`` table of a catalog (times in UTC, :func:`utc`)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        with catalog.connect() as con:
            con.execute(f'CREATE TABLE IF NOT EXISTS "{TABLE}" (mailing TEXT NOT NULL, due TEXT NOT NULL, '
                        "kind TEXT NOT NULL, status TEXT NOT NULL, late INTEGER DEFAULT 0, skipped INTEGER DEFAULT 0, "
                        "attempts INTEGER DEFAULT 0, next_try TEXT, error TEXT, message_id TEXT, recipients TEXT, "
                        "updated_at TEXT, sent_at TEXT, PRIMARY KEY (mailing, due, kind))")

    def since(self, mailing: str, now: pd.Timestamp, grace: pd.Timedelta) -> pd.Timestamp:
        """Due times after this moment are the mailing's to send: its newest scheduled run, or —
        for a mailing never seen before — ``grace`` before the moment it is first seen (so a
        mailing added a minute before its time still goes out)."""
        with self.catalog.connect() as con:
            row = con.execute(f'SELECT max(due) FROM "{TABLE}" WHERE mailing = ? AND kind = ?',
                              (mailing, "scheduled")).fetchone()
        if row[0]:
            return pd.Timestamp(row[0])
        key = f"mail.since.{mailing}"
        seen = self.catalog.get_state(key)
        if seen is None:
            seen = utc(now - grace)
            self.catalog.set_state(key, seen)
        return pd.Timestamp(seen)

    def plan(self, run: Run, now: pd.Timestamp) -> None:
        """Record a scheduled run that fell due; earlier unfinished runs of the mailing give way to it."""
        with self.catalog.connect() as con:
            con.execute(f"UPDATE \"{TABLE}\" SET status = 'superseded', updated_at = ? WHERE mailing = ? "
                        "AND kind = 'scheduled' AND due < ? AND status NOT IN ('sent', 'superseded')",
                        (utc(now), run.mailing, utc(run.due)))
            con.execute(f'INSERT OR IGNORE INTO "{TABLE}" (mailing, due, kind, status, late, skipped, updated_at) '
                        "VALUES (?, ?, ?, 'due', ?, ?, ?)",
                        (run.mailing, utc(run.due), run.kind, int(run.late), run.skipped, utc(now)))

    def ready(self, now: pd.Timestamp) -> list[Run]:
        """The runs to work on now: open ones, and failed ones whose next try has come."""
        marks = ", ".join("?" for _ in OPEN)
        with self.catalog.connect() as con:
            rows = con.execute(
                f'SELECT mailing, due, kind, late, skipped, attempts FROM "{TABLE}" WHERE (status IN ({marks}) '
                "OR (status = 'failed' AND next_try <= ?)) AND kind = 'scheduled' ORDER BY due, mailing", (*OPEN, utc(now))).fetchall()
        return [Run(m, pd.Timestamp(d), k, bool(late), int(skipped or 0), int(attempts or 0))
                for m, d, k, late, skipped, attempts in rows]

    def start(self, run: Run, now: pd.Timestamp, recipients: str) -> None:
        """Claim a run (for a test send: record it first); it counts as an attempt."""
        with self.catalog.connect() as con:
            con.execute(f'INSERT OR IGNORE INTO "{TABLE}" (mailing, due, kind, status, late, skipped) '
                        "VALUES (?, ?, ?, 'due', ?, ?)",
                        (run.mailing, utc(run.due), run.kind, int(run.late), run.skipped))
            con.execute(f"UPDATE \"{TABLE}\" SET status = 'running', attempts = attempts + 1, recipients = ?, "
                        "updated_at = ? WHERE mailing = ? AND due = ? AND kind = ?",
                        (recipients, utc(now), *self._key(run)))

    def sending(self, run: Run, message_id: str, now: pd.Timestamp) -> None:
        """The mail is about to go to the SMTP server: from here on it may have been delivered."""
        self._set(run, now, status="sending", message_id=message_id)

    def sent(self, run: Run, now: pd.Timestamp, note: str = "") -> None:
        self._set(run, now, status="sent", sent_at=utc(now), error=note or None, next_try=None)

    def fail(self, run: Run, error: str, now: pd.Timestamp, retry_s: int, retry_max_s: int) -> pd.Timestamp:
        """Note a failure; returns when the run is tried again (the wait doubles with each attempt)."""
        with self.catalog.connect() as con:
            row = con.execute(f'SELECT attempts FROM "{TABLE}" WHERE mailing = ? AND due = ? AND kind = ?',
                              self._key(run)).fetchone()
        attempts = max(int(row[0] or 1) if row else 1, 1)
        retry = now + pd.Timedelta(seconds=min(retry_s * 2 ** (attempts - 1), retry_max_s))
        status = "failed" if run.kind == "scheduled" else "superseded"  # a test send is not retried
        self._set(run, now, status=status, error=error, next_try=utc(retry))
        return retry

    def read(self, mailing: str | None = None, limit: int | None = None) -> pd.DataFrame:
        """The runs, newest first."""
        where, args = ("WHERE mailing = ?", (mailing,)) if mailing else ("", ())
        tail = f" LIMIT {int(limit)}" if limit else ""
        with self.catalog.connect() as con:
            rows = con.execute(f'SELECT {", ".join(COLUMNS)} FROM "{TABLE}" {where} '
                               f"ORDER BY due DESC, mailing{tail}", args).fetchall()
        return pd.DataFrame(rows, columns=list(COLUMNS))

    def _set(self, run: Run, now: pd.Timestamp, **values: object) -> None:
        sets = ", ".join(f"{k} = ?" for k in values)
        with self.catalog.connect() as con:
            con.execute(f'UPDATE "{TABLE}" SET {sets}, updated_at = ? WHERE mailing = ? AND due = ? AND kind = ?',
                        (*values.values(), utc(now), *self._key(run)))

    @staticmethod
    def _key(run: Run) -> tuple[str, str, str]:
        return run.mailing, utc(run.due), run.kind


@contextmanager
def scheduler_lock(root: Path) -> Iterator[bool]:
    """Hold ``<store>/.mail.lock`` while working on the runs; yields False at once when another
    scheduler holds it (a second timer or cron line started by mistake does nothing).  The kernel
    drops the lock when its holder dies, even by ``kill -9``."""
    root.mkdir(parents=True, exist_ok=True)
    fh = open(root / ".mail.lock", "a+")  # noqa: SIM115 - held for the whole with-block
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        fh.seek(0)
        fh.truncate()
        fh.write(f"process {os.getpid()}")
        fh.flush()
        yield True
    finally:
        fh.close()
