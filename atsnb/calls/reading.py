"""What a report reads from the store: the calls' columns its figures use, the few-valued text
columns as categoricals, and the route steps.

A year of a busy PBX is a million calls of twenty columns, half of them text; reading them all
and turning every text cell into a string took most of a report's time (docs/performance.md).
So reports read through here rather than through the analysts' ``load_calls``: only
:data:`SCOPE_COLUMNS`, the :data:`CODED_COLUMNS` read from the Parquet dictionaries straight into
categoricals, and the detail table's other columns only for the calls it shows
(:func:`read_call_columns`).  Nothing is kept between calls: every report reads the store as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.calls.reconstruct import empty_calls
from atsnb.calls.shared import ANSWERS
from atsnb.calls.text import positions
from atsnb.config import Settings
from atsnb.metrics.counts import drop_unused
from atsnb.store import Store

# what load_scope, the attribution and every element but the detail table use; the attribution
# takes the calls' answer steps from ``answers`` (atsnb.calls.shared) where the store has it, else
# reads the route steps and matches them by call id (read then in its place)
SCOPE_COLUMNS = ["call_id", "start", "end", "direction", "status", "line", "employee", "answered_by",
                 "wait_s", "talk_s", "transfers", ANSWERS]
# what the attribution cannot do without (besides answers or call_id)
ATTRIBUTION_COLUMNS = [c for c in SCOPE_COLUMNS if c not in ("call_id", ANSWERS)]
# few distinct values over many calls: categoricals, masks and groupings then work on small integer codes
CODED_COLUMNS = ("direction", "status", "line", "employee", "answered_by")
TIME_COLUMNS = ("start", "answer", "end")


def compact(calls: pd.DataFrame) -> pd.DataFrame:
    """The :data:`CODED_COLUMNS` of ``calls`` as categoricals of the values present, in sorted
    order — what ``astype("category")`` makes of text, whether the column was text or was read as
    a Parquet dictionary (whose categories come unsorted, unused ones included)."""
    out = calls.copy(deep=False)
    for column in CODED_COLUMNS:
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
) -> pd.DataFrame:
    """The calls of ``[start, end)``, only ``columns`` (default :data:`SCOPE_COLUMNS`), with
    :func:`compact` codes and times in the PBX zone: the same cells ``load_calls`` returns.
    ``where``: further conditions, as :meth:`atsnb.store.PartitionedTable.read` takes them."""
    columns = list(SCOPE_COLUMNS if columns is None else columns)
    table = store.table("calls")
    if ANSWERS in columns and table.months_lacking(ANSWERS, start, end):
        columns.remove(ANSWERS)  # calls stored before the column: the attribution matches routes by call id
        columns += [] if "call_id" in columns else ["call_id"]
    tz = settings.pbx.timezone
    calls = table.read(start, end, columns=columns, where=where,
                       dictionary=[c for c in columns if c in CODED_COLUMNS])
    if calls.empty:
        return compact(empty_calls(tz).assign(**{ANSWERS: pd.Series(dtype="str")})[columns])
    for column in TIME_COLUMNS:
        if column in calls:
            calls[column] = calls[column].dt.tz_convert(tz)
    return compact(calls)


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
    at = positions(calls["call_id"], found["call_id"])
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
