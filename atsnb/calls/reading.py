"""The one reader of the stored calls and their route steps, for reports and analysts alike.

A year of a busy PBX is a million calls of twenty columns, half of them text; reading them all
and turning every text cell into a string took most of a report's time (docs/performance.md).
So :func:`read_calls` reads only the columns asked for (reports: :data:`SCOPE_COLUMNS`), the
few-valued text columns (:data:`CATEGORICAL_COLUMNS`) straight from the Parquet dictionaries into
categoricals, and further columns only for the calls that show them (:func:`read_call_columns`).
The derived ``answers`` and ``reached`` columns come with them when asked for (and from the routes
for calls stored before those columns existed).
:func:`load_calls`, the analysts' reader, is the same read with every column and plain text.
Nothing is kept between calls: every read sees the store as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from atsnb.calls.answers_column import ANSWER_STEP_COLUMNS, ANSWERS
from atsnb.calls.classify import CALL_COLUMNS
from atsnb.calls.reached_column import REACH_STEP_COLUMNS, REACH_STEP_KINDS, REACHED, pack_reached
from atsnb.calls.reconstruct import empty_calls
from atsnb.calls.topology import STATE_KEY as TOPOLOGY_KEY
from atsnb.calls.topology import Topology
from atsnb.config import Settings
from atsnb.errors import InputError
from atsnb.store import Store
from atsnb.vectors import drop_unused, text_in, text_positions

TimeLike = str | dt.date | dt.datetime | pd.Timestamp

# what load_scope, the attribution and every element but the detail table use; the attribution
# takes the calls' answer steps from ``answers`` (atsnb.calls.answers_column) where the store has it, else
# reads the route steps and matches them by call id (read then in its place)
SCOPE_COLUMNS = ["call_id", "start", "end", "direction", "status", "line", "employee", "answered_by",
                 "wait_s", "talk_s", "transfers", ANSWERS]
# what the attribution cannot do without (besides answers or call_id)
ATTRIBUTION_COLUMNS = [c for c in SCOPE_COLUMNS if c not in ("call_id", ANSWERS)]
# few distinct values over many calls: categoricals, masks and groupings then work on small integer codes
CATEGORICAL_COLUMNS = ("direction", "status", "line", "employee", "answered_by")
TIME_COLUMNS = ("start", "answer", "end")
# what the reached column is made of besides the routes (atsnb.calls.reached_column)
REACH_CALL_COLUMNS = ["call_id", "direction", "status"]
# what Topology.infer reads of the records, for calls stored before the reached column
TOPOLOGY_CDR_COLUMNS = ["channel", "dstchannel", "did", "outbound_cnum", "lastapp", "lastdata", "dcontext", "dst"]
TOPOLOGY_MARGIN = pd.Timedelta(hours=12)  # a call's first legs can start this long before the period's
ROUTE_COLUMNS = ["call_id", "seq", "kind", "party", "target"]  # what a route summary reads of the steps


def compact(calls: pd.DataFrame) -> pd.DataFrame:
    """The :data:`CATEGORICAL_COLUMNS` of ``calls`` as categoricals of the values present, in sorted
    order — what ``astype("category")`` makes of text, whether the column was text or was read as
    a Parquet dictionary (whose categories come unsorted, unused ones included)."""
    out = calls.copy(deep=False)
    for column in CATEGORICAL_COLUMNS:
        if column not in out:
            continue
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = pd.Series(drop_unused(values.array, sort=True), index=values.index, name=column)
        else:
            out[column] = values.astype("category")
    return out


def read_calls(
    store: Store, settings: Settings, start: pd.Timestamp, end: pd.Timestamp,
    columns: list[str] | None = None, where: list[tuple[str, str, object]] | None = None,
    *, categorical: bool = True,
) -> pd.DataFrame:
    """The calls of ``[start, end)``, only ``columns`` (default :data:`SCOPE_COLUMNS`), times in
    the PBX zone, the :data:`CATEGORICAL_COLUMNS` as :func:`compact` categoricals (as plain text
    with ``categorical=False``).  ``where``: further conditions, as
    :meth:`atsnb.store.PartitionedTable.read` takes them."""
    columns = list(SCOPE_COLUMNS if columns is None else columns)
    table = store.table("calls")
    if ANSWERS in columns and table.months_lacking(ANSWERS, start, end):
        columns.remove(ANSWERS)  # calls stored before the column: the attribution matches routes by call id
        columns += [] if "call_id" in columns else ["call_id"]
    wanted = list(columns)
    routed = REACHED in columns and bool(table.months_lacking(REACHED, start, end))
    if routed:  # calls stored before the column: made from their routes, as the derivation makes it
        columns = [c for c in columns if c != REACHED] + [c for c in REACH_CALL_COLUMNS if c not in columns]
    tz = settings.pbx.timezone
    coded = [c for c in columns if c in CATEGORICAL_COLUMNS] if categorical else None
    calls = table.read(start, end, columns=columns, where=where, dictionary=coded)
    if calls.empty:
        calls = empty_calls(tz).assign(**{ANSWERS: pd.Series(dtype="str"), REACHED: pd.Series(dtype="str")})[wanted]
        return compact(calls) if categorical else calls
    for column in TIME_COLUMNS:
        if column in calls:
            calls[column] = calls[column].dt.tz_convert(tz)
    if routed:
        calls[REACHED] = reached_from_routes(store, calls, start, end, tz)
        calls = calls[wanted]
    return compact(calls) if categorical else calls


def reached_from_routes(store: Store, calls: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                        tz: str) -> pd.Series:
    """The ``reached`` column of ``calls`` of ``[start, end)`` (:data:`REACH_CALL_COLUMNS`) made from
    their stored routes, for calls stored before the column existed."""
    steps = read_steps(store, start, end, REACH_STEP_COLUMNS, kinds=REACH_STEP_KINDS)
    wall = [pd.Timestamp(x).tz_convert(tz).tz_localize(None) for x in (start, end)]
    return pack_reached(calls, steps, recorded_topology(store, *wall))


def recorded_topology(store: Store, start: pd.Timestamp, end: pd.Timestamp) -> Topology:
    """The topology the calls of ``[start, end)`` (naive PBX-local time) were derived with, as near
    as it can be known afterwards: the saved one, else the one the period's records show (queue and
    ring-group members seen ringing in it)."""
    cdr = store.table("cdr")
    if store.catalog.get_state(TOPOLOGY_KEY) or not cdr.months():
        return Topology.from_store(store)
    return Topology.infer(cdr.read(start - TOPOLOGY_MARGIN, end, columns=TOPOLOGY_CDR_COLUMNS))


def read_call_columns(store: Store, settings: Settings, calls: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``columns`` for some of a scope's ``calls`` (say the detail table's latest 20,000 of a
    year), aligned on them: one read of their time span and call ids, matched by call id and start
    (a call rewritten by a sync in between reads as empty cells)."""
    wanted = ["call_id", "start", *columns]
    if calls.empty:
        found = compact(empty_calls(settings.pbx.timezone)[wanted])
    else:
        last = calls["start"].max() + pd.Timedelta(microseconds=1)
        found = read_calls(store, settings, calls["start"].min(), last, wanted,
                           where=[("call_id", "in", calls["call_id"].astype(str).tolist())])
    at = text_positions(calls["call_id"], found["call_id"])
    if (at >= 0).all() and (_ns(found["start"])[at] == _ns(calls["start"])).all():  # the usual case
        return found[columns].iloc[at].set_axis(calls.index)
    found.index = pd.MultiIndex.from_arrays([found["call_id"].astype(object), found["start"]])
    keys = pd.MultiIndex.from_arrays([calls["call_id"].astype(object), calls["start"]])
    return found[columns].reindex(keys).set_index(calls.index)


def _ns(times: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(times).as_unit("ns").asi8


def read_steps(
    store: Store, start: pd.Timestamp, end: pd.Timestamp, columns: list[str] | None = None,
    kinds: list[str] | None = None, dictionary: list[str] | None = None,
) -> pd.DataFrame:
    """Route steps of the period, and of the day after it for calls that run over midnight; only
    those of ``kinds`` when given (filtered while reading: most steps of a real route are rings);
    ``dictionary`` columns as categoricals (see :meth:`atsnb.store.PartitionedTable.read`)."""
    where = [("kind", "in", kinds)] if kinds else None
    return store.table("steps").read(start, end + pd.Timedelta(days=1), columns=columns, where=where,
                                     dictionary=dictionary)


def read_answer_steps(store: Store, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The answer steps of the calls of ``[start, end)`` (what the ``answers`` column holds for
    calls stored before it), their ``kind`` and ``target`` as categoricals."""
    return read_steps(store, start, end, ANSWER_STEP_COLUMNS, kinds=["answer"], dictionary=["kind", "target"])


def read_routes(store: Store, calls: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Every route step (:data:`ROUTE_COLUMNS`) of ``calls``, which started before ``end``: one
    read from the first one's start on, then only their call ids kept."""
    if calls.empty:
        return pd.DataFrame(columns=ROUTE_COLUMNS)
    steps = read_steps(store, calls["start"].min(), end, ROUTE_COLUMNS, dictionary=["kind"])
    return steps[text_in(steps["call_id"], calls["call_id"])] if not steps.empty else steps


def load_calls(
    start: TimeLike,
    end: TimeLike,
    *,
    store: Store,
    settings: Settings,
    **filters: object,
) -> pd.DataFrame:
    """Calls that started in [start, end), every column of :data:`~atsnb.calls.classify.CALL_COLUMNS`
    as plain values, optionally filtered by column value or list of values.

    ``start``/``end`` accept dates, ``"2025-07-01"``-style strings and Timestamps; naive ones are
    PBX-local time.  ``load_calls("2025-07-01", "2025-08-01", direction="incoming",
    employee=["101", "102"], store=…, settings=…)``; ``atsnb.load_calls`` takes the configured
    store and settings.
    """
    tz = settings.pbx.timezone
    lo, hi = _moment(start, tz, "start"), _moment(end, tz, "end")
    unknown = sorted(set(filters) - set(CALL_COLUMNS))
    if unknown:
        raise InputError(f"load_calls cannot filter on {', '.join(unknown)}: the calls have no such column.")
    calls = read_calls(store, settings, lo, hi, CALL_COLUMNS, categorical=False)
    if calls.empty:
        return empty_calls(tz)
    mask = pd.Series(True, index=calls.index)
    for column, wanted in filters.items():
        if wanted is None:
            continue
        if isinstance(wanted, Iterable) and not isinstance(wanted, str):
            mask &= calls[column].isin(list(wanted))
        else:
            mask &= calls[column] == wanted
    return calls[mask].reset_index(drop=True)


def _moment(value: TimeLike, tz: str, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(f"load_calls: {name}={value!r} is not a date or time.") from exc
    if ts is pd.NaT:
        raise InputError(f"load_calls: {name} is empty; give a date such as 2025-07-01.")
    return ts.tz_localize(tz, ambiguous=True, nonexistent="shift_forward") if ts.tzinfo is None else ts.tz_convert(tz)
