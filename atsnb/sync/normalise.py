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
LATEST = pd.Timestamp("2100-01-01")  # anything later is garbage too, not a wrong clock
LISTED = 20  # problems a report lists (`atsnb sync --json`); every one is logged
NOT_UTF8 = "not_utf8"  # frame.attrs: positions of rows whose bytes were not UTF-8 (atsnb.sync.packed)
TEXT_OR_NUMBERS = frozenset({"string", "empty", "integer", "floating", "mixed-integer-float", "decimal", "boolean",
                             "datetime", "date", "time"})  # pandas' names for object columns without bytes


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
    notices: list[str] = field(default_factory=list)  # what changed on the PBX's side (atsnb.sync.history)

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
        room = LISTED - len(self.problems)
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
        return row_label(self.frame, self.shape, pos)

    def add(self, mask: np.ndarray, what: str, *, skip: bool) -> None:
        if not mask.any():
            return
        (self.skip if skip else self.repaired)[mask] = True
        action = "skipped" if skip else "repaired"
        for pos in np.flatnonzero(mask):
            self.messages.append(f"{self.label(int(pos))}: {what}; {action}")


LABEL_COLUMNS = {"cdr": ["uniqueid", "sequence", "calldate"], "cel": ["id", "eventtime"],
                 "queue_log": ["id", "callid", "time"], "ratings": ["id", "rated_at"],
                 "callbacks": ["id", "requested_at"]}
LABEL_CHARS = 80  # a 10 KB value is named by its first characters


def row_label(frame: pd.DataFrame, shape: TableShape, pos: int) -> str:
    """``cdr row uniqueid='…' sequence=3 calldate='…'``: the PBX row at ``pos`` of ``frame`` (PBX
    column names), named by its key columns so an administrator can find it in the PBX database."""
    parts = []
    for name in LABEL_COLUMNS[shape.kind]:
        src = shape.source.get(name)
        if src in frame.columns:
            value = frame[src].iloc[pos]
            if isinstance(value, bytes | bytearray):
                value = bytes(value).decode("utf-8", "replace")
            if isinstance(value, str):
                shown = value if len(value) <= LABEL_CHARS else value[:LABEL_CHARS] + "…"
                parts.append(f"{name}={shown!r}")
            else:
                parts.append(f"{name}={'NULL' if pd.isna(value) else value}")
    return f"{shape.kind} row " + " ".join(parts)


def _is_blank(raw: pd.Series) -> np.ndarray:
    blank = raw.isna().to_numpy().copy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        blank |= (raw.astype("str").str.strip() == "").fillna(True).to_numpy()
    return blank


def _decoded(raw: pd.Series, name: str, problems: _Problems) -> pd.Series:
    """A column of driver values with the bytes of a binary column as text: UTF-8, and where the
    bytes are not UTF-8 the bad ones replaced (U+FFFD), the row reported."""
    if raw.dtype != object or pd.api.types.infer_dtype(raw, skipna=True) in TEXT_OR_NUMBERS:
        return raw  # the usual case, told in C (a Python test per value cost 20x more)
    values = raw.to_numpy()
    binary = np.fromiter((isinstance(v, bytes | bytearray) for v in values), bool, len(values))
    if not binary.any():
        return raw
    bad = np.zeros(len(values), bool)
    out = values.copy()
    for pos in np.flatnonzero(binary):
        try:
            out[pos] = bytes(values[pos]).decode("utf-8")
        except UnicodeDecodeError:
            out[pos] = bytes(values[pos]).decode("utf-8", "replace")
            bad[pos] = True
    problems.add(bad, f"{name} is not UTF-8 text, bad bytes replaced", skip=False)
    return pd.Series(out, index=raw.index, dtype=object)


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
    bad = parsed.isna().to_numpy() | ((parsed < EARLIEST) | (parsed >= LATEST)).fillna(False).to_numpy()
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


def _keys(kind: str, df: pd.DataFrame, shape: TableShape, problems: _Problems, id_prefix: str) -> pd.Series:
    if kind == "cdr" and "sequence" in shape.source:
        keyed = df["sequence"].notna().to_numpy()
        nameless = pc.equal(pc.utf8_trim_whitespace(pa.array(df["uniqueid"])), "").to_numpy(zero_copy_only=False)
        problems.add(nameless & keyed, "uniqueid is empty, the row is keyed by its contents", skip=False)
        keyed = keyed & ~nameless  # "/3" would join every nameless row of sequence 3 into one
        key = df["uniqueid"] + "/" + df["sequence"].astype("str")
        if not keyed.all():
            key = key.where(keyed, "h:" + row_hash(df))
        return key.astype("str")
    if "id" in shape.source:
        return (id_prefix + df["id"].astype("str")).astype("str")
    return ("h:" + row_hash(df)).astype("str")


def _twins(df: pd.DataFrame, problems: _Problems) -> None:
    """Rows of one batch that share a key but not their values: the store keeps one row per key
    (the last read), so each earlier one is reported as skipped.  Identical rows — one row written
    by two CDR back ends — collapse without a word (docs/data-quality.md)."""
    keys = pa.array(df["_key"])
    if len(pc.unique(keys)) == len(keys):  # the usual case, told by one Arrow hash (half pandas' time)
        return
    shared = df["_key"].duplicated(keep=False).to_numpy()
    group = df[shared]
    kept_last = group.drop_duplicates(keep="last")  # one of each distinct row
    earlier = kept_last["_key"].duplicated(keep="last")  # a distinct row a later one of its key replaces
    differing = np.zeros(len(df), bool)
    differing[kept_last.index[earlier.to_numpy()]] = True
    problems.add(differing, "same key as a later row with other values, the later one is kept", skip=True)


def normalise(frame: pd.DataFrame, shape: TableShape, id_prefix: str = "") -> tuple[pd.DataFrame, IngestReport]:
    """PBX-named rows of one table → canonical rows with ``_key``; bad rows skipped or repaired.

    ``id_prefix`` goes before the ``id`` key of a table whose ids started again (the PBX emptied
    or recreated it, :mod:`atsnb.sync.history`), so its new rows never replace stored ones."""
    kind = shape.kind
    n = len(frame)
    report = IngestReport(kind, received=n)
    not_utf8 = frame.attrs.get(NOT_UTF8)
    problems = _Problems(kind, frame.reset_index(drop=True), shape)
    frame = problems.frame
    time_col = TIME_COLUMN[kind]
    if not_utf8 is not None and len(not_utf8):
        flagged = np.zeros(n, bool)
        flagged[not_utf8] = True
        problems.add(flagged, "holds bytes that are not UTF-8 text, replaced", skip=False)
    decoded: dict[str, pd.Series] = {}

    def raw(name: str) -> pd.Series | None:
        src = shape.source.get(name)
        if src is None or src not in frame.columns:
            return None
        if src not in decoded:
            decoded[src] = _decoded(frame[src], name, problems)
        return decoded[src]

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
    df["_key"] = _keys(kind, df, shape, problems, id_prefix)
    _twins(df[~problems.skip], problems)
    df = df[~problems.skip].reset_index(drop=True)
    if {c.name: c.kind for c in CANONICAL[kind]}.get("id") == "int":
        df["id"] = df["id"].astype(np.int64)
    report.kept = len(df)
    report.skipped = int(problems.skip.sum())
    report.repaired = int((problems.repaired & ~problems.skip).sum())
    report.problems = problems.messages[:LISTED]
    for message in problems.messages:
        log.warning(message)
    if len(df):
        report.first, report.last = df[time_col].min(), df[time_col].max()
    return df, report


def ingest(store: Store, settings: Settings, table: str, frame: pd.DataFrame, shape: Shape) -> IngestReport:
    """Normalise ``frame`` (PBX column names of ``shape[table]``) and upsert it; the caller holds the lock."""
    df, report = normalise(frame, shape[table])
    report.added = store.table(table).upsert(df)
    return report
