"""What the Telegram alerts remember in the store's catalog, so every missed call reaches every
chat once — across restarts, and with two processes (``atsnb sync --follow`` and ``atsnb alerts
run``) at work on one store.

``telegram_alerts`` has one row per (call, chat), which moves **claimed → sent → marked**:

* *claimed* — a process took the call for the chat (one ``INSERT``: whoever inserts first owns it;
  the owner's host and process id are kept, so a claim whose process has gone is taken over);
* *sent* — Telegram accepted the message (its ``message_id`` and text are kept: a recovery
  follow-up edits it);
* *marked* — the delivery ledger (:class:`~atsnb.store.ledger.DeliveryLedger`) records it.

A stop asked for (Ctrl+C, ``systemctl stop``) lets the message in flight finish and be recorded
and releases claims not yet tried, so a restart neither repeats nor loses one.  Only a process
killed outright during the fraction of a second of one request leaves a claim whose fate is
unknown; it is sent again (a repeat is better than a silent loss).

``telegram_chats`` keeps, per chat, since when it receives alerts (calls that ended earlier are
never announced) and when and why Telegram refused it (``403``: the user blocked the bot).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import pandas as pd

from atsnb.store.directories import Catalog

ALERTS = "telegram_alerts"
CHATS = "telegram_chats"
CLAIMED, SENT, MARKED = "claimed", "sent", "marked"
LEASE_S = 600  # a claim older than this is taken over even if its process seems alive
OWNER = f"{socket.gethostname()}:{os.getpid()}"


def _owner_gone(owner: str, claimed_at: str, now: pd.Timestamp) -> bool:
    """Whether the process that claimed a row cannot be sending it any more."""
    host, _, pid = owner.rpartition(":")
    if owner == OWNER:
        return True  # our own claim from an interrupted round of this process
    if (now - pd.Timestamp(claimed_at)).total_seconds() > LEASE_S:
        return True
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Sent:
    """A (call, chat) Telegram accepted: the message, its text, whether a follow-up was made."""

    call_id: str
    chat_id: str
    bot: str
    message_id: int
    text: str
    batch: str
    call_end: pd.Timestamp


class AlertState:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        with catalog.connect() as con:
            con.execute(f'CREATE TABLE IF NOT EXISTS "{ALERTS}" (call_id TEXT NOT NULL, chat_id TEXT NOT NULL, '
                        "bot TEXT, state TEXT NOT NULL, owner TEXT, batch TEXT NOT NULL DEFAULT '', "
                        "message_id INTEGER, text TEXT, call_end TEXT, claimed_at TEXT, sent_at TEXT, "
                        "followed TEXT NOT NULL DEFAULT '', PRIMARY KEY (call_id, chat_id))")
            con.execute(f'CREATE INDEX IF NOT EXISTS "{ALERTS}_end" ON "{ALERTS}" (call_end)')
            con.execute(f'CREATE TABLE IF NOT EXISTS "{CHATS}" (chat_id TEXT PRIMARY KEY, since TEXT, '
                        "blocked_at TEXT, reason TEXT)")

    # -- (call, chat) ---------------------------------------------------------------------------
    def claim(self, call_ids: list[str], chat_id: str, bot: str, batch: str, ends: list[str],
              now: pd.Timestamp) -> list[str]:
        """Claim the calls for the chat; the ones this process may send now (all or none of a
        digest's).  A row sent already is not returned; a claim of a vanished process is taken over."""
        at = now.isoformat()
        with self.catalog.connect() as con:
            con.execute("BEGIN IMMEDIATE")
            rows = {r[0]: r[1:] for r in con.execute(
                f'SELECT call_id, state, owner, claimed_at FROM "{ALERTS}" WHERE chat_id = ? AND call_id IN '
                f'({",".join("?" * len(call_ids))})', (chat_id, *call_ids))}
            mine = []
            for call_id, end in zip(call_ids, ends, strict=True):
                row = rows.get(call_id)
                if row is None:
                    con.execute(f'INSERT INTO "{ALERTS}" (call_id, chat_id, bot, state, owner, batch, call_end, '
                                "claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                (call_id, chat_id, bot, CLAIMED, OWNER, batch, end, at))
                    mine.append(call_id)
                elif row[0] == CLAIMED and _owner_gone(row[1], row[2], now):
                    con.execute(f'UPDATE "{ALERTS}" SET owner = ?, claimed_at = ?, batch = ? '
                                "WHERE call_id = ? AND chat_id = ?", (OWNER, at, batch, call_id, chat_id))
                    mine.append(call_id)
        return mine

    def release(self, call_ids: list[str], chat_id: str) -> None:
        """Give back claims not sent (a stop, a failed send): the next round sends them."""
        with self.catalog.connect() as con:
            con.executemany(f'DELETE FROM "{ALERTS}" WHERE call_id = ? AND chat_id = ? AND state = ? AND owner = ?',
                            [(c, chat_id, CLAIMED, OWNER) for c in call_ids])

    def sent(self, call_ids: list[str], chat_id: str, message_id: int, text: str, now: pd.Timestamp) -> None:
        with self.catalog.connect() as con:
            con.executemany(f'UPDATE "{ALERTS}" SET state = ?, message_id = ?, text = ?, sent_at = ? '
                            "WHERE call_id = ? AND chat_id = ?",
                            [(SENT, message_id, text, now.isoformat(), c, chat_id) for c in call_ids])

    def mark(self, call_ids: list[str], chat_id: str) -> None:
        with self.catalog.connect() as con:
            con.executemany(f'UPDATE "{ALERTS}" SET state = ? WHERE call_id = ? AND chat_id = ? AND state = ?',
                            [(MARKED, c, chat_id, SENT) for c in call_ids])

    def done(self, since: pd.Timestamp) -> set[tuple[str, str]]:
        """The (call, chat) pairs Telegram accepted whose call ended at ``since`` or later — and some
        a day earlier: ``call_end`` is compared as text, and a zone's offset can change (summer
        time).  A round reads only these, not a year of alerts."""
        with self.catalog.connect() as con:
            rows = con.execute(f'SELECT call_id, chat_id FROM "{ALERTS}" WHERE call_end >= ? AND state IN (?, ?)',
                               ((since - pd.Timedelta(days=1)).isoformat(), SENT, MARKED)).fetchall()
        return set(rows)

    def states(self, chat_id: str | None = None, state: str | None = None) -> pd.DataFrame:
        """Every (call, chat) row — of one chat, in one state."""
        conditions = [(column, value) for column, value in (("chat_id", chat_id), ("state", state)) if value]
        where = ("WHERE " + " AND ".join(f"{column} = ?" for column, _ in conditions)) if conditions else ""
        args = tuple(value for _, value in conditions)
        with self.catalog.connect() as con:
            rows = con.execute(f'SELECT call_id, chat_id, bot, state, batch, message_id, call_end, sent_at, followed '
                               f'FROM "{ALERTS}" {where}', args).fetchall()
        return pd.DataFrame(rows, columns=["call_id", "chat_id", "bot", "state", "batch", "message_id", "call_end",
                                           "sent_at", "followed"])

    def awaiting_follow_up(self, since: pd.Timestamp) -> list[Sent]:
        """Alerts sent whose call ended after ``since`` and got no follow-up yet."""
        with self.catalog.connect() as con:
            rows = con.execute(f'SELECT call_id, chat_id, bot, message_id, text, batch, call_end FROM "{ALERTS}" '
                               "WHERE state = ? AND followed = '' AND call_end >= ?",
                               (MARKED, (since - pd.Timedelta(days=1)).isoformat())).fetchall()
        sent = [Sent(r[0], r[1], r[2], int(r[3]), r[4] or "", r[5] or "", pd.Timestamp(r[6])) for r in rows]
        return [s for s in sent if s.call_end >= since]  # the text comparison above let a day more through

    def follow(self, call_id: str, chat_id: str, what: str) -> bool:
        """Take the follow-up of a (call, chat) — ``what`` says which; False if it was taken."""
        with self.catalog.connect() as con:
            cursor = con.execute(f'UPDATE "{ALERTS}" SET followed = ? WHERE call_id = ? AND chat_id = ? '
                                 "AND followed = ''", (what, call_id, chat_id))
        return cursor.rowcount == 1

    def followed(self, call_id: str, chat_id: str, done: bool) -> None:
        """The follow-up went out (``done``), or failed and is free to be tried again."""
        with self.catalog.connect() as con:
            con.execute(f'UPDATE "{ALERTS}" SET followed = ? WHERE call_id = ? AND chat_id = ?',
                        ("done" if done else "", call_id, chat_id))

    def move_chat(self, old: str, new: str) -> None:
        """A group became a supergroup: its alerts and history continue under the new id."""
        with self.catalog.connect() as con:
            con.execute(f'UPDATE OR IGNORE "{ALERTS}" SET chat_id = ? WHERE chat_id = ?', (new, old))
            con.execute(f'UPDATE OR IGNORE "{CHATS}" SET chat_id = ? WHERE chat_id = ?', (new, old))

    # -- chats ----------------------------------------------------------------------------------
    def since(self, chat_id: str, now: pd.Timestamp) -> pd.Timestamp:
        """Since when ``chat_id`` receives alerts (first asked: now — a chat added to the directory by
        hand is announced what happens from then on, not its past)."""
        with self.catalog.connect() as con:
            con.execute(f'INSERT OR IGNORE INTO "{CHATS}" (chat_id, since) VALUES (?, ?)', (chat_id, now.isoformat()))
            row = con.execute(f'SELECT since FROM "{CHATS}" WHERE chat_id = ?', (chat_id,)).fetchone()
        return pd.Timestamp(row[0]).tz_convert(now.tz)

    def subscribed(self, chat_id: str, now: pd.Timestamp) -> None:
        """``/start``: alerts from now on, and no longer blocked."""
        with self.catalog.connect() as con:
            con.execute(f'INSERT INTO "{CHATS}" (chat_id, since) VALUES (?, ?) ON CONFLICT(chat_id) DO UPDATE '
                        "SET since = excluded.since, blocked_at = NULL, reason = NULL", (chat_id, now.isoformat()))

    def blocked(self, chat_id: str, now: pd.Timestamp, reason: str) -> None:
        with self.catalog.connect() as con:
            con.execute(f'INSERT INTO "{CHATS}" (chat_id, since, blocked_at, reason) VALUES (?, ?, ?, ?) '
                        "ON CONFLICT(chat_id) DO UPDATE SET blocked_at = excluded.blocked_at, reason = excluded.reason",
                        (chat_id, now.isoformat(), now.isoformat(), reason))

    def chats(self) -> pd.DataFrame:
        with self.catalog.connect() as con:
            rows = con.execute(f'SELECT chat_id, since, blocked_at, reason FROM "{CHATS}"').fetchall()
        return pd.DataFrame(rows, columns=["chat_id", "since", "blocked_at", "reason"])
