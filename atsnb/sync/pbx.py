"""Incremental sync from the PBX database into the store.

How rows are read — every query is bounded, none scans "everything since":

* tables with an auto-increment ``id`` where rows only ever get appended (CEL, queue_log):
  keyset pages ``WHERE id > last ORDER BY id LIMIT n``; the watermark is the last id stored.
  A few ids are re-read each run in case a transaction committed out of order.
* the others (CDR, which has no id; ratings and callbacks, whose rows may be updated): time
  windows ``WHERE t >= lo AND t < hi`` on the time column's index.  A window never crosses a
  month, its length adapts so it holds about ``sync.batch_rows`` rows, and a window with more than
  four times that is halved and read again, so memory stays bounded.  The watermark is the end of
  the last window stored; each run re-reads ``sync.overlap_s`` before it to catch rows the PBX
  wrote late (CDR rows are written at hang-up, after the call's start time).

Every query runs through :class:`~atsnb.source.mysql.Reconnecting`: a dropped connection is
reported, retried with backoff and the unit re-read.  Rows are streamed (``SSCursor``,
``fetchmany``) and upserts are idempotent on ``_key``, so a killed run is simply run again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

import pandas as pd
import pymysql
import pymysql.cursors
from tqdm import tqdm

from atsnb.config import Settings
from atsnb.errors import SchemaError
from atsnb.i18n import t
from atsnb.source.mysql import Reconnecting
from atsnb.source.shape import LOGICAL_TABLES, TableShape, detect_shape
from atsnb.store import Store
from atsnb.sync.ahead import read_ahead
from atsnb.sync.history import id_prefix, look, remember, start_generation, state_name, watermark_key
from atsnb.sync.normalise import EARLIEST, LATEST, LISTED, IngestReport, normalise, row_label
from atsnb.sync.packed import packed_select, unpack
from atsnb.sync.writer import SyncReport, TableWriter

log = logging.getLogger(__name__)

APPEND_ONLY = frozenset({"cel", "queue_log"})
ID_OVERLAP = 1000  # ids re-read each run: inserts that committed out of id order
SLOW_CHANGING = {"ratings": 2 * 86400, "callbacks": 2 * 86400}  # re-read window, s: statuses change later
MAX_WINDOW = pd.Timedelta(days=31)
MIN_WINDOW = pd.Timedelta(seconds=1)
# Rows dated after "now" (PBX zone) wait for their time: the watermark must never run ahead of the
# clock, or rows written later with earlier times would fall behind the overlap and be missed.
FUTURE_SLACK = pd.Timedelta(seconds=1)
TS = "%Y-%m-%d %H:%M:%S"
# Every time query is bounded by [EARLIEST, LATEST): a text time column may hold garbage that sorts last.
VALID = (EARLIEST.strftime(TS), LATEST.strftime(TS))

Batch = tuple[pd.DataFrame | None, object]  # (rows, None) while reading, (None, position) when a unit is done


def _frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """Driver tuples → a frame of object columns (normalise() gives them their types)."""
    if not rows:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    values = zip(*rows, strict=True)
    return pd.DataFrame({name: pd.Series(col, dtype=object) for name, col in zip(columns, values, strict=True)})


def _q(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class TableReader:
    """Bounded, restartable reads of one PBX table (see the module docstring)."""

    def __init__(self, pbx: Reconnecting, shape: TableShape, settings: Settings):
        self.pbx, self.shape, self.settings = pbx, shape, settings
        self.batch = max(1, settings.sync.batch_rows)
        self.columns = list(dict.fromkeys(shape.source.values()))
        self.select = ", ".join(_q(c) for c in self.columns)
        self.packed_select = packed_select([_q(c) for c in self.columns])
        self.packed = True
        self.table = _q(shape.table)
        self.time = _q(shape.time_column)
        self.force = f" FORCE INDEX ({_q(shape.time_index)})" if shape.time_index else ""

    def scalar(self, sql: str, args: tuple = ()) -> object:
        def work(con: pymysql.Connection) -> object:
            with con.cursor() as cur:
                cur.execute(sql, args)
                row = cur.fetchone()
                return row[0] if row else None
        return self.pbx.run(work)

    def fetch(self, sql: str, args: tuple, cap: int | None = None) -> list[pd.DataFrame]:
        """Stream one bounded query (``{select}`` in ``sql``) into frames of at most ``batch`` rows.

        Rows come packed (:mod:`atsnb.sync.packed`) unless a value defeats the packing, then this
        table is read the plain way from here on.  The whole query is re-run after a dropped connection.
        """
        def work(con: pymysql.Connection) -> list[pd.DataFrame] | None:
            frames, seen = [], 0
            packed = self.packed
            with con.cursor(pymysql.cursors.SSCursor) as cur:
                cur.execute(sql.format(select=self.packed_select if packed else self.select), args)
                while rows := cur.fetchmany(self.batch):
                    frame = unpack(rows, self.columns) if packed else _frame(rows, self.columns)
                    if frame is None:
                        return None
                    frames.append(frame)
                    seen += len(rows)
                    if cap is not None and seen > cap:
                        break  # the caller will shrink the window; closing the cursor drains the rest
            return frames
        frames = self.pbx.run(work)
        if frames is None:
            log.info("%s: a value contains the packing separator; reading this table column by column",
                     self.shape.table)
            self.packed = False
            frames = self.pbx.run(work)
        return frames

    # -- append-only tables: keyset pages on id ---------------------------------------------------
    def id_pages(self, after: int) -> Iterator[Batch]:
        limit = self.batch * 4
        sql = f"SELECT {{select}} FROM {self.table} WHERE {_q(self.shape.id_column)} > %s ORDER BY " \
              f"{_q(self.shape.id_column)} LIMIT {limit}"
        while True:
            frames = self.fetch(sql, (after,))
            rows = sum(len(f) for f in frames)
            if not rows:
                return
            after = max(int(pd.to_numeric(f[self.shape.id_column]).max()) for f in frames)
            for f in frames:
                yield f, None
            yield None, after
            if rows < limit:
                return

    def id_pending(self, after: int) -> int:
        return int(self.scalar(f"SELECT COUNT(*) FROM {self.table} WHERE {_q(self.shape.id_column)} > %s",
                               (after,)) or 0)

    # -- everything else: time windows ---------------------------------------------------------
    def bounds(self, since: pd.Timestamp | None) -> tuple[pd.Timestamp | None, pd.Timestamp]:
        """First time to read (None: nothing to read) and the end of this run's range."""
        low = (since or EARLIEST).strftime(TS)
        valid = f"FROM {self.table} WHERE {self.time} >= %s AND {self.time} < %s"
        first = self.scalar(f"SELECT MIN({self.time}) {valid}", (low, VALID[1]))
        last = self.scalar(f"SELECT MAX({self.time}) {valid}", (low, VALID[1]))
        if first is None or last is None:
            return None, since or EARLIEST
        now = pd.Timestamp(datetime.now(self.settings.tz).replace(tzinfo=None))
        last_at = _ts(last, upper=True)
        end = min(last_at.floor("s") + MIN_WINDOW, now.floor("s") + FUTURE_SLACK)
        if end <= last_at:
            count, rows = self.future(end)
            log.warning(t("sync.future_rows", table=self.shape.table, after=end.strftime(TS), count=count,
                          rows="; ".join(rows) + ("; …" if count > len(rows) else "")))
        first_at = _ts(first).floor("s")
        start = max(first_at, since) if since is not None else first_at
        return start, end

    def future(self, end: pd.Timestamp) -> tuple[int, list[str]]:
        """How many rows are dated from ``end`` on (a PBX clock ahead of ours), and the first few named."""
        args = (end.strftime(TS), VALID[1])
        where = f"FROM {self.table} WHERE {self.time} >= %s AND {self.time} < %s"
        count = int(self.scalar(f"SELECT COUNT(*) {where}", args) or 0)
        frames = self.fetch(f"SELECT {{select}} {where} ORDER BY {self.time} LIMIT {LISTED}", args)
        return count, [row_label(f, self.shape, pos) for f in frames for pos in range(len(f))]

    def first_row(self) -> tuple | None:
        """The id and time of the table's first row by id (None when the table is empty)."""
        ident = _q(self.shape.id_column)

        def work(con: pymysql.Connection) -> tuple | None:
            with con.cursor() as cur:
                cur.execute(f"SELECT {ident}, {self.time} FROM {self.table} ORDER BY {ident} LIMIT 1")
                return cur.fetchone()
        return self.pbx.run(work)

    def window_pending(self, start: pd.Timestamp, end: pd.Timestamp) -> int:
        return int(self.scalar(f"SELECT COUNT(*) FROM {self.table} WHERE {self.time} >= %s AND {self.time} < %s",
                               (start.strftime(TS), end.strftime(TS))) or 0)

    def undated(self) -> Iterator[Batch]:
        """Rows whose time is empty or impossible: read once on the first import, so they are reported."""
        sql = (f"SELECT {{select}} FROM {self.table} WHERE {self.time} IS NULL OR {self.time} < %s "
               f"OR {self.time} >= %s LIMIT {self.batch}")
        for f in self.fetch(sql, VALID):
            yield f, None

    def windows(self, start: pd.Timestamp, end: pd.Timestamp) -> Iterator[Batch]:
        cap = self.batch * 4
        span = pd.Timedelta(days=1)
        sql = f"SELECT {{select}} FROM {self.table}{self.force} WHERE {self.time} >= %s AND {self.time} < %s"
        lo = start
        while lo < end:
            hi = min(lo + span, (lo.to_period("M") + 1).to_timestamp(), end)
            args = (lo.strftime(TS), hi.strftime(TS))
            if hi - lo > MIN_WINDOW:
                frames = self.fetch(f"{sql} LIMIT {cap + 1}", args, cap=cap)
                rows = sum(len(f) for f in frames)
                if rows > cap:
                    span = max(MIN_WINDOW, (hi - lo) / 4)
                    continue
            else:  # one second of rows: nothing smaller to split into
                frames = self.fetch(sql, args)
                rows = sum(len(f) for f in frames)
            for f in frames:
                yield f, None
            yield None, hi
            if rows:
                rate = rows / (hi - lo).total_seconds()
                span = min(MAX_WINDOW, max(MIN_WINDOW, pd.Timedelta(seconds=round(self.batch / rate))))
                lo = hi
                continue
            nxt = self.scalar(f"SELECT MIN({self.time}) FROM {self.table} WHERE {self.time} >= %s "
                              f"AND {self.time} < %s", (args[1], VALID[1]))
            if nxt is None:
                return
            lo, span = max(hi, _ts(nxt).floor("s")), pd.Timedelta(days=1)


def _ts(value: object, *, upper: bool = False) -> pd.Timestamp:
    """A time the server sent as a bound (MIN, MAX) of a time column.

    In a text column that bound may be no time at all (``2025-02-30``, ``2025-07-xx``): MySQL
    orders text, not times.  Then the month or year it begins with stands for it — its start for a
    lower bound, the start of the next one for an upper bound — so the windows still cover the
    row, and reading it is what reports it (and skips it)."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes | bytearray) else value
    try:
        return pd.Timestamp(text)
    except (ValueError, TypeError):
        pass
    for width, step in ((7, pd.offsets.MonthBegin(1)), (4, pd.offsets.YearBegin(1))):
        try:
            start = pd.Timestamp(str(text)[:width])
        except (ValueError, TypeError):
            continue
        return start + step if upper else start
    return LATEST if upper else EARLIEST


def sync_table(store: Store, settings: Settings, pbx: Reconnecting, shape: TableShape, bar: tqdm) -> IngestReport:
    """Copy new rows of one PBX table into the store; returns what was read, kept, skipped, added."""
    kind = shape.kind
    reader = TableReader(pbx, shape, settings)
    writer = TableWriter(store, kind, flush_rows=reader.batch * 8)
    summary = IngestReport(kind)
    name = state_name(store, kind, shape.table)
    saved = store.catalog.get_state(watermark_key(name)) or ""
    seen = look(store, shape, reader, saved, VALID, by_id=kind in APPEND_ONLY and bool(shape.id_column), name=name)
    summary.notices = seen.notices
    if seen.restarted:  # the table was emptied or recreated: its new ids are read from the start
        saved = "0"
        prefix = start_generation(store, name, saved, seen.first)
    else:
        remember(store, name, seen.first)
        prefix = id_prefix(store, name)
    stream: Iterator[Batch]
    if kind in APPEND_ONLY and shape.id_column:
        done: object = int(saved) if saved.isdigit() else None
        after = max(0, int(saved) - ID_OVERLAP) if saved.isdigit() else 0
        if not bar.disable:  # counting costs a range scan; only a visible bar needs it
            bar.total = (bar.total or 0) + reader.id_pending(after)
        stream = reader.id_pages(after)
    else:
        done = pd.Timestamp(saved) if saved and not saved.isdigit() else None
        overlap = pd.Timedelta(seconds=max(settings.sync.overlap_s, SLOW_CHANGING.get(kind, 0)))
        since = done - overlap if done is not None else None
        start, end = reader.bounds(since)
        if start is None:
            stream = iter(())
        else:
            if not bar.disable:
                bar.total = (bar.total or 0) + reader.window_pending(start, end)
            stream = reader.windows(start, end)
            if since is None:
                stream = _chain(reader.undated(), stream)
    bar.refresh()
    stored = done
    for frame, position in read_ahead(stream):
        if frame is not None:
            df, part = normalise(frame, shape, prefix)
            summary.merge(part)
            bar.update(part.received)
            if writer.add(df):
                stored = _save(store, name, stored, done)
        else:
            done = position if done is None else max(done, position)
    writer.flush()
    _save(store, name, stored, done)
    summary.added = writer.added
    return summary


def _chain(*streams: Iterator[Batch]) -> Iterator[Batch]:
    for stream in streams:
        yield from stream


def _save(store: Store, name: str, stored: object, position: object) -> object:
    """Persist the watermark ``position`` (every row before it is in the store) if it moved."""
    if position is None or position == stored:
        return stored
    value = position.strftime(TS) if isinstance(position, pd.Timestamp) else str(position)
    store.catalog.set_state(watermark_key(name), value)
    return position


def copy_from_pbx(settings: Settings, store: Store, *, progress: bool = False,
                  derive: Callable[[], int] | None = None) -> SyncReport:
    """One incremental copy of every PBX table found into the store, under its write lock.

    The sync copies and marks where calls must be re-derived; it derives nothing itself.  The
    caller's ``derive`` step (:func:`atsnb.flow.sync_pbx` passes the calls layer's) runs under the
    same lock before the copy, for what a killed run left pending, and after it."""
    report = SyncReport()
    pbx = Reconnecting(settings)
    try:
        shape = pbx.run(lambda con: detect_shape(con, settings))
        if "cdr" not in shape:
            raise SchemaError(t("sync.no_cdr", table=settings.tables.cdr or "cdr"))
        with store.writing(), tqdm(total=0, unit="rows", disable=not progress, desc="sync") as bar:
            report.derive(derive)
            for kind in LOGICAL_TABLES:
                if kind in shape:
                    bar.set_description(f"sync {kind}")
                    report.tables[kind] = sync_table(store, settings, pbx, shape[kind], bar)
            report.derive(derive)
    finally:
        report.retries = pbx.retries
        pbx.close()
    return report.finish()
