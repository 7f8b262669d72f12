"""The detailed records: every call matching a search, one row each, and one call opened — its
card, its route step by step with offsets from the start, and the PBX's own rows behind it.

The search itself is the calls layer's (:mod:`atsnb.calls.search`): it holds the matched calls as
one Arrow table, so a page of a year's million calls is sorted and cut there, and only the rows
shown become labelled rows here (:class:`RecordsSearch`).  The notebook's table holds the newest
:data:`NOTEBOOK_ROWS` of them; the dashboard pages through all and exports all.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from atsnb.calls.evidence import RAW_TABLES, CallRoute, call_route, nearest_call
from atsnb.calls.search import Found, criteria, search
from atsnb.config import Settings
from atsnb.errors import InputError
from atsnb.i18n import t
from atsnb.phone_numbers import normalize_number
from atsnb.reference.callers import Callers
from atsnb.reference.org import Org
from atsnb.reports.detail import DETAIL_LIMIT
from atsnb.reports.elements import ElementColumn, element, translated
from atsnb.reports.links import call_addresses
from atsnb.reports.model import Element, Report
from atsnb.reports.period import describe, period_range
from atsnb.reports.scope import (
    StoreLike,
    directions_of,
    employee_label,
    open_store,
    require_calls,
    required_settings,
)
from atsnb.store import Store

RECORDS_FILTERS = ("period", "start", "end", "number", "partner", "department", "employee", "line", "direction",
                   "status", "talk_over", "wait_over", "recording")
NOTEBOOK_ROWS = DETAIL_LIMIT
COLUMNS = [
    ElementColumn("start", "rep_col_start"),
    ElementColumn("direction", "rep_col_direction"),
    ElementColumn("status", "rep_col_status"),
    ElementColumn("client", "rec_col_client"),
    ElementColumn("partner", "rec_col_partner"),
    ElementColumn("operator", "rep_col_operator"),
    ElementColumn("region", "rep_col_region"),
    ElementColumn("dialed", "rep_col_dialed"),
    ElementColumn("line", "rep_col_line"),
    ElementColumn("employee", "rep_col_employee"),
    ElementColumn("wait_s", "rep_col_wait", "s", sum=True),
    ElementColumn("talk_s", "rep_col_talk", "s", sum=True),
    ElementColumn("transfers", "rep_col_transfers", sum=True),
    ElementColumn("recording", "rep_col_recording"),
]
# what a shown column sorts by among the found calls' columns (the partner's name is not stored)
SORTED_BY = {"start": "start", "direction": "direction", "status": "status", "client": "external_number",
             "dialed": "dialed", "line": "line", "employee": "employee", "wait_s": "wait_s", "talk_s": "talk_s",
             "transfers": "transfers", "recording": "recording"}


class Labels:
    """Names instead of codes for the rows shown: employees, lines and partners from the directories."""

    def __init__(self, store: Store, settings: Settings):
        self.org = Org.from_catalog(store.catalog, settings)
        lines = store.catalog.read("lines")
        self.lines = {str(n): str(m) for n, m in zip(lines["number"], lines["name"], strict=True) if m and not pd.isna(m)}
        partners = store.catalog.read("partners")
        self.partners = {normalize_number(n): str(m) for n, m in zip(partners["number"], partners["name"], strict=True)}
        self.callers = Callers.from_store(store)  # operator and region of a number (numbering registry)

    def employee(self, extension: object) -> str:
        return employee_label(self.org, str(extension)) if extension and not pd.isna(extension) else ""

    def line(self, number: object) -> str:
        number = "" if number is None or pd.isna(number) else str(number)
        return f"{self.lines[number]} ({number})" if number in self.lines else number

    def partner(self, number: object) -> str:
        return self.partners.get(str(number), "") if number and not pd.isna(number) else ""


def _mapped(values: pd.Series, label) -> pd.Series:
    """``label`` of each value, computed once per distinct value (an export maps a million rows)."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=False)
    names = pd.Series([label(u) for u in uniques], dtype=object)
    return pd.Series(names.to_numpy()[codes] if len(codes) else [], index=values.index, dtype=object)


def calls_element(rows: pd.DataFrame, labels: Labels, *, rows_total: int | None = None, note: str = "",
                  **fmt: object) -> Element:
    """Found calls (:data:`~atsnb.calls.search.FOUND_COLUMNS`) as the records table, each row
    linking to its call's page."""
    rows = rows.reset_index(drop=True)
    who = labels.callers.identify(rows["external_number"])
    frame = pd.DataFrame({
        "start": rows["start"],
        "direction": translated(rows["direction"].astype(object)),
        "status": translated(rows["status"].astype(object)),
        "client": rows["external_number"].astype(object).where(rows["external_number"].astype(object).ne(""),
                                                                rows["caller"].astype(object)),
        "partner": _mapped(rows["external_number"], labels.partner),
        "operator": who["operator"], "region": who["region"],
        "dialed": rows["dialed"].astype(object),
        "line": _mapped(rows["line"], labels.line),
        "employee": _mapped(rows["employee"], labels.employee),
        "wait_s": rows["wait_s"], "talk_s": rows["talk_s"], "transfers": rows["transfers"],
        "recording": rows["recording"].astype(object).ne("").map({True: t("rec_yes"), False: ""}),
    })
    table = element("calls", "rec_calls", frame, COLUMNS, note=note, totals=False, **fmt)
    table.links = call_addresses(rows["call_id"])
    table.rows_total = rows_total
    return table


class RecordsSearch:
    """One search: its matched calls, and any page of them (or all) as the records table."""

    def __init__(self, found: Found, labels: Labels, filters: dict[str, object]):
        self.found = found
        self.labels = labels
        self.filters = filters  # as shown to the reader

    def __len__(self) -> int:
        return len(self.found)

    @staticmethod
    def sort_column(shown: str | None) -> str:
        """The found calls' column a shown column (:data:`COLUMNS` name) sorts by; start otherwise."""
        return SORTED_BY.get(shown or "start", "start")

    def page(self, number: int, size: int, by: str | None = None, descending: bool = True) -> Element:
        """Page ``number`` (from 0) of ``size`` rows, sorted by the shown column ``by``."""
        rows = self.found.page(number, size, self.sort_column(by), descending)
        return calls_element(rows, self.labels, rows_total=len(self.found))

    def everything(self, by: str | None = None, descending: bool = True) -> Element:
        """Every matched call in the order asked: what an export holds."""
        return calls_element(self.found.all(self.sort_column(by), descending), self.labels)


def find(
    period: str = "last_30_days", *, start: object = None, end: object = None, number: str | None = None,
    partner: str | None = None, department: str | None = None, employee: str | Iterable[str] | None = None,
    line: str | Iterable[str] | None = None, direction: str | Iterable[str] | None = None,
    status: str | Iterable[str] | None = None, talk_over: float | None = None, wait_over: float | None = None,
    recording: bool | str | None = None, store: StoreLike = None, settings: Settings | None = None,
    now: pd.Timestamp | None = None,
) -> RecordsSearch:
    """The calls of a period matching the search (every part optional; ``direction`` also takes
    ``external`` and ``all``; ``recording`` True/False or ``"yes"``/``"no"``)."""
    settings = required_settings(settings)
    store = open_store(store)
    require_calls(store)
    lo, hi = period_range(period, start=start, end=end, tz=settings.pbx.timezone, now=now)
    kept = directions_of(direction)
    wanted = criteria(store, settings, start=lo, end=hi, number=number, partner=partner, employee=employee,
                      department=department, line=line, direction=None if direction is None else kept,
                      status=status, talk_over=_seconds(talk_over, "talk_over"),
                      wait_over=_seconds(wait_over, "wait_over"), recording=_yes_no(recording))
    shown: dict[str, object] = {"period": describe(lo, hi)}
    for key, value in (("number", number), ("partner", partner), ("department", department),
                       ("employee", employee), ("line", line), ("direction", direction), ("status", status),
                       ("talk_over", talk_over), ("wait_over", wait_over), ("recording", recording)):
        if value not in (None, ""):
            shown[key] = value
    return RecordsSearch(search(store, settings, wanted), Labels(store, settings), shown)


def _seconds(value: object, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InputError(t("rec_bad_seconds", name=name, value=value)) from exc
    return seconds


def _yes_no(value: bool | str | None) -> bool | None:
    if value is None or value == "" or isinstance(value, bool):
        return value if isinstance(value, bool) else None
    text = str(value).strip().casefold()
    if text in {"yes", "true", "1", "да"}:
        return True
    if text in {"no", "false", "0", "нет"}:
        return False
    raise InputError(t("rec_bad_recording", value=value))


def records(period: str = "last_30_days", **filters: object) -> Report:
    """The detailed records report: the newest :data:`NOTEBOOK_ROWS` calls matching the search,
    every row linking to its call (the dashboard pages through them all)."""
    found = find(period, **filters)  # type: ignore[arg-type]
    rows = found.found.page(0, NOTEBOOK_ROWS)
    limited = len(found) > NOTEBOOK_ROWS
    table = calls_element(rows, found.labels, rows_total=len(found),
                          note="rec_calls_note_limited" if limited else "rec_calls_note",
                          shown=len(rows), total=len(found))
    return Report("records", t("rep_records"), found.filters, [table])


# -- one call ------------------------------------------------------------------------------------

def card_element(route: CallRoute, labels: Labels) -> Element:
    """The call at a glance: what the calls table says of it, one line per field."""
    call = route.call
    fields = [
        ("rec_field_call_id", route.call_id),
        ("rep_col_start", call["start"]),
        ("rec_field_end", call["end"]),
        ("rep_col_direction", t(str(call["direction"]))),
        ("rep_col_status", t(str(call["status"]))),
        ("rep_col_caller", call["caller"]),
        ("rep_col_dialed", call["dialed"]),
        ("rec_col_client", call["external_number"]),
        ("rec_col_partner", labels.partner(call["external_number"])),
        ("rep_col_line", labels.line(call["line"])),
        ("rec_field_answered_by", labels.employee(call["answered_by"])),
        ("rep_col_employee", labels.employee(call["employee"])),
        ("rec_field_last_target", call["last_target"]),
        ("rep_col_wait", _clock(call["wait_s"])),
        ("rep_col_talk", _clock(call["talk_s"])),
        ("rep_col_transfers", call["transfers"]),
        ("rep_col_recording", call["recording"]),
    ]
    frame = pd.DataFrame({"field": [t(key) for key, _ in fields],
                          "value": [_text(value) for _, value in fields]})
    return element("card", "rec_card", frame, [ElementColumn("field", "rec_col_field"),
                                               ElementColumn("value", "rec_col_value")])


def steps_element(route: CallRoute, labels: Labels) -> Element:
    """The route step by step: offset from the call's start, time, step, from, to, outcome, duration."""
    steps = route.steps
    start = pd.Timestamp(route.call["start"])
    who = {"caller": t("rep_hangup_caller"), "callee": t("rep_hangup_callee"), "system": t("rep_hangup_system")}
    frame = pd.DataFrame({
        "offset_s": [(pd.Timestamp(at) - start).total_seconds() for at in steps["at"]],
        "at": [pd.Timestamp(at).strftime("%H:%M:%S") for at in steps["at"]],
        "kind": [t(f"step_{k}") for k in steps["kind"]],
        "party": [who.get(p, p) if k == "hangup" else p for k, p in zip(steps["kind"], steps["party"], strict=True)],
        "target": [labels.employee(x) if str(x).isdigit() and len(str(x)) < 7 else x for x in steps["target"]],
        "outcome": [t(f"outcome_{o}") if o else "" for o in steps["outcome"]],
        "duration_s": steps["duration_s"].to_numpy() if len(steps) else [],
    })
    return element("steps", "rec_steps", frame, [
        ElementColumn("offset_s", "rec_col_offset", "s"),
        ElementColumn("at", "rec_col_time"),
        ElementColumn("kind", "rec_col_step"),
        ElementColumn("party", "rec_col_from"),
        ElementColumn("target", "rec_col_to"),
        ElementColumn("outcome", "rec_col_outcome"),
        ElementColumn("duration_s", "rec_col_duration", "s"),
    ], note="rec_steps_note")


def raw_elements(route: CallRoute) -> list[Element]:
    """The PBX's rows of the call, one table per source, only the columns that say something."""
    out = []
    for name in RAW_TABLES:
        rows = route.raw.get(name, pd.DataFrame())
        spoken = [c for c in rows.columns if rows[c].astype(str).replace({"nan": "", "NaT": "", "None": "", "<NA>": ""}).ne("").any()]
        frame = rows[spoken].reset_index(drop=True)
        for column in ("id", "sequence"):  # identifiers, not counts: no thousands grouping
            if column in frame:
                frame[column] = frame[column].astype(str).replace({"<NA>": "", "nan": ""})
        out.append(Element(key=name, title=t(f"rec_raw_{name}", rows=len(frame)), data=frame,
                           note="" if len(frame) else t("rec_raw_none")))
    return out


def call_report(call_id: str | None = None, *, number: str | None = None, around: object = None,
                raw: bool = True, store: StoreLike = None, settings: Settings | None = None) -> Report:
    """One call — by ``call_id``, or the call with ``number`` nearest ``around`` — as a report: its
    card, its steps and (with ``raw``) its CDR, CEL and queue_log rows."""
    route = open_call(call_id, number=number, around=around, raw=raw, store=store, settings=settings)
    return call_elements_report(route, Labels(open_store(store), required_settings(settings)))


def open_call(call_id: str | None = None, *, number: str | None = None, around: object = None, raw: bool = True,
              store: StoreLike = None, settings: Settings | None = None) -> CallRoute:
    """The call's route (:func:`atsnb.calls.evidence.call_route`), found by id or by number and time."""
    settings = required_settings(settings)
    store = open_store(store)
    if not call_id:
        if not number or around in (None, ""):
            raise InputError(t("rec_call_or_number"))
        call_id = nearest_call(store, settings, number, around)  # type: ignore[arg-type]
    return call_route(store, settings, str(call_id), raw=raw)


def call_elements_report(route: CallRoute, labels: Labels) -> Report:
    elements = [card_element(route, labels), steps_element(route, labels)]
    if route.raw:
        elements += raw_elements(route)
    return Report("call", t("rec_call_title", call_id=route.call_id), {}, elements)


def _clock(seconds: object) -> str:
    if seconds is None or pd.isna(seconds):
        return ""
    total = int(round(float(seconds)))  # type: ignore[arg-type]
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d.%m.%Y %H:%M:%S")
    return str(value)
