"""Finding calls in the store by what an investigator knows of them: a piece of the number in any
spelling, the partner's name, an employee or department, the line, direction, status, the time,
talk or wait longer than, whether it was recorded.

A year of a busy PBX is a million calls, and a search must answer in well under a second.  So the
calls are read as Arrow straight from the month files, only the columns the search and the
records table need, the simple conditions (direction, status, line, durations, recording) pushed
into the Parquet reader, and the text conditions run as Arrow compute over whole columns; nothing
becomes a pandas object until a page of rows is shown (:class:`Found`).

Numbers match on digits: ``+7 916 123``, ``8 (916) 123`` and ``916123`` all find ``79161234567``
— the query's digits anywhere in the client's normalised number, the caller or the dialled
number, and a query written with the national ``8`` also as the ``7`` it stands for
(:func:`number_patterns`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.answers_column import ANSWERS, RECORD, UNIT
from atsnb.calls.reached_column import REACHED
from atsnb.calls.reading import TIME_COLUMNS, TimeLike
from atsnb.config import Settings
from atsnb.errors import InputError
from atsnb.i18n import t
from atsnb.phone_numbers import normalize_number
from atsnb.reference.org import Org
from atsnb.store import Store

# what the records table shows of a call, besides what a search tests
FOUND_COLUMNS = ["call_id", "start", "direction", "status", "external_number", "caller", "dialed", "line",
                 "employee", "wait_s", "talk_s", "transfers", "recording"]
STATUSES = ("answered", "unanswered", "dropped")
MIN_NUMBER_DIGITS = 2  # one digit is in almost every number: no search at all


@dataclass(frozen=True)
class Criteria:
    """What a search asks, every part optional (none: every call of the time range).

    ``number``: digits of a number as a person types them; ``numbers``: whole normalised numbers
    (a partner's); ``extensions``: the calls these people handled or that rang their phones;
    ``talk_over_s`` / ``wait_over_s``: longer than; ``recording``: with (True) or without (False)."""

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    number: str | None = None
    numbers: tuple[str, ...] | None = None
    extensions: tuple[str, ...] | None = None
    line: tuple[str, ...] | None = None
    direction: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    talk_over_s: float | None = None
    wait_over_s: float | None = None
    recording: bool | None = None


def number_patterns(text: str) -> tuple[str, ...]:
    """The digit strings a typed number is looked for as: its digits, and for a number written with
    the national ``8`` (``8916…``) also ``7916…``, the form the store keeps."""
    digits = "".join(ch for ch in str(text) if "0" <= ch <= "9")
    if len(digits) < MIN_NUMBER_DIGITS:
        raise InputError(t("rec_bad_number", value=text))
    whole = normalize_number(text)
    patterns = {digits, whole} if whole else {digits}
    if digits.startswith("8") and not str(text).strip().startswith("+"):
        patterns.add("7" + digits[1:])
    return tuple(sorted(patterns))


class Found:
    """The calls a search matched, newest first, held as one Arrow table: counting, sorting by any
    column and taking one page never touch the other rows (:meth:`page`)."""

    def __init__(self, table: pa.Table, tz: str):
        self.table = table
        self.tz = tz
        self._orders: dict[tuple[str, bool], pa.Array] = {}  # each order sorted once: the next page is a slice

    def __len__(self) -> int:
        return self.table.num_rows

    def order(self, by: str = "start", descending: bool = True) -> pa.Array:
        """Row positions in the order of one column (ties by start, newest first), blanks last."""
        if (by, descending) not in self._orders:
            keys = [(by, "descending" if descending else "ascending")]
            if by != "start":
                keys.append(("start", "descending"))
            self._orders[by, descending] = pc.sort_indices(self.table, sort_keys=keys)
        return self._orders[by, descending]

    def page(self, number: int, size: int, by: str = "start", descending: bool = True) -> pd.DataFrame:
        """Rows ``number * size`` … of the order (``number`` from 0), as a pandas frame in the PBX zone."""
        at = number * size
        if by == "start" and descending:  # the stored order reversed: no sort needed
            n = self.table.num_rows
            rows = pa.array(np.arange(n - 1 - at, max(n - 1 - at - size, -1), -1, dtype=np.int64))
        else:
            rows = self.order(by, descending)[at:at + size]
        return self.frame(self.table.take(rows))

    def all(self, by: str = "start", descending: bool = True) -> pd.DataFrame:
        """Every matched row in the order asked (what an export holds)."""
        return self.frame(self.table.take(self.order(by, descending)))

    def frame(self, table: pa.Table) -> pd.DataFrame:
        out = table.to_pandas()
        for column in TIME_COLUMNS:
            if column in out:
                out[column] = out[column].dt.tz_convert(self.tz)
        return out


def search(store: Store, settings: Settings, criteria: Criteria, columns: Iterable[str] = FOUND_COLUMNS) -> Found:
    """The calls matching ``criteria``, with ``columns`` (and whatever the search tests), in start order."""
    columns = list(dict.fromkeys(columns))
    tested = [*(["external_number", "caller", "dialed"] if criteria.number or criteria.numbers else []),
              *(["employee", "answered_by", ANSWERS, REACHED] if criteria.extensions is not None else [])]
    reading = list(dict.fromkeys([*columns, "start", *tested]))
    calls = store.table("calls")
    present = set(calls_schema_names(store))
    reading = [c for c in reading if c in present]
    table = calls.read_arrow(criteria.start, criteria.end, reading, where=pushed(criteria) or None)
    if table is None:
        return Found(_empty(settings.pbx.timezone, columns), settings.pbx.timezone)
    mask = None
    if criteria.number:
        mask = _and(mask, _number_mask(table, number_patterns(criteria.number)))
    if criteria.numbers is not None:
        mask = _and(mask, pc.is_in(_text(table, "external_number"), value_set=pa.array(list(criteria.numbers), pa.string())))
    if criteria.extensions is not None:
        mask = _and(mask, _people_mask(table, criteria.extensions))
    if mask is not None:
        table = table.filter(pc.fill_null(mask, False))
    return Found(table.select([c for c in columns if c in table.column_names]), settings.pbx.timezone)


def calls_schema_names(store: Store) -> list[str]:
    """The columns the newest calls file has (older stores may lack the derived ones)."""
    import pyarrow.parquet as pq

    months = store.table("calls").months()
    if not months:
        return []
    return pq.read_schema(store.root / "calls" / f"{months[-1]}.parquet").names


def pushed(criteria: Criteria) -> list[tuple[str, str, object]]:
    """The conditions the Parquet reader tests itself (and skips row groups by)."""
    where: list[tuple[str, str, object]] = []
    for column in ("line", "direction", "status"):
        values = getattr(criteria, column)
        if values is not None:
            where.append((column, "in", list(values)))
    if criteria.talk_over_s is not None:
        where.append(("talk_s", ">", float(criteria.talk_over_s)))
    if criteria.wait_over_s is not None:
        where.append(("wait_s", ">", float(criteria.wait_over_s)))
    if criteria.recording is not None:
        where.append(("recording", "!=" if criteria.recording else "==", ""))
    return where


def _and(mask: pa.Array | None, more: pa.Array) -> pa.Array:
    return more if mask is None else pc.and_(mask, more)


def _text(table: pa.Table, column: str) -> pa.ChunkedArray:
    values = table[column]
    return values.cast(pa.string()) if values.type != pa.string() else values


def _number_mask(table: pa.Table, patterns: tuple[str, ...]) -> pa.Array:
    """Calls whose client number, caller or dialled number holds one of the digit strings; the
    caller and dialled number as the PBX wrote them are compared by their digits."""
    mask = None
    for column in ("external_number", "caller", "dialed"):
        values = _text(table, column)
        if column != "external_number":  # "+7 (916) 123-45-67" as the PBX may write it: digits only
            values = pc.replace_substring_regex(values, r"[^0-9]+", "")
        for pattern in patterns:
            hit = pc.match_substring(values, pattern)
            mask = hit if mask is None else pc.or_(mask, hit)
    return pc.fill_null(mask, False)


def _people_mask(table: pa.Table, extensions: tuple[str, ...]) -> pa.Array:
    """Calls one of ``extensions`` handled (its employee, who answered, an answer after a transfer)
    or that rang their phone or was forwarded by them (the ``reached`` tokens)."""
    wanted = pa.array(list(extensions), pa.string())
    mask = pc.or_(pc.is_in(_text(table, "employee"), value_set=wanted),
                  pc.is_in(_text(table, "answered_by"), value_set=wanted))
    if not extensions:
        return pc.fill_null(mask, False)
    alternatives = "|".join(re.escape(e) for e in extensions)
    if ANSWERS in table.column_names:
        answered = pc.match_substring_regex(_text(table, ANSWERS), f"(^|{RECORD})({alternatives}){UNIT}")
        mask = pc.or_(mask, pc.fill_null(answered, False))
    if REACHED in table.column_names:
        rang = pc.match_substring_regex(_text(table, REACHED), f"(^|{RECORD})[rRfF]({alternatives})({RECORD}|$)")
        mask = pc.or_(mask, pc.fill_null(rang, False))
    return pc.fill_null(mask, False)


def _empty(tz: str, columns: list[str]) -> pa.Table:
    from atsnb.calls.reconstruct import empty_calls

    return pa.Table.from_pandas(empty_calls(tz)[[c for c in columns if c in empty_calls(tz)]], preserve_index=False)


# -- from what a person gives to criteria --------------------------------------------------------

def as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def moment(value: TimeLike | None, tz: str, name: str) -> pd.Timestamp | None:
    """A time bound in the PBX zone (naive ones are PBX-local), or None."""
    if value is None or value == "":
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise InputError(t("rec_bad_time", name=name, value=value)) from exc
    if ts is pd.NaT:
        return None
    return ts.tz_localize(tz, ambiguous=True, nonexistent="shift_forward") if ts.tzinfo is None else ts.tz_convert(tz)


def partner_numbers(store: Store, partner: str) -> tuple[str, ...]:
    """The numbers of the partners whose name contains ``partner`` (any case); an error naming
    some partners when none does."""
    partners = store.catalog.read("partners")
    names = partners["name"].astype(str)
    hit = names.str.casefold().str.contains(partner.strip().casefold(), regex=False)
    if not hit.any():
        known = ", ".join(sorted(set(names))[:15]) or t("rep_known_none")
        raise InputError(t("rec_unknown_partner", value=partner, known=known))
    return tuple(sorted({normalize_number(n) for n in partners.loc[hit, "number"]} - {""}))


def people(store: Store, settings: Settings, employee: str | Iterable[str] | None,
           department: str | None) -> tuple[str, ...] | None:
    """The extensions an employee and/or department filter names (a department with its
    sub-departments); an error naming the departments there are for an unknown one."""
    chosen = as_tuple(employee)
    if not department:
        return chosen
    org = Org.from_catalog(store.catalog, settings)
    if department not in org.parents:
        known = ", ".join(name for _, name in org.tree_rows()) or t("rep_known_none")
        raise InputError(t("rep_unknown_department", value=department, known=known))
    inside = org.employees_in(department)
    return tuple(sorted(inside if chosen is None else inside & set(chosen)))


def criteria(
    store: Store, settings: Settings, *, start: TimeLike | None = None, end: TimeLike | None = None,
    number: str | None = None, partner: str | None = None, employee: str | Iterable[str] | None = None,
    department: str | None = None, line: str | Iterable[str] | None = None,
    direction: str | Iterable[str] | None = None, status: str | Iterable[str] | None = None,
    talk_over: float | None = None, wait_over: float | None = None, recording: bool | None = None,
) -> Criteria:
    """:class:`Criteria` from the words of a person or a page address: names resolved to numbers and
    extensions, times in the PBX zone; a value that names nothing is refused with a sentence."""
    tz = settings.pbx.timezone
    statuses = as_tuple(status)
    for value in statuses or ():
        if value not in STATUSES:
            raise InputError(t("rec_unknown_status", value=value, known=", ".join(STATUSES)))
    return Criteria(
        start=moment(start, tz, "start"), end=moment(end, tz, "end"),
        number=str(number).strip() or None if number is not None else None,
        numbers=partner_numbers(store, partner) if partner else None,
        extensions=people(store, settings, employee, department),
        line=as_tuple(line), direction=as_tuple(direction), status=statuses,
        talk_over_s=None if talk_over is None else float(talk_over),
        wait_over_s=None if wait_over is None else float(wait_over),
        recording=recording,
    )
