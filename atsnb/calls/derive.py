"""Keeping the ``calls`` and ``steps`` tables of the store in step with the raw records.

The sync marks where new raw rows landed (:mod:`atsnb.store.pending`); :func:`derive_pending`
re-derives the calls from that mark on, a month at a time, through :func:`update_calls`.  A leg
written minutes after its call began (a transfer, Asterisk writing rows at hang-up, out of order)
changes that call, so every call touched by a new row is re-derived from *all* its legs, read
back from the store.
"""

from __future__ import annotations

import logging
import sqlite3

import numpy as np
import pandas as pd
import pyarrow as pa

from atsnb.calls.answers_column import ANSWER_STEP_COLUMNS, ANSWERS, pack_answers
from atsnb.calls.primary import not_seen_later
from atsnb.calls.reached_column import REACH_STEP_COLUMNS, REACHED, pack_reached
from atsnb.calls.reading import recorded_topology
from atsnb.calls.reconstruct import reconstruct
from atsnb.calls.topology import Topology
from atsnb.config import Settings
from atsnb.store import Store
from atsnb.store.pending import calls_pending_since, set_calls_pending
from atsnb.vectors import text_in

log = logging.getLogger(__name__)

# Legs of one call can start this long before the first new row (a long call, a late transfer leg).
CALL_MARGIN = pd.Timedelta(hours=12)
FIRST_SEEN_TABLE = "calls_first_seen"
CEL_COLUMNS = ["eventtype", "eventtime", "uniqueid", "linkedid", "peer", "extra"]
CEL_EVENTS = {"BRIDGE_ENTER", "HANGUP", "LINKEDID_END", "BLINDTRANSFER", "ATTENDEDTRANSFER"}
QUEUE_LOG_COLUMNS = ["time", "callid", "agent", "event"]
QUEUE_LOG_EVENTS = {"CONNECT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "COMPLETECALLER",
                    "COMPLETEAGENT"}


def derive_pending(store: Store, settings: Settings) -> int:
    """Re-derive the calls the pending mark asks for, a month at a time; returns the calls updated.
    The caller holds the store's write lock.

    Month slices keep memory flat on a first import of years of history; the mark moves past
    each slice as it is done, so a killed run resumes where derivation stopped.
    """
    fill_columns(store)  # a store from before the answers or reached column: once, then only footers are read
    since = calls_pending_since(store)
    if since is None:
        return 0
    # what the copy before freed goes back to the system (under the sync's C allocator: malloc_trim)
    # rather than staying under the derivation's peak (docs/performance.md, "Sync")
    pa.default_memory_pool().release_unused()
    months = store.table("cdr").months()
    last = months[-1] if months else ""
    count = 0
    while True:
        until = (since.to_period("M") + 1).to_timestamp()
        more = until.strftime("%Y-%m") <= last
        count += int(update_calls(store, settings, since, until if more else None) or 0)
        if not more:
            break
        since = until
        set_calls_pending(store, since)
    set_calls_pending(store, None)
    return count


def update_calls(store: Store, settings: Settings, since: pd.Timestamp,
                 until: pd.Timestamp | None = None) -> int:
    """Re-derive every call having a leg at or after ``since`` (naive PBX-local); returns calls written.

    Reads the raw CDR from ``since − CALL_MARGIN`` on, keeps the calls that own a leg at or after
    ``since``, rebuilds them with CEL and queue_log of the same window, marks ``primary`` from the
    first-seen times of external numbers, and upserts ``calls`` and ``steps`` (replacing the old
    steps of re-derived calls).  The caller holds the store's write lock.

    ``until`` (optional, naive PBX-local) limits the work to calls starting before it, reading
    raw rows up to ``until + CALL_MARGIN`` only: the sync derives a big first import slice by
    slice so its memory does not grow with the history.
    """
    since = pd.Timestamp(since)
    if since.tzinfo is not None:
        since = since.tz_convert(settings.pbx.timezone).tz_localize(None)
    window_start = since - CALL_MARGIN
    window_end = None if until is None else pd.Timestamp(until) + CALL_MARGIN
    cdr = store.table("cdr").read(window_start, window_end)
    if cdr.empty:
        return 0
    topology = Topology.from_store(store, cdr)
    tz = settings.pbx.timezone
    result = reconstruct(
        cdr, topology,
        cel=_read(store, "cel", window_start, window_end, CEL_COLUMNS, "eventtype", CEL_EVENTS),
        queue_log=_read(store, "queue_log", window_start, window_end, QUEUE_LOG_COLUMNS, "event",
                        QUEUE_LOG_EVENTS),
        tz=tz, short_abandon_s=settings.thresholds.short_abandon_s,
    )
    since_aware = since.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    mine = result.calls["end"] >= since_aware
    if until is not None:
        mine &= result.calls["start"] < pd.Timestamp(until).tz_localize(tz, ambiguous=True,
                                                                          nonexistent="shift_forward")
    # the calls' ids hashed in Arrow: pandas' isin with a Python set took ~4 s of a year's import
    calls = result.calls[text_in(result.calls["call_id"], result.calls.loc[mine, "call_id"])].copy()
    steps = result.steps[text_in(result.steps["call_id"], calls["call_id"])]
    if calls.empty:
        return 0
    calls["primary"] = mark_primary(store, calls)
    write_calls(store, calls, steps, topology)
    log.info("calls: %d re-derived since %s", len(calls), since)
    return len(calls)


def _read(store: Store, name: str, start: pd.Timestamp, end: pd.Timestamp | None, columns: list[str], kind: str,
          kinds: set[str]) -> pd.DataFrame | None:
    """The witness rows reconstruction reads — CEL is several times larger than CDR, so only the
    columns and event types it uses are read (the types filtered while reading)."""
    table = store.table(name)
    if not table.months():
        return None
    df = table.read(start, end, columns=columns, where=[(kind, "in", sorted(kinds))])
    return None if df.empty else df


def write_calls(store: Store, calls: pd.DataFrame, steps: pd.DataFrame, topology: Topology | None = None) -> None:
    """Store derived ``calls`` with their whole routes ``steps``: the calls' stored steps replaced,
    the calls written with their ``answers`` and ``reached`` columns (:mod:`atsnb.calls.answers_column`,
    :mod:`atsnb.calls.reached_column`; ``topology`` names the members of queues and ring groups, the
    store's saved one without it).  The caller holds the store's write lock."""
    _replace_steps(store, steps, calls)
    topology = topology or Topology.from_store(store)
    store.table("calls").upsert(calls.assign(**{ANSWERS: pack_answers(calls, steps),
                                                REACHED: pack_reached(calls, steps, topology)}))


STORED_COLUMNS = (ANSWERS, REACHED)  # what the derivation adds to the calls beside the route's own columns
STEP_COLUMNS_READ = list(dict.fromkeys([*ANSWER_STEP_COLUMNS, *REACH_STEP_COLUMNS]))  # what the fill reads of the steps


def fill_columns(store: Store) -> int:
    """Give the calls stored before the ``answers`` or ``reached`` column existed their values, a
    month at a time, from their stored routes (queue members: the saved topology, else the one the
    month's records show, :func:`~atsnb.calls.reading.recorded_topology`); returns the months
    rewritten.  Cheap when there is nothing to do: only the files' footers are read.  The caller
    holds the store's write lock."""
    calls_table, steps_table = store.table("calls"), store.table("steps")
    lacking = sorted({m for column in STORED_COLUMNS for m in calls_table.months_lacking(column)})
    for month in lacking:
        calls = calls_table.read_month(month)
        if calls is None or calls.empty:
            continue
        # a call's steps lie in its own month or, for a call over the month's last midnight, the next
        after = (pd.Period(month, "M") + 1).strftime("%Y-%m")
        parts = [steps_table.read_month(m, STEP_COLUMNS_READ) for m in (month, after)]
        steps = pd.concat([p for p in parts if p is not None] or [pd.DataFrame(columns=STEP_COLUMNS_READ)],
                          ignore_index=True)
        first = pd.Period(month, "M").to_timestamp()
        topology = recorded_topology(store, first, first + pd.offsets.MonthBegin(1))
        calls_table.write_month(month, calls.assign(**{ANSWERS: pack_answers(calls, steps),
                                                       REACHED: pack_reached(calls, steps, topology)}))
    if lacking:
        log.info("calls: answers and reached filled in for %d months stored before those columns", len(lacking))
    return len(lacking)


def _replace_steps(store: Store, steps: pd.DataFrame, calls: pd.DataFrame) -> None:
    """Replace the stored steps of the re-derived calls (their count may have changed): their old
    steps removed from every month they can lie in, the new ones written, each month file once."""
    table = store.table("steps")
    first = (calls["start"].min() - CALL_MARGIN).strftime("%Y-%m")
    table.replace(steps, "call_id", calls["call_id"], months=[m for m in table.months() if m >= first])


def mark_primary(store: Store, calls: pd.DataFrame) -> np.ndarray:
    """``primary`` for each call: it is the first call ever seen with its external number.

    ``calls`` come from :func:`atsnb.reconstruct`, whose ``primary`` marks each number's first call
    within the window; the rule against history is :func:`atsnb.calls.primary.not_seen_later`.
    Each number's first call (start, call_id) is kept in a small SQLite table beside the catalog,
    so a 30-day report still knows a number first seen a year ago.  When a re-derived or late call
    turns out earlier than the stored first, it takes over and the old first call is demoted.
    """
    first = np.flatnonzero(calls["primary"].to_numpy(dtype=bool))  # reconstruct's: first in this window
    if not len(first):
        return np.zeros(len(calls), bool)
    cand = pd.DataFrame({"number": calls["external_number"].to_numpy(dtype=object)[first],
                         "first_us": calls["start"].array.as_unit("us").asi8[first],
                         "call_id": calls["call_id"].to_numpy(dtype=object)[first]})
    with store.catalog.connect() as con:
        con.execute(f"CREATE TABLE IF NOT EXISTS {FIRST_SEEN_TABLE} "
                    "(number TEXT PRIMARY KEY, first_us INTEGER NOT NULL, call_id TEXT NOT NULL)")
        stored = _stored_first(con, cand["number"].tolist())
        newer = not_seen_later(cand["number"].to_numpy(), cand["first_us"].to_numpy(), cand["call_id"].to_numpy(),
                               stored)
        winners = cand[newer]
        con.executemany(
            f"INSERT OR REPLACE INTO {FIRST_SEEN_TABLE}(number, first_us, call_id) VALUES (?, ?, ?)",
            zip(winners["number"].tolist(), winners["first_us"].astype(int).tolist(), winners["call_id"].tolist(),
                strict=True))
        merged = cand.merge(stored, on="number", how="left", suffixes=("", "_old"))
        demoted = merged[newer & merged["call_id_old"].notna().to_numpy() & (merged["call_id_old"] != merged["call_id"])
                         .to_numpy()]
    firsts = pd.concat([winners["call_id"], merged.loc[~newer, "call_id_old"]])
    out = text_in(calls["call_id"], firsts) & (calls["external_number"] != "").to_numpy(dtype=bool)
    if not demoted.empty:
        _demote(store, demoted, calls["call_id"])
    return out


def _stored_first(con: sqlite3.Connection, numbers: list[str]) -> pd.DataFrame:
    rows: list[tuple] = []
    for i in range(0, len(numbers), 500):
        chunk = numbers[i:i + 500]
        marks = ",".join("?" * len(chunk))
        rows += con.execute(f"SELECT number, first_us, call_id FROM {FIRST_SEEN_TABLE} WHERE number IN ({marks})",
                            chunk).fetchall()
    return pd.DataFrame(rows, columns=["number", "first_us", "call_id"]).astype({"first_us": "float64"})


def _demote(store: Store, demoted: pd.DataFrame, being_written: pd.Series) -> None:
    """Clear ``primary`` on stored calls that are no longer the first with their number.  Only the
    call ids of each month are read to look for them; a month is read whole only to rewrite it."""
    ids = demoted.loc[~text_in(demoted["call_id_old"], being_written), "call_id_old"]
    if ids.empty:
        return
    table = store.table("calls")
    for month in table.months():
        found = table.read_month(month, columns=["call_id"])
        if found is None or not text_in(found["call_id"], ids).any():
            continue
        old = table.read_month(month)
        hit = text_in(old["call_id"], ids) & old["primary"].to_numpy(dtype=bool)
        if hit.any():
            old.loc[hit, "primary"] = False
            table.write_month(month, old)
