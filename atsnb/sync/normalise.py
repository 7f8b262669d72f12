"""Turn a frame of PBX rows (any flavour) into canonical store rows, and write them.

:func:`ingest` is the one path every row takes into the store — the PBX sync and the simulator
alike.  It never stops on a bad row: a row whose time is missing or impossible is skipped, a
value that is NULL where a value belongs, text in a number column or an unknown disposition is
repaired; either way the row's key and the reason are logged, and the good rows around it land.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.config import Settings
from atsnb.source.canonical import (
    AMAFLAG_CODES,
    CANONICAL,
    DISPOSITION_CODES,
    DISPOSITIONS,
    TIME_COLUMN,
    CanonicalColumn,
)
from atsnb.source.shape import Shape, TableShape
from atsnb.store import Store

log = logging.getLogger(__name__)

EARLIEST = pd.Timestamp("1990-01-01")  # anything older is a default or garbage, not a call
LOGGED_PER_BATCH = 20  # problems logged one by one per batch; the rest are counted


@dataclass
class IngestReport:
    """What happened to one batch (or, summed, one table) on its way into the store."""

    table: str
    received: int = 0
    kept: int = 0
    added: int = 0
    skipped: int = 0
    repaired: int = 0
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    problems: list[str] = field(default_factory=list)

    def merge(self, other: IngestReport) -> None:
        self.received += other.received
        self.kept += other.kept
        self.added += other.added
        self.skipped += other.skipped
        self.repaired += other.repaired
        if other.first is not None:
            self.first = other.first if self.first is None else min(self.first, other.first)
        if other.last is not None:
            self.last = other.last if self.last is None else max(self.last, other.last)
        room = LOGGED_PER_BATCH - len(self.problems)
        if room > 0:
            self.problems.extend(other.problems[:room])


class _Problems:
    """Bad rows of one batch: which to skip, how many repaired, and a message naming each row's key."""

    def __init__(self, kind: str, frame: pd.DataFrame, shape: TableShape):
        self.kind, self.frame, self.shape = kind, frame, shape
        self.skip = np.zeros(len(frame), dtype=bool)
        self.repaired = np.zeros(len(frame), dtype=bool)
        self.messages: list[str] = []

    def label(self, pos: int) -> str:
        keys = {"cdr": ["uniqueid", "sequence", "calldate"], "cel": ["id"], "queue_log": ["id", "callid", "time"],
                "ratings": ["id"], "callbacks": ["id"]}[self.kind]
        parts = []
        for name in keys:
            src = self.shape.source.get(name)
            if src in self.frame.columns:
                value = self.frame[src].iloc[pos]
                parts.append(f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}")
        return f"{self.kind} row " + " ".join(parts)

    def add(self, mask: np.ndarray, what: str, *, skip: bool) -> None:
        if not mask.any():
            return
        (self.skip if skip else self.repaired)[mask] = True
        action = "skipped" if skip else "repaired"
        for pos in np.flatnonzero(mask)[: LOGGED_PER_BATCH - len(self.messages)]:
            self.messages.append(f"{self.label(int(pos))}: {what}; {action}")


def _is_blank(raw: pd.Series) -> np.ndarray:
    blank = raw.isna().to_numpy().copy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        blank |= (raw.astype("str").str.strip() == "").fillna(True).to_numpy()
    return blank


def _text(raw: pd.Series | None, n: int) -> pd.Series:
    if raw is None:
        return pd.Series([""] * n, dtype="str")
    if pd.api.types.is_string_dtype(raw.dtype) and raw.dtype != object:
        return raw.fillna("").reset_index(drop=True)
    values = raw.reset_index(drop=True)
    if pd.api.types.is_float_dtype(values.dtype):  # whole numbers that pandas widened to float by a NaN
        values = values.astype("Int64")
    return pd.Series(values.to_numpy(dtype=object), dtype="str").fillna("")


def _times(raw: pd.Series | None, n: int, col: CanonicalColumn, problems: _Problems, *, required: bool) -> pd.Series:
    if raw is None:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[us]")
    raw = raw.reset_index(drop=True)
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        parsed = raw.dt.tz_localize(None)
    elif pd.api.types.is_datetime64_dtype(raw.dtype):
        parsed = raw
    else:
        parsed = pd.to_datetime(raw, errors="coerce", format="ISO8601")
    parsed = parsed.astype("datetime64[us]")
    bad = parsed.isna().to_numpy() | (parsed < EARLIEST).fillna(False).to_numpy()
    if not bad.any():
        return parsed
    blank = _is_blank(raw)
    if required:
        problems.add(bad & blank, f"{col.name} is empty", skip=True)
        problems.add(bad & ~blank, f"{col.name} is an impossible date", skip=True)
    else:
        zero = raw.astype("str").str.startswith("0000-00-00").fillna(False).to_numpy()
        problems.add(bad & ~blank & ~zero, f"{col.name} is an impossible date, left empty", skip=False)
    return parsed.mask(bad)


def _numbers(raw: pd.Series | None, n: int, col: CanonicalColumn, problems: _Problems) -> pd.Series:
    if raw is None:
        return pd.Series(np.zeros(n, dtype=np.int64)) if col.kind == "int" else pd.Series([pd.NA] * n, dtype="Int64")
    raw = raw.reset_index(drop=True)
    if pd.api.types.is_integer_dtype(raw.dtype):
        values = raw.astype("Int64")
    else:
        values = _plain_integers(raw)
        if values is None:
            values = pd.to_numeric(raw, errors="coerce").round().astype("Int64")
    missing = values.isna().to_numpy()
    if missing.any():
        blank = _is_blank(raw)
        problems.add(missing & ~blank, f"{col.name} is not a number", skip=False)
        if col.kind == "int":
            problems.add(missing & blank, f"{col.name} is empty, set to 0", skip=False)
    return values.fillna(0).astype(np.int64) if col.kind == "int" else values


def _plain_integers(raw: pd.Series) -> pd.Series | None:
    """Text that is nothing but integers (or NULL), as a PBX's packed rows bring every number,
    parsed in Arrow: ``pd.to_numeric`` on text costs more than the rest of the normalisation.
    None when any value is anything else (a fraction, spaces, a word): pandas parses those."""
    if not pd.api.types.is_string_dtype(raw.dtype) or raw.dtype == object:
        return None
    text = pa.array(raw)
    plain = pc.match_substring_regex(text, r"^-?[0-9]{1,15}$")
    if not pc.all(plain.fill_null(True)).as_py():
        return None
    return pd.Series(pd.array(pc.cast(text, pa.int64()), dtype="Int64"))


def _amaflags(raw: pd.Series | None, n: int) -> pd.Series:
    text = _text(raw, n).str.strip().str.upper()
    return text.replace(AMAFLAG_CODES)


def _disposition(raw: pd.Series | None, n: int, billsec: pd.Series | None, problems: _Problems) -> pd.Series:
    text = _text(raw, n).str.strip().str.upper().replace(DISPOSITION_CODES)
    unknown = ~text.isin(DISPOSITIONS).to_numpy()
    if unknown.any():
        answered = (billsec > 0).to_numpy() if billsec is not None else np.zeros(n, dtype=bool)
        guess = pd.Series(np.where(answered, "ANSWERED", "NO ANSWER"), dtype="str")
        problems.add(unknown, "unknown disposition, inferred from billsec", skip=False)
        text = text.where(~unknown, guess)
    return text


def _split_data(raw: pd.Series | None, n: int) -> dict[str, pd.Series]:
    """queue_log with one ``data`` column: split on ``|``, the 5th part keeps the remainder."""
    parts = _text(raw, n).str.split("|", n=4, expand=True, regex=False)
    out = {}
    for i in range(5):
        name = f"data{i + 1}"
        out[name] = parts[i].fillna("").astype("str") if i in parts.columns else pd.Series([""] * n, dtype="str")
    return out


def row_hash(df: pd.DataFrame) -> pd.Series:
    """A stable 16-hex-digit hash of each row's canonical values (for tables without a natural key)."""
    as_text = pd.DataFrame({c: df[c].astype("str").fillna("") for c in df.columns})
    hashed = pd.util.hash_pandas_object(as_text, index=False).to_numpy()
    return pd.Series([f"{h:016x}" for h in hashed.tolist()], dtype="str")


def _keys(kind: str, df: pd.DataFrame, shape: TableShape) -> pd.Series:
    if kind == "cdr" and "sequence" in shape.source:
        has_seq = df["sequence"].notna().to_numpy()
        key = df["uniqueid"] + "/" + df["sequence"].astype("str")
        if not has_seq.all():
            key = key.where(has_seq, "h:" + row_hash(df))
        return key.astype("str")
    if "id" in shape.source:
        return df["id"].astype("str")
    return ("h:" + row_hash(df)).astype("str")


def normalise(frame: pd.DataFrame, shape: TableShape) -> tuple[pd.DataFrame, IngestReport]:
    """PBX-named rows of one table → canonical rows with ``_key``; bad rows skipped or repaired."""
    kind = shape.kind
    n = len(frame)
    report = IngestReport(kind, received=n)
    problems = _Problems(kind, frame.reset_index(drop=True), shape)
    frame = problems.frame
    time_col = TIME_COLUMN[kind]

    def raw(name: str) -> pd.Series | None:
        src = shape.source.get(name)
        return frame[src] if src is not None and src in frame.columns else None

    out: dict[str, pd.Series] = {}
    split = _split_data(raw("data"), n) if "data" in shape.source else {}
    for col in CANONICAL[kind]:
        if col.kind == "time":
            out[col.name] = _times(raw(col.name), n, col, problems, required=col.name == time_col)
        elif col.name == "id":  # the natural key: a row without one cannot be stored
            out["id"] = _numbers(raw("id"), n, CanonicalColumn("id", "nint"), problems)
            if col.kind == "int":
                problems.add(out["id"].isna().to_numpy(), "id is empty", skip=True)
        elif col.kind in {"int", "nint"}:
            out[col.name] = _numbers(raw(col.name), n, col, problems)
        elif col.kind == "amaflags":
            out[col.name] = _amaflags(raw(col.name), n)
        elif col.kind == "disposition":
            out[col.name] = _disposition(raw(col.name), n, out.get("billsec"), problems)
        else:
            out[col.name] = split[col.name] if col.name in split else _text(raw(col.name), n)
    df = pd.DataFrame(out)
    df["_key"] = _keys(kind, df, shape)
    df = df[~problems.skip].reset_index(drop=True)
    if {c.name: c.kind for c in CANONICAL[kind]}.get("id") == "int":
        df["id"] = df["id"].astype(np.int64)
    report.kept = len(df)
    report.skipped = int(problems.skip.sum())
    report.repaired = int((problems.repaired & ~problems.skip).sum())
    report.problems = problems.messages
    for message in problems.messages:
        log.warning(message)
    hidden = report.skipped + report.repaired - len(problems.messages)
    if hidden > 0:
        log.warning("%s: %d more bad rows not listed one by one", kind, hidden)
    if len(df):
        report.first, report.last = df[time_col].min(), df[time_col].max()
    return df, report


def ingest(store: Store, settings: Settings, table: str, frame: pd.DataFrame, shape: Shape) -> IngestReport:
    """Normalise ``frame`` (PBX column names of ``shape[table]``) and upsert it; the caller holds the lock."""
    df, report = normalise(frame, shape[table])
    report.added = store.table(table).upsert(df)
    return report
