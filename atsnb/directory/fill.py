""""Fill from the PBX": find the company's lines and extensions in the call records of the store.

Nobody wants to type fifty extensions and a dozen DIDs by hand, and the records already name
them: an incoming call carries the DID it arrived on (``did``), an outgoing one the caller id it
left with (``outbound_cnum``), and every phone shows up as a channel ``PJSIP/<ext>-…`` (or
``SIP/``, ``IAX2/`` …) or as the caller number ``cnum`` of a call it made.

Trunks look like phones in channel names, so the topology decides (:mod:`atsnb.calls.topology`):
the one saved in the store when there is one, else the one guessed from the records (a peer that
is not a 2–6 digit number, or that carries DIDs/outbound caller ids, is a trunk).

Found rows are **added**; rows already in the directory keep everything users typed (names,
departments …) and only get their statistics refreshed: ``calls`` (distinct calls),
``first_seen`` / ``last_seen`` (PBX local time) and, for lines, ``seen_as`` (did / outbound / both).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from atsnb.calls.channels import parse_channels
from atsnb.calls.topology import STATE_KEY, Topology
from atsnb.directory.values import BadValue, normalise_value
from atsnb.store import DIRECTORIES, Store
from atsnb.store.directories import is_missing

CDR_COLUMNS = ["calldate", "channel", "dstchannel", "did", "outbound_cnum", "cnum", "linkedid", "uniqueid",
               "lastapp", "lastdata", "dcontext", "dst"]
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class FillResult:
    """``seen``: every line/extension found, with ``calls``, ``first_seen``, ``last_seen`` and ``new``
    (not in the directory before); ``added`` / ``updated``: rows written."""

    seen: pd.DataFrame
    added: int
    updated: int


def fill_lines(store: Store, *, progress: bool = False) -> FillResult:
    """Add the DIDs and outbound caller ids seen in the records to the ``lines`` directory."""
    parts = [_line_sightings(cdr) for cdr in _months(store, progress)]
    seen = _summarise(parts, "number", with_kind=True)
    return _merge(store, "lines", "number", seen)


def fill_employees(store: Store, *, progress: bool = False) -> FillResult:
    """Add the extensions seen in the records (phone channels, ``cnum``) to ``employees``."""
    saved = store.catalog.get_state(STATE_KEY)
    saved_trunks = set(Topology.from_dict(json.loads(saved)).trunks) if saved else None
    parts = [_extension_sightings(cdr, saved_trunks) for cdr in _months(store, progress)]
    seen = _summarise(parts, "extension", with_kind=False)
    return _merge(store, "employees", "extension", seen)


def _months(store: Store, progress: bool) -> Iterator[pd.DataFrame]:
    """The cdr table month by month (bounded memory, a progress bar in the terminal)."""
    table = store.table("cdr")
    for month in tqdm(table.months(), desc="cdr", unit="month", disable=not progress):
        stored = set(pq.read_schema(table.dir / f"{month}.parquet").names)
        df = table.read_month(month, columns=[c for c in CDR_COLUMNS if c in stored])
        if df is None or df.empty:
            continue
        missing = [c for c in CDR_COLUMNS if c not in df.columns]
        yield df.assign(**dict.fromkeys(missing, "")) if missing else df


def _text(df: pd.DataFrame, column: str) -> pd.Series:
    return df[column].fillna("").astype(str).str.strip()


def _call_ids(cdr: pd.DataFrame) -> pd.Series:
    """A call's id: linkedid, or the leg's uniqueid on PBXs that do not write linkedid."""
    linked = _text(cdr, "linkedid")
    return linked.where(linked != "", _text(cdr, "uniqueid"))


def _line_sightings(cdr: pd.DataFrame) -> pd.DataFrame:
    calls, at = _call_ids(cdr), cdr["calldate"]
    frames = []
    for column, kind in (("did", "did"), ("outbound_cnum", "outbound")):
        raw = _text(cdr, column)
        has = raw != ""
        frames.append(pd.DataFrame({"raw": raw[has], "call": calls[has], "at": at[has], "kind": kind}))
    return _checked(pd.concat(frames, ignore_index=True), "lines", "number")


def _extension_sightings(cdr: pd.DataFrame, saved_trunks: set[str] | None) -> pd.DataFrame:
    trunks = saved_trunks if saved_trunks is not None else set(Topology.infer(cdr).trunks)
    calls, at = _call_ids(cdr), cdr["calldate"]
    a, b = parse_channels(_text(cdr, "channel")), parse_channels(_text(cdr, "dstchannel"))
    frames = []
    for parts in (a, b):
        phone = _is_device(parts, trunks)
        frames.append(pd.DataFrame({"raw": parts.peer[phone], "call": calls[phone], "at": at[phone]}))
    # cnum says which extension placed a call even when the device has another name.
    from_phone = _is_device(a, trunks)
    frames.append(pd.DataFrame({"raw": _text(cdr, "cnum")[from_phone], "call": calls[from_phone],
                                "at": at[from_phone]}))
    return _checked(pd.concat(frames, ignore_index=True), "employees", "extension")


def _is_device(parts: pd.DataFrame, trunks: set[str]) -> pd.Series:
    """Rows whose channel is a phone: a device channel (not Local, not empty) whose peer is no trunk."""
    return (parts.tech != "") & (parts.tech != "Local") & (parts.peer != "") & ~parts.peer.isin(trunks)


def _checked(found: pd.DataFrame, directory: str, column: str) -> pd.DataFrame:
    """Sightings with their ``raw`` value replaced by ``column`` as the directory stores it; rows
    whose value the directory would refuse are dropped (each distinct value is checked once)."""
    checked = {raw: _valid(directory, column, raw) for raw in found["raw"].unique()}
    found[column] = found["raw"].map(checked)
    return found.dropna(subset=[column]).drop(columns="raw")


def _valid(directory: str, column: str, raw: str) -> str | None:
    """``raw`` normalised as the directory stores it, or None when it is not a valid value."""
    try:
        value = normalise_value(DIRECTORIES[directory].column(column), raw)
    except BadValue:
        return None
    return None if value is None else str(value)


def _summarise(parts: list[pd.DataFrame], key: str, *, with_kind: bool) -> pd.DataFrame:
    """Per key: distinct calls (summed over months), first and last time seen, and kinds seen."""
    columns = [key, "calls", "first_seen", "last_seen"] + (["seen_as"] if with_kind else [])
    monthly = []
    for found in parts:
        if found.empty:
            continue
        found = found.drop_duplicates([key, "call"] + (["kind"] if with_kind else []))
        groups = found.groupby(key)
        agg = pd.DataFrame({"calls": groups["call"].nunique(), "first": groups["at"].min(),
                            "last": groups["at"].max()})
        if with_kind:
            agg["kinds"] = groups["kind"].agg(lambda k: frozenset(k))
        monthly.append(agg)
    if not monthly:
        return pd.DataFrame(columns=columns)
    allm = pd.concat(monthly)
    groups = allm.groupby(level=0)
    out = pd.DataFrame({
        "calls": groups["calls"].sum().astype("Int64"),
        "first_seen": groups["first"].min().dt.strftime(_TIME_FORMAT),
        "last_seen": groups["last"].max().dt.strftime(_TIME_FORMAT),
    })
    if with_kind:
        out["seen_as"] = groups["kinds"].agg(lambda ks: _seen_as(frozenset().union(*ks)))
    return out.rename_axis(key).reset_index()[columns]


def _seen_as(kinds: frozenset[str]) -> str:
    return "both" if len(kinds) > 1 else next(iter(kinds))


def _merge(store: Store, name: str, key: str, seen: pd.DataFrame) -> FillResult:
    """Write ``seen`` into the directory: new keys added, existing rows keep their other columns."""
    stored = store.catalog.read(name).set_index(key)
    rows = []
    new_flags = []
    for record in seen.to_dict("records"):
        k = record[key]
        is_new = k not in stored.index
        row = {} if is_new else {c: _cell(v) for c, v in stored.loc[k].items()}
        row[key] = k
        row["calls"] = record["calls"]
        row["first_seen"] = min(filter(None, [row.get("first_seen"), record["first_seen"]]))
        row["last_seen"] = max(filter(None, [row.get("last_seen"), record["last_seen"]]))
        if "seen_as" in record:
            row["seen_as"] = _combined_seen_as(row.get("seen_as"), record["seen_as"])
        if is_new and name == "employees":
            row["active"] = 1
        rows.append(row)
        new_flags.append(is_new)
    if rows:
        store.catalog.upsert(name, pd.DataFrame(rows))
    seen = seen.assign(new=new_flags)
    added = sum(new_flags)
    return FillResult(seen=seen, added=added, updated=len(rows) - added)


def _cell(value: object) -> object:
    return None if is_missing(value) else value


def _combined_seen_as(stored: object, found: str) -> str:
    """did + outbound = both: a line seen one way before and the other way now is used both ways."""
    kinds: set[object] = set()
    for value in (stored, found):
        kinds |= {"did", "outbound"} if value == "both" else {value} & {"did", "outbound"}
    return "both" if len(kinds) == 2 else found
