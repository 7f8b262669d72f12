"""The PBX's own history changing under the sync: old rows purged or archived, a table emptied or
recreated.

FreePBX's CDR clean-up, BIT.ATS's archive and hand-made cron jobs delete old months from the CDR
and CEL tables, or rename a table aside and create an empty one.  The store is the copy that keeps
the history, so the sync never deletes what the PBX no longer has — but it notices, and says so
once, in the log and in the run's report:

* **purged** — the table's earliest row is later than at the last run: older rows went away on the
  PBX (the store keeps them).  If the earliest row is even later than the last time synced, rows
  of the gap may have been archived before they were copied: the notice says from when to when,
  and that pointing ``tables.<name>`` at the archive table for one run brings them in.
* **emptied** — the table has no rows any more.
* **ids started again** (CEL, queue_log, read by id) — the highest id is below the last id stored
  and the first row is not the one seen before: the table was emptied with ``TRUNCATE`` or
  recreated.  Read by ``id > watermark``, its new rows would never be read; so the watermark goes
  back to 0 and the rows of this new generation get keys of their own (``<generation>:<id>``), so
  that they never replace a stored row of the same id.

What the PBX held is remembered in the catalog: ``sync:<table>:pbx_first`` (the earliest row, as a
time, or ``id@time`` for tables read by id) and ``sync:<table>:id_generation``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from atsnb.i18n import t
from atsnb.source.shape import TableShape
from atsnb.store import Store

log = logging.getLogger(__name__)

TS = "%Y-%m-%d %H:%M:%S"


def first_key(kind: str) -> str:
    return f"sync:{kind}:pbx_first"


def generation_key(kind: str) -> str:
    return f"sync:{kind}:id_generation"


def id_prefix(store: Store, kind: str) -> str:
    """The key prefix of the rows of a table's current id generation ('' for the first one)."""
    generation = store.catalog.get_state(generation_key(kind)) or "0"
    return "" if generation == "0" else f"{generation}:"


@dataclass
class Look:
    """What one look at a PBX table found: notices to show, whether its ids started again, and what
    to remember as its earliest row after the run ('' = the table is empty)."""

    notices: list[str]
    restarted: bool
    first: str


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    try:
        return pd.Timestamp(value).strftime(TS)
    except (ValueError, TypeError):
        return str(value)


class Queries(Protocol):
    def scalar(self, sql: str, args: tuple = ()) -> object: ...

    def first_row(self) -> tuple | None: ...


def state_name(store: Store, kind: str, table: str) -> str:
    """The name a PBX table's sync state is kept under: ``cdr`` for the table the store was first
    synced from, ``cdr@cdr_archive`` for another one (an archive read once for a gap), so that
    reading another table neither starts from nor moves the watermark of the usual one."""
    first = store.catalog.get_state(f"sync:{kind}:table")
    if not first:
        store.catalog.set_state(f"sync:{kind}:table", table)
        return kind
    return kind if first == table else f"{kind}@{table}"


def look(store: Store, shape: TableShape, pbx: Queries, saved: str, valid: tuple[str, str], *, by_id: bool,
         name: str) -> Look:
    """Compare what the PBX table holds now with what it held at the last run.

    ``pbx`` runs the queries (:class:`atsnb.sync.pbx.TableReader`), ``saved`` is the table's
    watermark (an id when ``by_id``, else a time), ``valid`` the range of possible times, ``name``
    the table's :func:`state_name`.  Nothing is changed here; the caller applies the result
    (:func:`remember`, :func:`start_generation`)."""
    kind = shape.kind
    before = store.catalog.get_state(first_key(name)) or ""
    notices: list[str] = []
    if by_id:
        found = pbx.first_row()
        first = "" if found is None else f"{found[0]}@{_text(found[1])}"
        if saved.isdigit() and first != before:
            newest = pbx.scalar(f"SELECT MAX({_q(shape.id_column)}) FROM {_q(shape.table)}")
            if newest is not None and int(str(newest)) < int(saved):
                notices.append(t("sync.ids_restarted", table=shape.table, newest=newest, saved=saved))
                log.warning(notices[-1])
                return Look(notices, True, first)
        first_time, before_time = first.partition("@")[2], before.partition("@")[2]
    else:
        time = _q(shape.time_column)
        first = first_time = _text(pbx.scalar(
            f"SELECT MIN({time}) FROM {_q(shape.table)} WHERE {time} >= %s AND {time} < %s", valid))
        before_time = before
    if before and not first:
        notices.append(t("sync.table_emptied", table=shape.table, was=before_time))
    elif before_time and first_time and first_time > before_time:
        notices.append(t("sync.table_purged", table=shape.table, now=first_time, was=before_time))
        if not by_id and saved and first_time > saved:
            notices.append(t("sync.table_gap", table=shape.table, since=saved, until=first_time,
                             setting=f"tables.{kind}"))
    for notice in notices:
        log.warning(notice)
    return Look(notices, False, first)


def start_generation(store: Store, kind: str, watermark: str, first: str) -> str:
    """A table's ids started again: its rows from now on form a new generation, read from
    ``watermark`` (the start).  The watermark, the generation and the first row are saved in one
    transaction — a run killed in between must neither read the new rows under the old keys nor
    start yet another generation.  Returns the new generation's key prefix."""
    generation = int(store.catalog.get_state(generation_key(kind)) or "0") + 1
    store.catalog.set_states({watermark_key(kind): watermark, generation_key(kind): str(generation),
                              first_key(kind): first})
    return f"{generation}:"


def remember(store: Store, kind: str, first: str) -> None:
    """Keep what the table holds now, for the next run's look (so a notice is given once)."""
    if (store.catalog.get_state(first_key(kind)) or "") != first:
        store.catalog.set_state(first_key(kind), first)


def watermark_key(kind: str) -> str:
    return f"sync:{kind}:watermark"


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
