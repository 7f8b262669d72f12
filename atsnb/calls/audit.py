"""The data-quality audit of a period: what the raw records were, what reconstruction did to them,
and which figures rest on weaker evidence.

A manager reading "average wait 0:00:42" cannot see that a third of those answers came from CDR
alone (where an early ``Answer()`` hides the moment a person picked up), that a second CDR writer
doubled the rows, or that a phone's attended transfers could not be linked.  :class:`Audit` counts
exactly those things, by the same conditions reconstruction applies (docs/data-quality.md):

* records → calls: CDR rows, CEL events and queue_log lines of the period, and the calls rebuilt;
* CDR rows merged as duplicates (:func:`atsnb.calls.legs.drop_duplicate_rows`), rows repaired
  (billsec cut to duration, a negative or unreadable duration or billsec taken as 0, a missing
  linkedid made up by joining rows through their channel names) and rows skipped (no readable
  start time: the sync never stores them, reconstruction cannot take them);
* answered calls whose answer moment CEL (a bridge entry) or queue_log (``CONNECT``) witnessed,
  and those resting on CDR alone;
* attended transfers done by a phone whose consultation could not be linked (no CEL);
* CDR rows whose channels are of a technology the channel parser does not know;
* calls still open: CEL or queue_log saw them begin and not end (CDR is written at hang-up).

:func:`audit_records` audits raw frames, as :func:`atsnb.reconstruct` takes them;
:func:`audit_period` reads a period from the store a month at a time (memory stays flat over a
year) and adds the months up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from atsnb import i18n
from atsnb.calls.channels import KNOWN_TECHS, parse_channels
from atsnb.calls.derive import CALL_MARGIN, CEL_COLUMNS, CEL_EVENTS, QUEUE_LOG_COLUMNS, QUEUE_LOG_EVENTS
from atsnb.calls.legs import drop_duplicate_rows
from atsnb.calls.reconstruct import reconstruct
from atsnb.calls.topology import Topology
from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.store import Store
from atsnb.sync.normalise import EARLIEST
from atsnb.vectors import text_in, text_positions

# Why a CDR row was repaired, in the order reconstruction applies the repairs (atsnb/calls/legs.py).
REPAIRS = ("duration_zeroed", "billsec_zeroed", "billsec_clipped", "linkedid_joined")
# Why a row was skipped: the sync's own condition for a row it does not store.
SKIPS = ("calldate_unreadable",)
# CEL: a channel began; it, or its whole call, ended.
CHANNEL_BEGAN = "CHAN_START"
CHANNEL_ENDED = {"HANGUP", "CHAN_END"}
CALL_ENDED = "LINKEDID_END"
# queue_log: a caller entered a queue; the events after which they are no longer in it.
QUEUE_ENTERED = "ENTERQUEUE"
QUEUE_CLOSED = {"ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "WITHDRAW", "COMPLETECALLER",
                "COMPLETEAGENT", "BLINDTRANSFER", "ATTENDEDTRANSFER", "TRANSFER"}
# What is read of CEL and queue_log: what reconstruction reads (as the derivation reads it) and
# what tells an open call.
AUDIT_CEL_EVENTS = CEL_EVENTS | CHANNEL_ENDED | {CHANNEL_BEGAN, CALL_ENDED}
AUDIT_QUEUE_LOG_EVENTS = QUEUE_LOG_EVENTS | QUEUE_CLOSED | {QUEUE_ENTERED}
AUDIT_QUEUE_LOG_COLUMNS = list(dict.fromkeys([*QUEUE_LOG_COLUMNS, "id"]))  # id orders lines of one second


@dataclass
class Audit:
    """The counts of one period (``start``/``end`` tz-aware in the PBX zone; None for frames audited
    whole).  Audits of adjacent periods add up with ``+``."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    cdr_rows: int = 0
    cel_rows: int = 0
    queue_log_rows: int = 0
    calls: int = 0
    duplicates: int = 0
    repaired_rows: int = 0
    repaired: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REPAIRS, 0))
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIPS, 0))
    answered: int = 0
    answers_from_cel: int = 0
    answers_from_queue_log: int = 0
    unlinked_transfers: int = 0
    unknown_tech_rows: int = 0
    unknown_techs: dict[str, int] = field(default_factory=dict)
    open_calls: int = 0

    @property
    def records(self) -> int:
        """Raw rows of every kind."""
        return self.cdr_rows + self.cel_rows + self.queue_log_rows

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())

    @property
    def answers_from_cdr_only(self) -> int:
        """Answered calls no CEL bridge entry or queue_log ``CONNECT`` witnessed."""
        return self.answered - self.answers_from_cel - self.answers_from_queue_log

    @property
    def cdr_only_share(self) -> float:
        """Percent of the answered calls whose answer moment rests on CDR alone (0 without answers)."""
        return 100.0 * self.answers_from_cdr_only / self.answered if self.answered else 0.0

    def __add__(self, other: Audit) -> Audit:
        summed = {}
        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "start":
                summed[f.name] = _first(mine, theirs, min)
            elif f.name == "end":
                summed[f.name] = _first(mine, theirs, max)
            elif isinstance(mine, dict):
                summed[f.name] = {k: mine.get(k, 0) + theirs.get(k, 0) for k in dict.fromkeys([*mine, *theirs])}
            else:
                summed[f.name] = mine + theirs
        return Audit(**summed)

    def to_dict(self) -> dict:
        """Plain values for JSON (times as ISO text), the derived counts included."""
        out = dataclasses.asdict(self)
        out["start"] = None if self.start is None else self.start.isoformat()
        out["end"] = None if self.end is None else self.end.isoformat()
        out |= {"records": self.records, "skipped_rows": self.skipped_rows,
                "answers_from_cdr_only": self.answers_from_cdr_only,
                "cdr_only_share": round(self.cdr_only_share, 1)}
        return out

    def summary(self, lang: str | None = None) -> str:
        """One line for a manager: records → calls, how many answers rest on CDR alone, and how
        many things to look at (the full audit says which)."""
        with _speaking(lang):
            parts = [t("audit_summary_calls", records=_count(self.records), calls=_count(self.calls))]
            if self.answered:
                parts.append(t("audit_summary_cdr_only", share=_percent(self.cdr_only_share)))
            issues = (self.duplicates + self.repaired_rows + self.skipped_rows + self.unlinked_transfers
                      + self.unknown_tech_rows)
            if issues:
                parts.append(t("audit_summary_issues", count=_count(issues)))
            if self.open_calls:
                parts.append(t("audit_summary_open", count=_count(self.open_calls)))
            return " · ".join(parts)

    def lines(self, lang: str | None = None) -> list[tuple[str, str, list[str]]]:
        """The audit as (label, value, details) rows, in the order of :meth:`text`."""
        with _speaking(lang):
            return [
                (t("audit_records"), t("audit_records_value", cdr=_count(self.cdr_rows), cel=_count(self.cel_rows),
                                         queue_log=_count(self.queue_log_rows), calls=_count(self.calls)), []),
                (t("audit_duplicates"), _count(self.duplicates), []),
                (t("audit_repaired"), _count(self.repaired_rows),
                 [f"{t(f'audit_repair_{k}')}: {_count(v)}" for k, v in self.repaired.items() if v]),
                (t("audit_skipped"), _count(self.skipped_rows),
                 [f"{t(f'audit_skip_{k}')}: {_count(v)}" for k, v in self.skipped.items() if v]
                 or [t("audit_skipped_by_sync")]),
                (t("audit_answers"), t("audit_answers_value", answered=_count(self.answered),
                                         cel=_count(self.answers_from_cel),
                                         queue_log=_count(self.answers_from_queue_log),
                                         cdr=_count(self.answers_from_cdr_only),
                                         share=_percent(self.cdr_only_share)), [t("audit_answers_why")]),
                (t("audit_unlinked"), _count(self.unlinked_transfers), [t("audit_unlinked_why")]),
                (t("audit_unknown_techs"), _count(self.unknown_tech_rows),
                 [f"{tech}: {_count(n)}" for tech, n in sorted(self.unknown_techs.items(), key=lambda x: -x[1])]),
                (t("audit_open"), _count(self.open_calls), [t("audit_open_why")]),
            ]

    def title(self, lang: str | None = None) -> str:
        with _speaking(lang):
            if self.start is None or self.end is None:
                return t("audit_title_records")
            last = self.end - pd.Timedelta(microseconds=1)
            return t("audit_title", start=f"{self.start:%d.%m.%Y}", end=f"{last:%d.%m.%Y}")

    def text(self, lang: str | None = None) -> str:
        """The whole audit as plain text (``atsnb check --calls``), in ``lang`` or the UI language."""
        out = [self.title(lang)]
        for label, value, details in self.lines(lang):
            out.append(f"{label}: {value}")
            out.extend(f"    {d}" for d in details)
        return "\n".join(out)

    def __str__(self) -> str:
        return self.text()


def audit_records(
    cdr: pd.DataFrame,
    topology: Topology,
    *,
    cel: pd.DataFrame | None = None,
    queue_log: pd.DataFrame | None = None,
    tz: str = "Europe/Moscow",
    short_abandon_s: float = 5,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> Audit:
    """Audit raw frames (as :func:`atsnb.reconstruct` takes them): reconstruct them and count.

    With ``start``/``end`` (naive PBX-local or tz-aware) only the rows whose time and the calls
    whose start lie in ``[start, end)`` are counted; the rest are the legs and events that
    complete those calls (a call running over the bound, a late transfer leg).
    """
    lo, hi = _local(start, tz), _local(end, tz)
    audit = Audit(start=_aware(lo, tz), end=_aware(hi, tz))
    cdr = _count_cdr(audit, _cdr(cdr), lo, hi)
    audit.cel_rows = _rows_within(cel, "eventtime", lo, hi)
    audit.queue_log_rows = _rows_within(queue_log, "time", lo, hi)
    result = reconstruct(
        cdr, topology, cel=_only(cel, "eventtype", CEL_EVENTS), queue_log=_only(queue_log, "event", QUEUE_LOG_EVENTS),
        tz=tz, short_abandon_s=short_abandon_s)
    calls = result.calls[_within(result.calls["start"], _aware(lo, tz), _aware(hi, tz))]
    audit.unlinked_transfers = int(calls["call_id"].isin(result.unlinked_transfers).sum())
    audit.calls = len(calls)
    answered = calls.loc[(calls["status"] == "answered").to_numpy(), "call_id"]
    audit.answered = len(answered)
    by_cel = text_in(answered, _bridged_calls(cel))
    channels = _channel_calls(cel, cdr)
    by_queue = text_in(answered, _connected_calls(queue_log, channels)) & ~by_cel
    audit.answers_from_cel, audit.answers_from_queue_log = int(by_cel.sum()), int(by_queue.sum())
    audit.open_calls = _open_calls(cel, queue_log, channels, result.calls["call_id"], lo, hi)
    return audit


def audit_period(store: Store, settings: Settings, start: pd.Timestamp, end: pd.Timestamp) -> Audit:
    """The audit of ``[start, end)`` (tz-aware, or naive PBX-local) from the store's raw rows.

    A month at a time, as the derivation works: each month's rows are read with the margin of
    :data:`~atsnb.calls.derive.CALL_MARGIN` on both sides (legs of calls over the bound), so
    memory does not grow with the period; the months' audits are added up.
    """
    tz = settings.pbx.timezone
    lo, hi = _local(pd.Timestamp(start), tz), _local(pd.Timestamp(end), tz)
    total = Audit(start=_aware(lo, tz), end=_aware(hi, tz))
    topology = None
    for s, e in _months(lo, hi):
        window = (s - CALL_MARGIN, e + CALL_MARGIN)
        cdr = store.table("cdr").read(*window)
        cel = _read(store, "cel", window, CEL_COLUMNS, "eventtype", AUDIT_CEL_EVENTS)
        queue_log = _read(store, "queue_log", window, AUDIT_QUEUE_LOG_COLUMNS, "event", AUDIT_QUEUE_LOG_EVENTS)
        if topology is None and not cdr.empty:
            topology = Topology.from_store(store, cdr)
        month = audit_records(cdr, Topology() if topology is None else topology, cel=cel, queue_log=queue_log, tz=tz,
                              short_abandon_s=settings.thresholds.short_abandon_s, start=s, end=e)
        month.cel_rows = _stored_rows(store, "cel", s, e)
        month.queue_log_rows = _stored_rows(store, "queue_log", s, e)
        total = total + month
    return total


# -- reading -------------------------------------------------------------------------------------

def _months(lo: pd.Timestamp, hi: pd.Timestamp) -> Iterator[tuple[pd.Timestamp, pd.Timestamp]]:
    """``[lo, hi)`` cut at the first of every month (naive PBX-local times)."""
    s = lo
    while s < hi:
        e = min(hi, (s.to_period("M") + 1).to_timestamp())
        yield s, e
        s = e


def _read(store: Store, name: str, window: tuple[pd.Timestamp, pd.Timestamp], columns: list[str], kind: str,
          kinds: set[str]) -> pd.DataFrame | None:
    """The events of ``kinds`` in ``window``, only ``columns`` (CEL is several times larger than CDR)."""
    table = store.table(name)
    if not table.months():
        return None
    df = table.read(*window, columns=columns, where=[(kind, "in", sorted(kinds))])
    return None if df.empty else df.reset_index(drop=True)


def _stored_rows(store: Store, name: str, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """How many rows of a raw table lie in ``[start, end)``: only the time column is read."""
    table = store.table(name)
    return len(table.read(start, end, columns=[table.time_col])) if table.months() else 0


# -- counting ------------------------------------------------------------------------------------

def _cdr(cdr: pd.DataFrame) -> pd.DataFrame:
    """The frame with a plain 0..n-1 index (rows are told apart by it) and ``calldate`` (Asterisk's
    own schema names it ``start``)."""
    cdr = cdr.reset_index(drop=True)
    if "calldate" not in cdr.columns and "start" in cdr.columns:
        cdr = cdr.rename(columns={"start": "calldate"})
    return cdr


def _count_cdr(audit: Audit, cdr: pd.DataFrame, lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> pd.DataFrame:
    """Count the CDR rows of ``[lo, hi)``, skipped, merged as duplicates, repaired, with unknown
    channel technologies; returns the rows reconstruction is given (those with a readable time)."""
    if cdr.empty:
        return cdr
    readable, calldate = _readable_times(cdr)
    audit.skipped["calldate_unreadable"] = int((~readable).sum())  # a row without a time has no period
    cdr = cdr[readable].reset_index(drop=True)
    inside = _within(calldate, lo, hi)[readable]
    audit.cdr_rows = int(inside.sum())
    kept = drop_duplicate_rows(cdr)
    audit.duplicates = audit.cdr_rows - int(inside[kept.index].sum())
    period_rows = kept[inside[kept.index]]
    _count_repairs(audit, period_rows)
    _count_unknown_techs(audit, period_rows)
    return cdr


def _readable_times(cdr: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
    """Which rows have a start time the sync would store (present, a real date, not before
    :data:`~atsnb.sync.normalise.EARLIEST`), and the times (NaT where not)."""
    if "calldate" not in cdr.columns:
        return np.zeros(len(cdr), dtype=bool), pd.Series(pd.NaT, index=cdr.index, dtype="datetime64[us]")
    raw = cdr["calldate"]
    if isinstance(raw.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(raw.dtype):
        times = raw
    else:
        times = pd.to_datetime(raw, errors="coerce", format="mixed")
    readable = times.notna().to_numpy() & (_naive(times) >= EARLIEST).fillna(False).to_numpy()
    return readable, times.where(readable)


def _naive(times: pd.Series) -> pd.Series:
    return times.dt.tz_localize(None) if isinstance(times.dtype, pd.DatetimeTZDtype) else times


def _within(times: pd.Series, lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> np.ndarray:
    """``lo <= time < hi`` per row (either bound optional)."""
    inside = times.notna().to_numpy().copy()
    if lo is not None:
        inside &= (times >= lo).fillna(False).to_numpy()
    if hi is not None:
        inside &= (times < hi).fillna(False).to_numpy()
    return inside


def _rows_within(df: pd.DataFrame | None, column: str, lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> int:
    if df is None or df.empty:
        return 0
    return int(_within(pd.to_datetime(df[column], errors="coerce", format="mixed"), lo, hi).sum())


def _only(df: pd.DataFrame | None, column: str, kinds: set[str]) -> pd.DataFrame | None:
    """The rows reconstruction is given, as the derivation gives them."""
    if df is None or df.empty:
        return None
    return df[df[column].astype(str).isin(kinds)].reset_index(drop=True)


def _seconds(cdr: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A count of seconds as reconstruction reads it, and where it took the value as 0 (negative
    or unreadable); a column the schema lacks repairs nothing."""
    if column not in cdr.columns:
        return np.zeros(len(cdr)), np.zeros(len(cdr), dtype=bool)
    values = pd.to_numeric(cdr[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(values > 0, values, 0.0), np.isnan(values) | (values < 0)


def _count_repairs(audit: Audit, cdr: pd.DataFrame) -> None:
    duration, duration_zeroed = _seconds(cdr, "duration")
    billsec, billsec_zeroed = _seconds(cdr, "billsec")
    linkedid = cdr["linkedid"].fillna("").astype(str).to_numpy() if "linkedid" in cdr.columns else np.full(len(cdr), "")
    found = {"duration_zeroed": duration_zeroed, "billsec_zeroed": billsec_zeroed,
             "billsec_clipped": billsec > duration, "linkedid_joined": linkedid == ""}
    for reason, rows in found.items():
        audit.repaired[reason] = int(rows.sum())
    audit.repaired_rows = int(np.logical_or.reduce(list(found.values())).sum()) if len(cdr) else 0


def _count_unknown_techs(audit: Audit, cdr: pd.DataFrame) -> None:
    """Rows with a channel or destination channel of a technology not in ``KNOWN_TECHS``, per technology
    (a row with both sides of one unknown technology counts once)."""
    if cdr.empty:
        return
    sides = [parse_channels(cdr[c])["tech"].to_numpy(dtype=object) if c in cdr.columns
             else np.full(len(cdr), "", dtype=object) for c in ("channel", "dstchannel")]
    unknown = [(tech != "") & ~np.isin(tech, list(KNOWN_TECHS)) for tech in sides]
    audit.unknown_tech_rows = int((unknown[0] | unknown[1]).sum())
    row_techs = pd.DataFrame({"row": np.r_[np.flatnonzero(unknown[0]), np.flatnonzero(unknown[1])],
                              "tech": np.r_[sides[0][unknown[0]], sides[1][unknown[1]]]}).drop_duplicates()
    audit.unknown_techs = {str(k): int(v) for k, v in row_techs["tech"].value_counts().items()}


def _channel_calls(cel: pd.DataFrame | None, cdr: pd.DataFrame) -> pd.DataFrame:
    """Each channel's (``uniqueid``) call (``linkedid``), from CEL's channel starts and the CDR rows
    that carry a linkedid: a queue_log ``callid`` is the uniqueid of the channel that ran ``Queue()``,
    not always the call's."""
    parts = []
    if cel is not None and not cel.empty:
        parts.append(cel.loc[(cel["eventtype"].astype(str) == CHANNEL_BEGAN).to_numpy(), ["uniqueid", "linkedid"]])
    if {"uniqueid", "linkedid"} <= set(cdr.columns):
        parts.append(cdr[["uniqueid", "linkedid"]])
    if not parts:
        return pd.DataFrame({"uniqueid": pd.Series(dtype=object), "linkedid": pd.Series(dtype=object)})
    both = pd.concat(parts, ignore_index=True).astype(str)
    return both[(both["linkedid"] != "").to_numpy()]


def _call_of(ids: pd.Series, channels: pd.DataFrame) -> pd.Series:
    """Each channel uniqueid's call id (:func:`_channel_calls`; the uniqueid itself when unknown)."""
    ids = ids.astype(str).reset_index(drop=True)
    at = text_positions(ids, channels["uniqueid"])
    linked = channels["linkedid"].to_numpy(dtype=object)[np.maximum(at, 0)] if len(channels) else ids.to_numpy()
    return pd.Series(np.where(at >= 0, linked, ids.to_numpy(dtype=object)), dtype=object)


def _bridged_calls(cel: pd.DataFrame | None) -> pd.Series:
    """Calls with a CEL bridge entry that is not a holding bridge: the moment a person answered,
    which reconstruction takes over an early ``Answer()`` (atsnb/calls/answer_times.py)."""
    if cel is None or cel.empty:
        return pd.Series(dtype=object)
    entered = cel[(cel["eventtype"].astype(str) == "BRIDGE_ENTER").to_numpy()]
    holding = entered["extra"].fillna("").astype(str).str.contains("holding_bridge", regex=False).to_numpy()
    return entered.loc[~holding, "linkedid"].astype(str)


def _connected_calls(queue_log: pd.DataFrame | None, channels: pd.DataFrame) -> pd.Series:
    """Calls with a queue_log ``CONNECT``: an agent took the queued caller at that moment."""
    if queue_log is None or queue_log.empty:
        return pd.Series(dtype=object)
    return _call_of(queue_log.loc[(queue_log["event"].astype(str) == "CONNECT").to_numpy(), "callid"], channels)


def _open_calls(cel: pd.DataFrame | None, queue_log: pd.DataFrame | None, channels: pd.DataFrame,
                finished: pd.Series, lo: pd.Timestamp | None, hi: pd.Timestamp | None) -> int:
    """Calls begun in ``[lo, hi)`` that have not ended: in CEL a channel began and neither it
    (HANGUP, CHAN_END) nor its call (LINKEDID_END) ended; in queue_log the caller's last event is
    ``ENTERQUEUE`` and CDR holds no row of the call (CDR is written at hang-up)."""
    found: list[pd.Series] = []
    ended_calls = pd.Series(dtype=object)
    if cel is not None and not cel.empty:
        event = cel["eventtype"].astype(str)
        ended_calls = cel.loc[(event == CALL_ENDED).to_numpy(), "linkedid"].astype(str)
        ended_channels = cel.loc[event.isin(sorted(CHANNEL_ENDED)).to_numpy(), "uniqueid"].astype(str)
        began = cel[(event == CHANNEL_BEGAN).to_numpy()]
        linked = began["linkedid"].astype(str)
        going = ~text_in(began["uniqueid"], ended_channels) & ~text_in(linked, ended_calls)
        first = began["eventtime"].groupby(linked.to_numpy()).min()  # when each call began
        first = first[text_in(first.index.to_series(), linked[going])]
        found.append(first.index[_within(first, lo, hi)].to_series())
    if queue_log is not None and not queue_log.empty:
        q = queue_log[queue_log["event"].astype(str).isin(sorted(QUEUE_CLOSED | {QUEUE_ENTERED})).to_numpy()]
        q = q.assign(at=pd.to_datetime(q["time"], errors="coerce", format="mixed"))
        q = q.sort_values(["at", "id"] if "id" in q.columns else ["at"], kind="stable")
        last = q.groupby(q["callid"].astype(str).to_numpy()).tail(1)
        waiting = last[(last["event"].astype(str) == QUEUE_ENTERED).to_numpy() & _within(last["at"], lo, hi)]
        calls = _call_of(waiting["callid"], channels)
        found.append(calls[~text_in(calls, finished) & ~text_in(calls, ended_calls)])
    return int(pd.concat(found).astype(str).nunique()) if found else 0


# -- time and words ------------------------------------------------------------------------------

def _local(ts: pd.Timestamp | None, tz: str) -> pd.Timestamp | None:
    """A bound as naive PBX-local time (the raw tables' time)."""
    if ts is None:
        return None
    ts = pd.Timestamp(ts)
    return ts.tz_convert(tz).tz_localize(None) if ts.tzinfo is not None else ts


def _aware(ts: pd.Timestamp | None, tz: str) -> pd.Timestamp | None:
    return None if ts is None else ts.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def _first(a: pd.Timestamp | None, b: pd.Timestamp | None, pick) -> pd.Timestamp | None:
    known = [x for x in (a, b) if x is not None]
    return pick(known) if known else None


def _count(n: int) -> str:
    """``12 345`` (Russian, a non-breaking space) or ``12,345`` (English)."""
    return f"{n:,}".replace(",", "\u00a0") if i18n.language() == "ru" else f"{n:,}"


def _percent(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"
    return (text.replace(".", ",") if i18n.language() == "ru" else text) + "\u00a0%"


@contextmanager
def _speaking(lang: str | None) -> Iterator[None]:
    """Texts in ``lang`` for the duration (the UI language when None)."""
    if lang is None:
        yield
        return
    before = i18n.language()
    i18n.set_language(lang)
    try:
        yield
    finally:
        i18n.set_language(before)
