"""``reconstruct``: raw PBX records in, one row per call and its route out.

A pure function on DataFrames — the pipeline feeds it rows from the store, an analyst can feed it
rows from anywhere (a CSV export, a test).  CDR alone gives right answers; CEL and queue_log, when
given, sharpen the answer moment (early ``Answer()`` hides it in CDR), who hung up and transfers.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from atsnb.calls.answer_times import refine_answers
from atsnb.calls.callset import CallSet
from atsnb.calls.classify import CALL_COLUMNS, classify, mark_legs
from atsnb.calls.consultations import consultation_links, unlinked_consultations
from atsnb.calls.legs import prepare_legs
from atsnb.calls.primary import not_seen_later
from atsnb.calls.steps import STEP_COLUMNS, build_steps
from atsnb.calls.topology import Topology
from atsnb.calls.vocabulary import Vocabulary
from atsnb.calls.witnesses import apply_witnesses

# Whole seconds below this (about year 30,000) fit int64 microseconds with room to spare.
_WHOLE_SECONDS_LIMIT = 9e11


def reconstruct(
    cdr: pd.DataFrame,
    topology: Topology,
    *,
    cel: pd.DataFrame | None = None,
    queue_log: pd.DataFrame | None = None,
    tz: str = "Europe/Moscow",
    short_abandon_s: float = 5,
    seen_before: pd.DataFrame | Iterable[str] | None = None,
) -> CallSet:
    """Rebuild every call in ``cdr`` (FreePBX column names, ``calldate`` naive PBX-local time).

    Returns a :class:`CallSet` whose ``calls`` has the columns of docs/calls.md (times tz-aware in
    ``tz``), whose ``steps`` is every call's route, and whose ``unlinked_transfers`` names the
    calls that are the consultation of a phone-made attended transfer nothing (no CEL) joined to its call.

    ``primary`` marks the first call of each external number in ``cdr``; ``seen_before`` tells the
    numbers met earlier — the numbers alone, or the store's first-seen table (``number``,
    ``first_us``: first start in UTC microseconds, ``call_id``), so a call stays primary only when it
    is that first call or earlier.
    """
    if cdr is None or cdr.empty:
        return CallSet(empty_calls(tz), _empty_steps(tz))
    legs, runs = prepare_legs(cdr, topology, tz, consultation_links(cel))
    refine_answers(legs, runs, cel, tz)
    mark_legs(legs, runs, topology)
    calls = classify(legs, runs, topology, short_abandon_s)
    unlinked = unlinked_consultations(calls, legs)
    hangup_by = apply_witnesses(calls, legs, topology, cel, queue_log, tz, short_abandon_s)
    steps = build_steps(legs, runs, calls, topology, hangup_by)
    calls = _finish_calls(calls, legs.vocab, tz)
    if seen_before is not None:
        _drop_seen(calls, seen_before)
    return CallSet(calls, _finish_steps(steps, tz), unlinked_transfers=unlinked)


def _drop_seen(calls: pd.DataFrame, seen_before: pd.DataFrame | Iterable[str]) -> None:
    """Clear ``primary`` where a number's first call lies before this frame."""
    first = np.flatnonzero(calls["primary"].to_numpy())
    if not len(first):
        return
    stays = not_seen_later(calls["external_number"].to_numpy(dtype=object)[first],
                           calls["start"].array.as_unit("us").asi8[first],
                           calls["call_id"].to_numpy(dtype=object)[first], seen_before)
    primary = calls["primary"].to_numpy().copy()
    primary[first[~stays]] = False
    calls["primary"] = primary


def _to_time(seconds: np.ndarray, tz: str) -> pd.Series:
    """Epoch seconds (NaN for none) → tz-aware times, as ``pd.to_datetime(unit="s", utc=True)`` gives.

    PBX times are whole seconds: then the microsecond counts are plain integer products, which
    costs a fifth of pandas' float conversion; other input goes through pandas.
    """
    seconds = np.asarray(seconds, dtype=float)
    missing = np.isnan(seconds)
    known = np.where(missing, 0.0, seconds)
    if not ((known == np.floor(known)) & (np.abs(known) < _WHOLE_SECONDS_LIMIT)).all():
        return pd.to_datetime(pd.Series(seconds), unit="s", utc=True).dt.tz_convert(tz)
    micros = known.astype(np.int64) * 1_000_000
    micros[missing] = np.iinfo(np.int64).min  # NaT
    return pd.Series(pd.DatetimeIndex(micros.view("datetime64[us]")).tz_localize("UTC").tz_convert(tz))


def _finish_calls(calls: pd.DataFrame, vocab: Vocabulary, tz: str) -> pd.DataFrame:
    calls = calls.reset_index(drop=True)
    for c in ("start", "answer", "end"):
        calls[c] = _to_time(calls[c].to_numpy(), tz)
    text = ["direction", "status", "caller", "dialed", "external_number", "line", "answered_by", "employee",
            "last_target", "group", "recording"]
    for c, values in zip(text, vocab.strings(*[calls[c].to_numpy() for c in text]), strict=True):
        calls[c] = values
    return calls[CALL_COLUMNS].reset_index(drop=True)


def _finish_steps(steps: pd.DataFrame, tz: str) -> pd.DataFrame:
    steps["at"] = _to_time(steps["at"].to_numpy(), tz)
    return steps[STEP_COLUMNS]


def empty_calls(tz: str) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=str) for c in CALL_COLUMNS})
    for c in ("start", "answer", "end"):
        out[c] = pd.Series(dtype=f"datetime64[ns, {tz}]")
    for c in ("wait_s", "talk_s", "transfers", "legs"):
        out[c] = pd.Series(dtype=np.int64)
    out["primary"] = pd.Series(dtype=bool)
    return out


def _empty_steps(tz: str) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=str) for c in STEP_COLUMNS})
    out["seq"] = pd.Series(dtype=np.int64)
    out["at"] = pd.Series(dtype=f"datetime64[ns, {tz}]")
    out["duration_s"] = pd.Series(dtype=np.int64)
    return out


__all__ = ["reconstruct"]
