"""Rows collected by the simulated PBX → DataFrames laid out like the PBX tables of each flavour.

Everything here is vectorised: epoch seconds become naive local datetimes (as MySQL returns them)
in one pass per column, and the per-flavour layouts are column selections of one wide frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.simulate.pbx import CDR_FIELDS, CEL_FIELDS, QLOG_FIELDS
from atsnb.source.schemas import (
    CALLBACKS_COLUMNS,
    CDR_FLAVOURS,
    CEL_COLUMNS,
    QUEUE_LOG_COLUMNS,
    QUEUE_LOG_SINGLE_DATA,
    RATINGS_COLUMNS,
)

RATING_FIELDS = ("rated_at", "linkedid", "uniqueid", "extension", "number", "rating", "question")
CALLBACK_FIELDS = ("requested_at", "site", "page", "utm_source", "utm_medium", "utm_campaign", "utm_content",
                   "utm_term", "number", "extension", "status", "called_at", "connected_at", "linkedid")
AMAFLAGS_DOCUMENTATION = 3  # include/asterisk/channel.h: 1 OMIT, 2 BILLING, 3 DOCUMENTATION


def to_local(epoch: np.ndarray | pd.Series, tz: str, *, whole_seconds: bool = True) -> pd.Series:
    """Epoch seconds → naive local datetimes in ``tz`` (NaN → NaT), truncated to seconds by default."""
    values = np.asarray(epoch, dtype=float)
    if whole_seconds:
        values = np.floor(values)
    utc = pd.to_datetime(pd.Series(values), unit="s", utc=True)
    return utc.dt.tz_convert(tz).dt.tz_localize(None)


def _in_time_order(rows: list[tuple], fields: tuple[str, ...], tz: str, times: tuple[str, ...], *,
                   whole_seconds: bool = True) -> pd.DataFrame:
    """A log table as the PBX inserts it: rows ordered by the first of ``times``, ``id`` counting
    from 1 in that order (the auto-increment key), every column of ``times`` as local datetimes."""
    raw = pd.DataFrame.from_records(rows, columns=list(fields))
    raw = raw.sort_values(times[0], kind="stable").reset_index(drop=True)
    for col in times:
        raw[col] = to_local(raw[col].to_numpy(float), tz, whole_seconds=whole_seconds)
    raw["id"] = np.arange(1, len(raw) + 1, dtype=np.int64)
    return raw


def cdr_frame(rows: list[tuple], tz: str, flavour: str, *, twice: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """The CDR table of ``flavour`` in the order Asterisk wrote the rows (at Party A's hang-up),
    and the epoch second each row was written.  ``twice``: two CDR writers (cdr_mysql and
    cdr_adaptive_odbc) on one table, so every row follows itself with the same values."""
    raw = pd.DataFrame.from_records(rows, columns=list(CDR_FIELDS))
    raw = raw.sort_values(["written", "sequence"], kind="stable").reset_index(drop=True)
    if twice:
        raw = raw.loc[raw.index.repeat(2)].reset_index(drop=True)
    written = raw["written"].to_numpy(float)
    start, answer, end = (raw[c].to_numpy(float) for c in ("start", "answer", "end"))
    wide = raw.drop(columns=["written"])
    wide["duration"] = np.floor(end - start).astype(np.int64)
    # Asterisk truncates toward zero and never answers a row after it ended: billsec is never negative.
    wide["billsec"] = np.where(np.isnan(answer), 0,
                               np.clip(np.floor(end - np.nan_to_num(answer, nan=0.0)), 0, None)).astype(np.int64)
    wide["calldate"] = to_local(start, tz)
    wide["start"] = wide["calldate"]
    wide["answer"] = to_local(answer, tz)
    wide["end"] = to_local(end, tz)
    wide["accountcode"] = ""
    wide["userfield"] = ""
    wide["peeraccount"] = ""
    if flavour == "asterisk":
        wide["amaflags"] = "DOCUMENTATION"
    else:
        wide["amaflags"] = AMAFLAGS_DOCUMENTATION
    wide["sequence"] = wide["sequence"].astype(np.int64)
    return wide[[c for c, _ in CDR_FLAVOURS[flavour]]], written


def cel_frame(rows: list[tuple], tz: str, extra_column: str = "extra") -> pd.DataFrame:
    """CEL events ordered by time (``id`` = insertion order), second-resolution ``eventtime``."""
    raw = _in_time_order(rows, CEL_FIELDS, tz, ("eventtime",))
    raw["amaflags"] = AMAFLAGS_DOCUMENTATION
    raw["accountcode"] = ""
    raw["userdeftype"] = ""
    out = raw[[c for c, _ in CEL_COLUMNS]]
    return out.rename(columns={"extra": extra_column}) if extra_column != "extra" else out


def queue_log_frame(rows: list[tuple], tz: str, layout: str = "split") -> pd.DataFrame:
    """queue_log lines; ``time`` is text ``YYYY-MM-DD HH:MM:SS.ffffff`` as the realtime driver writes it.

    ``layout`` ``single``: one ``data`` column holding the event's fields joined with ``|``, as the
    realtime driver stores them when the table has no data1..data5 (no event ends with an empty
    field, so the empty tail of the five is not part of it)."""
    raw = _in_time_order(rows, QLOG_FIELDS, tz, ("time",), whole_seconds=False)
    raw["time"] = raw["time"].dt.strftime("%Y-%m-%d %H:%M:%S.%f")
    if layout == "single":
        fields = [f"data{i}" for i in range(1, 6)]
        raw["data"] = raw[fields[0]].str.cat(raw[fields[1:]], sep="|").str.rstrip("|")
        return raw[[c for c, _ in QUEUE_LOG_SINGLE_DATA]]
    return raw[[c for c, _ in QUEUE_LOG_COLUMNS]]


def ratings_frame(rows: list[tuple], tz: str) -> pd.DataFrame:
    raw = _in_time_order(rows, RATING_FIELDS, tz, ("rated_at",))
    raw["rating"] = raw["rating"].astype(np.int64)
    return raw[[c for c, _ in RATINGS_COLUMNS]]


def callbacks_frame(rows: list[tuple], tz: str) -> pd.DataFrame:
    raw = _in_time_order(rows, CALLBACK_FIELDS, tz, ("requested_at", "called_at", "connected_at"))
    return raw[[c for c, _ in CALLBACKS_COLUMNS]]


def truth_frame(rows: list[tuple], fields: tuple[str, ...], tz: str) -> pd.DataFrame:
    raw = pd.DataFrame.from_records(rows, columns=list(fields))
    raw = raw.sort_values("start", kind="stable").reset_index(drop=True)
    for col in ("start", "answer", "end"):
        raw[col] = to_local(raw[col].to_numpy(float), tz, whole_seconds=False)
    raw["transfers"] = raw["transfers"].astype(np.int64)
    return raw
