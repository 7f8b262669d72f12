"""The delivery ledger: what every delivery channel has sent, kept in the store's catalog.

A channel asks before it sends (:meth:`DeliveryLedger.sent`) and records after
(:meth:`DeliveryLedger.record`), so a missed call announced or a report mailed is not sent again
by the next run, a restart or a second process.  A row is one message: the channel, the key of
what it delivered (a call, a mailing's due time), the recipient, and when.
"""

from __future__ import annotations

import pandas as pd

from atsnb.store.directories import Catalog

TABLE = "deliveries"


class DeliveryLedger:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        with catalog.connect() as con:
            con.execute(f'CREATE TABLE IF NOT EXISTS "{TABLE}" (channel TEXT NOT NULL, key TEXT NOT NULL, '
                        "recipient TEXT NOT NULL, sent_at TEXT NOT NULL, detail TEXT, "
                        "PRIMARY KEY (channel, key, recipient))")

    def sent(self, channel: str, key: str, recipient: str) -> bool:
        """Whether ``channel`` has delivered ``key`` to ``recipient`` already."""
        with self.catalog.connect() as con:
            row = con.execute(f'SELECT 1 FROM "{TABLE}" WHERE channel = ? AND key = ? AND recipient = ?',
                              (channel, key, recipient)).fetchone()
        return row is not None

    def record(self, channel: str, key: str, recipient: str, at: pd.Timestamp, detail: str = "") -> bool:
        """Note a delivery; False when it was noted already (another process sent it first)."""
        with self.catalog.connect() as con:
            cursor = con.execute(f'INSERT OR IGNORE INTO "{TABLE}" VALUES (?, ?, ?, ?, ?)',
                                 (channel, key, recipient, at.isoformat(), detail))
        return cursor.rowcount == 1

    def read(self, channel: str | None = None) -> pd.DataFrame:
        """The recorded deliveries (of one channel), oldest first."""
        where, args = ("WHERE channel = ?", (channel,)) if channel else ("", ())
        with self.catalog.connect() as con:
            rows = con.execute(f'SELECT channel, key, recipient, sent_at, detail FROM "{TABLE}" {where} '
                               "ORDER BY sent_at, channel, key, recipient", args).fetchall()
        return pd.DataFrame(rows, columns=["channel", "key", "recipient", "sent_at", "detail"])
