"""One call as an investigator opens it: its row, its route (the steps), and the PBX's own rows it
was rebuilt from — the CDR rows, CEL events and queue_log lines — which are the evidence when a
client says "I called and nobody answered".

A call id is the linkedid the PBX gave the call (or, on old schemas, the smallest uniqueid of its
rows); both are ``<epoch>.<n>``, the creation instant of its first channel, so the call is looked
for in the month files around that moment first and in the whole store only when that finds
nothing (ids from other sources).

The raw rows are those of the call's linkedid, plus the rows of every channel its CEL events name
(a phone-made transfer's consultation, joined by CEL, keeps a linkedid of its own), plus — for old
schemas without linkedid — the rows sharing a channel name with them; within the call's time
span and :data:`RAW_MARGIN` either side.  queue_log lines are those of the call's uniqueids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from atsnb.calls.callset import Route
from atsnb.calls.classify import CALL_COLUMNS
from atsnb.calls.reading import TIME_COLUMNS, TimeLike
from atsnb.calls.search import Criteria, moment, search
from atsnb.config import Settings
from atsnb.errors import InputError
from atsnb.i18n import t
from atsnb.store import Store

ID_WINDOW = pd.Timedelta(days=2)  # an id's epoch and its call's start are seconds apart; months are local
RAW_MARGIN = pd.Timedelta(minutes=10)  # rows of the call written a little before or after its span
NEAREST_WINDOWS = (pd.Timedelta(days=1), pd.Timedelta(days=31))  # where a call "around" a time is looked for
RAW_TABLES = ("cdr", "cel", "queue_log")
STEP_COLUMNS = ["seq", "at", "kind", "party", "target", "outcome", "duration_s"]


@dataclass
class CallRoute(Route):
    """One call: ``call`` (its row of the calls table), ``table`` / ``steps`` (its route, in order),
    ``text`` (the route, one line per step, in the UI language) and ``raw`` (the PBX's rows:
    ``cdr``, ``cel``, ``queue_log``; empty frames for what the PBX does not write)."""

    call: pd.Series = field(default_factory=pd.Series)
    raw: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def steps(self) -> pd.DataFrame:
        return self.table


def id_moment(call_id: str) -> pd.Timestamp | None:
    """The instant an ``<epoch>.<n>`` id was created (UTC), or None for an id of another form."""
    head = str(call_id).split(".", 1)[0]
    if not head.isdigit() or not 9 <= len(head) <= 11:
        return None
    return pd.Timestamp(int(head), unit="s", tz="UTC")


def read_call(store: Store, settings: Settings, call_id: str) -> pd.Series:
    """The call's row (every column of the calls table, times in the PBX zone); an error naming the
    id when the store has no such call."""
    call_id = str(call_id).strip()
    if not call_id:
        raise InputError(t("rec_no_call_id"))
    calls = store.table("calls")
    where = [("call_id", "==", call_id)]
    born = id_moment(call_id)
    found = calls.read_arrow(born - ID_WINDOW, born + ID_WINDOW, where=where) if born is not None else None
    if found is None or found.num_rows == 0:
        found = calls.read_arrow(where=where)
    if found is None or found.num_rows == 0:
        raise InputError(t("rec_unknown_call", call_id=call_id))
    row = found.slice(found.num_rows - 1).to_pandas().iloc[0]
    for column in TIME_COLUMNS:
        if column in row and pd.notna(row[column]):
            row[column] = pd.Timestamp(row[column]).tz_convert(settings.pbx.timezone)
    return row


def read_route(store: Store, call: pd.Series) -> pd.DataFrame:
    """The call's steps in route order (its ``seq``)."""
    start = pd.Timestamp(call["start"])
    end = pd.Timestamp(call["end"]) if pd.notna(call["end"]) else start
    steps = store.table("steps").read(start - pd.Timedelta(minutes=1), end + pd.Timedelta(days=1),
                                      where=[("call_id", "==", str(call["call_id"]))])
    if steps.empty:
        return pd.DataFrame(columns=["call_id", *STEP_COLUMNS])
    steps["at"] = steps["at"].dt.tz_convert(start.tz)
    return steps.sort_values("seq").reset_index(drop=True)


def raw_rows(store: Store, call: pd.Series) -> dict[str, pd.DataFrame]:
    """The PBX's rows the call was rebuilt from (see the module docstring), each table in time order;
    naive PBX-local times, as the PBX wrote them."""
    call_id = str(call["call_id"])
    start = pd.Timestamp(call["start"]).tz_localize(None) - RAW_MARGIN
    end_at = call["end"] if pd.notna(call["end"]) else call["start"]
    end = pd.Timestamp(end_at).tz_localize(None) + RAW_MARGIN
    cel = _read(store, "cel", start, end, [("linkedid", "==", call_id)])
    uniqueids = {call_id, *cel.get("uniqueid", pd.Series(dtype=str)).astype(str)}
    cdr = _read(store, "cdr", start, end, [("linkedid", "==", call_id)])
    others = _read(store, "cdr", start, end, [("uniqueid", "in", sorted(uniqueids))])
    if (cdr.empty and not others.empty) or (not cdr.empty and (cdr["linkedid"].astype(str) == "").all()):
        others = _shared_channels(store, start, end, others)  # an old schema: rows joined by channel name
    cdr = _union(cdr, others, "_key")
    uniqueids |= set(cdr.get("uniqueid", pd.Series(dtype=str)).astype(str))
    queue_log = _read(store, "queue_log", start, end, [("callid", "in", sorted(uniqueids))])
    return {"cdr": _ordered(cdr, "calldate"), "cel": _ordered(cel, "eventtime"), "queue_log": _ordered(queue_log, "time")}


def _shared_channels(store: Store, start: pd.Timestamp, end: pd.Timestamp, rows: pd.DataFrame) -> pd.DataFrame:
    channels = sorted({c for c in (*rows.get("channel", ()), *rows.get("dstchannel", ())) if c})
    if not channels:
        return rows
    more = _union(_read(store, "cdr", start, end, [("channel", "in", channels)]),
                  _read(store, "cdr", start, end, [("dstchannel", "in", channels)]), "_key")
    return _union(rows, more, "_key")


def _read(store: Store, name: str, start: pd.Timestamp, end: pd.Timestamp, where: list) -> pd.DataFrame:
    table = store.table(name)
    if not table.months():
        return pd.DataFrame()
    try:
        found = table.read_arrow(start, end, where=where)
    except (pa.ArrowInvalid, KeyError):  # a store whose files lack the column: nothing of the call there
        return pd.DataFrame()
    return pd.DataFrame() if found is None else found.to_pandas()


def _union(a: pd.DataFrame, b: pd.DataFrame, key: str) -> pd.DataFrame:
    if a.empty or b.empty:
        return b if a.empty else a
    both = pd.concat([a, b], ignore_index=True)
    return both.drop_duplicates(key) if key in both else both.drop_duplicates()


def _ordered(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    if rows.empty:
        return rows
    shown = rows.drop(columns=[c for c in ("_key",) if c in rows])
    return shown.sort_values(column, kind="stable").reset_index(drop=True)


def call_route(store: Store, settings: Settings, call_id: str, *, raw: bool = True) -> CallRoute:
    """The call with its route and (unless ``raw=False``) its raw PBX rows."""
    call = read_call(store, settings, call_id)
    steps = read_route(store, call)
    return CallRoute(str(call["call_id"]), steps[["call_id", *STEP_COLUMNS]] if not steps.empty else steps,
                     call=call[[c for c in CALL_COLUMNS if c in call]],
                     raw=raw_rows(store, call) if raw else {})


def nearest_call(store: Store, settings: Settings, number: str, around: TimeLike) -> str:
    """The id of the call with ``number`` (any part, any spelling) that started nearest ``around``:
    within a day of it, else within a month; an error saying so when there is none."""
    at = moment(around, settings.pbx.timezone, "around")
    if at is None:
        raise InputError(t("rec_bad_time", name="around", value=around))
    for window in NEAREST_WINDOWS:
        found = search(store, settings, Criteria(start=at - window, end=at + window, number=number),
                       columns=["call_id", "start"])
        if len(found):
            calls = found.all()
            gap = (calls["start"] - at).abs()
            return str(calls.loc[gap.idxmin(), "call_id"])
    raise InputError(t("rec_no_call_near", number=number, around=at.strftime("%Y-%m-%d %H:%M")))
