"""What a report is computed on: the period, the filtered calls (loaded once), who handled them,
and the organisation.

Every report function starts with :func:`load_scope` and computes all its elements from the one
:class:`Scope`, so the figures of one report are consistent with each other and a notebook, a
dashboard and a mailed snapshot given the same filters show the same numbers.

Filters (docs/reports.md): ``direction`` and ``line`` compare the call's column (``direction`` also
takes the groups ``external`` — incoming, outgoing, mixed — and ``all``); ``employee`` keeps the
calls the employee handled, transfers included; ``department`` keeps the calls handled by anyone
in the department or below it in the tree.  Both also keep the incoming calls that reached those
people without being handled by them — their phones rang, or, unanswered, the call waited in
their queue or ring group (:mod:`atsnb.metrics.who_missed`) — so a department's missed calls are its
own, never a silent 0 %; :attr:`Scope.reach_note` says so under the figures.  ``panel`` (employees and
departments reports) keeps the employees an efficiency panel applies to (:mod:`atsnb.reports.panel_filter`)
the same way.  With an employee or
department filter the per-employee rows are limited to those employees too.  A value that names nothing (a department not in the
directory, a line never seen) is refused with the values there are, never read as "no filter".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, TypeVar

import numpy as np
import pandas as pd

from atsnb.calls.reached_column import REACHED
from atsnb.calls.reading import (
    ANSWERS,
    ATTRIBUTION_COLUMNS,
    ROUTE_COLUMNS,
    SCOPE_COLUMNS,
    read_answer_steps,
    read_call_columns,
    read_calls,
    read_routes,
)
from atsnb.config import Settings
from atsnb.errors import AtsnbError, StoreError
from atsnb.i18n import t
from atsnb.metrics.attribution import employee_calls
from atsnb.metrics.calls import DIRECTIONS, EXTERNAL, INBOUND, one_of
from atsnb.metrics.who_missed import reaching
from atsnb.reference.org import Org
from atsnb.reports.panel_filter import panel_label, panel_people, panel_values
from atsnb.reports.period import describe, period_range
from atsnb.store import Store

T = TypeVar("T")
StoreLike = Store | str | os.PathLike[str] | None  # a store or its folder (None: an error saying so)
# what ``direction`` takes besides the directions themselves
DIRECTION_GROUPS: dict[str, tuple[str, ...]] = {"external": EXTERNAL, "all": DIRECTIONS}
KNOWN_SHOWN = 15  # an unknown value's message lists this many of the values there are


class ScopeKeywords(TypedDict, total=False):
    """The keywords every report function passes on to :func:`load_scope` untouched: the period
    bounds, the filters, and where the calls and settings come from."""

    start: object
    end: object
    department: str | None
    panel: str | None
    employee: str | Iterable[str] | None
    line: str | Iterable[str] | None
    direction: str | Iterable[str] | None
    store: StoreLike
    settings: Settings | None
    now: pd.Timestamp | None


class FilterError(AtsnbError):
    """A report filter names something that does not exist (e.g. an unknown department)."""


@dataclass
class Scope:
    """The data one report is built from."""

    start: pd.Timestamp
    end: pd.Timestamp
    calls: pd.DataFrame  # one row per call, filters applied
    # one row per (call, employee), see atsnb.metrics.attribution (its ``call`` = the row of ``calls``,
    # which is how its rows name their call: they may have no call_id), or how to compute it when an
    # element first asks (:attr:`attributed`): the lines report never does
    attribution: pd.DataFrame | Callable[[], pd.DataFrame]
    org: Org
    line_names: dict[str, str]  # company number → its name in the lines directory
    settings: Settings
    filters: dict[str, object]  # as shown to the reader: period text, names instead of codes
    store: Store | None = None  # where the full routes are read from, when an element needs them
    now: pd.Timestamp | None = None  # the report's clock: hours after it have not happened yet (None: all have)
    directions: tuple[str, ...] = DIRECTIONS  # the directions of the calls in it (the direction filter)
    people: frozenset[str] | None = None  # the extensions an employee or department filter keeps (None: all)
    reach_note: str = ""  # with such a filter: which calls it keeps, for the captions of the figures
    memo: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def attributed(self) -> pd.DataFrame:
        """The attribution frame, computed on first use when the scope was loaded without it."""
        if callable(self.attribution):
            self.attribution = self.attribution()
        return self.attribution

    def once(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` the first time ``key`` is asked for, the same result after: elements that
        share an intermediate (the per-line load) compute it once per report."""
        if key not in self.memo:
            self.memo[key] = compute()
        return self.memo[key]  # type: ignore[return-value]

    def route_steps(self, calls: pd.DataFrame) -> pd.DataFrame:
        """Every route step of ``calls`` (some of the scope's), read from the first one's start on."""
        if self.store is None:
            return pd.DataFrame(columns=ROUTE_COLUMNS)
        return read_routes(self.store, calls, self.end)

    def columns_of(self, calls: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """``columns`` of ``calls`` (some of the scope's), read for just those calls when the scope
        was loaded without them (the detail table's numbers and recordings)."""
        if set(columns) <= set(calls.columns) or self.store is None:
            return calls[columns]
        return read_call_columns(self.store, self.settings, calls, columns)

    def employee_label(self, extension: str) -> str:
        return employee_label(self.org, extension)

    def calls_label(self, within: Iterable[str] = DIRECTIONS) -> str:
        """Which calls a figure counts, for its title: the scope's directions among ``within`` (the
        directions the figure can count at all — a line load only external ones)."""
        return calls_label([d for d in self.directions if d in set(within)])

    def line_label(self, number: str) -> str:
        """``"Реклама (74951234567)"``, or the bare number when the directory has no name."""
        name = self.line_names.get(str(number))
        return f"{name} ({number})" if name else str(number) or "—"


def calls_label(directions: Iterable[str]) -> str:
    """"все звонки", "внешние звонки", "входящие звонки", "исходящие, внутренние звонки"."""
    chosen = set(directions)
    if chosen >= set(DIRECTIONS):
        return t("rep_scope_all")
    if chosen == set(EXTERNAL):
        return t("rep_scope_external")
    if chosen == set(INBOUND):
        return t("rep_scope_inbound")
    if not chosen:
        return t("rep_scope_none")
    return t("rep_scope_directions", directions=", ".join(t(f"rep_scope_{d}") for d in DIRECTIONS if d in chosen))


def known_text(values: Iterable[str]) -> str:
    """The values a filter can take, for an unknown value's message: the first :data:`KNOWN_SHOWN`,
    then how many more."""
    values = list(values)
    shown = ", ".join(values[:KNOWN_SHOWN])
    more = len(values) - KNOWN_SHOWN
    return (f"{shown} {t('rep_known_more', n=more)}" if more > 0 else shown) or t("rep_known_none")


def seen_values(store: Store, column: str) -> set[str]:
    """Distinct non-empty values of a ``calls`` column over the whole store (one column read)."""
    if not store.table("calls").months():
        return set()
    values = store.table("calls").read(columns=[column])[column]
    return {str(v) for v in values.dropna().unique() if str(v)}


def directions_of(direction: str | Iterable[str] | None) -> tuple[str, ...]:
    """The directions a ``direction`` filter keeps, in :data:`DIRECTIONS` order (all of them
    without one); groups (:data:`DIRECTION_GROUPS`) stand for their directions."""
    values = as_list(direction)
    if values is None:
        return DIRECTIONS
    wanted: set[str] = set()
    for value in values:
        if value not in DIRECTIONS and value not in DIRECTION_GROUPS:
            raise FilterError(t("rep_unknown_direction", value=value, known=known_text([*DIRECTION_GROUPS, *DIRECTIONS])))
        wanted |= set(DIRECTION_GROUPS.get(value, (value,)))
    return tuple(d for d in DIRECTIONS if d in wanted)


def check_names(store: Store, org: Org, line_names: dict[str, str], line_numbers: set[str], *,
                department: str | None, employees: list[str] | None, lines: list[str] | None) -> None:
    """Refuse a department, employee or line that exists nowhere, naming the ones there are: a
    mistyped link must not show the whole company, or nothing, as if that were the answer.  An
    extension or number not in its directory is looked for in the calls (one column read, only then)."""
    if department and department not in org.parents:
        names = [name for _, name in org.tree_rows()]
        raise FilterError(t("rep_unknown_department", value=department, known=known_text(names)))
    for column, values, directory, key in (("employee", employees, set(org.employee_department), "rep_unknown_employee"),
                                           ("line", lines, line_numbers, "rep_unknown_line")):
        missing = [v for v in values or () if v not in directory]
        if not missing:
            continue
        seen = seen_values(store, column)
        unknown = [v for v in missing if v not in seen]
        if unknown:
            every = sorted(set(directory) | seen, key=lambda v: (len(v), v))
            label = (lambda v: employee_label(org, v)) if column == "employee" else \
                (lambda v: f"{line_names[v]} ({v})" if v in line_names else v)
            raise FilterError(t(key, value=unknown[0], known=known_text(label(v) for v in every)))


def employee_label(org: Org, extension: str) -> str:
    """``"Иванов Иван (101)"``, or the bare extension when the directory has no name."""
    name = org.employee_names.get(str(extension))
    return f"{name} ({extension})" if name else str(extension)


def required_settings(settings: Settings | None) -> Settings:
    """``settings``, or a clear error: reports are handed their settings by whoever composed them."""
    if settings is None:
        raise AtsnbError("A report needs settings=…: build it through atsnb.context() (ctx.report(name, …)) "
                         "or atsnb.report(name, …), which take the configured settings and store.")
    return settings


def open_store(store: StoreLike) -> Store:
    """``store``, or the store in that folder; a clear error without one (as for the settings) —
    and for a folder that holds no store: opening it would create an empty one, and a report on it
    would show zeros as if nobody had called."""
    if isinstance(store, Store):
        return store
    if store is None:
        raise AtsnbError("A report needs store=… (a Store or its folder): build it through atsnb.context() "
                         "(ctx.report(name, …)), which passes the configured store.")
    require_store_at(store)
    return Store.open(store)


def require_store_at(folder: str | os.PathLike[str]) -> None:
    """A clear error when ``folder`` holds no store (its catalog file is what every store has)."""
    path = Path(os.path.expanduser(os.fspath(folder)))
    if not (path / "atsnb.sqlite").is_file():
        raise StoreError(t("rep_store_missing", path=path))


def require_calls(store: Store) -> None:
    """A clear error when the store holds no call at all (never synced): its reports would be
    zeros that look like figures."""
    if not store.table("calls").months():
        raise StoreError(t("rep_store_no_calls", path=store.root))


def as_list(value: object) -> list[str] | None:
    """A filter value as a list of texts (None: no filter)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return [str(value)]


def load_scope(
    period: str = "last_30_days",
    *,
    start: object = None,
    end: object = None,
    department: str | None = None,
    panel: str | None = None,
    employee: str | Iterable[str] | None = None,
    line: str | Iterable[str] | None = None,
    direction: str | Iterable[str] | None = None,
    store: StoreLike = None,
    settings: Settings | None = None,
    now: pd.Timestamp | None = None,
    apply_line: bool = True,
    columns: list[str] | None = None,
) -> Scope:
    """Load and filter the calls of a period once (see the module docstring for the filters).

    ``settings`` and ``store`` come from the caller (:meth:`atsnb.composition.Context.report` passes
    its own): a report reads no configuration itself.  ``apply_line=False`` keeps every line (the
    external-lines report compares lines and uses ``line`` only to pick the number its chart follows).
    ``columns``: only these calls' columns, for a report that needs fewer (the attribution, where an
    element asks for it, needs :data:`~atsnb.calls.reading.ATTRIBUTION_COLUMNS` and ``answers``;
    an employee or department filter reads all it needs).
    """
    settings = required_settings(settings)
    store = open_store(store)
    require_calls(store)
    lo, hi = period_range(period, start=start, end=end, tz=settings.pbx.timezone, now=now)
    org = Org.from_catalog(store.catalog, settings)
    lines_dir = store.catalog.read("lines")
    line_names = {str(n): str(m) for n, m in zip(lines_dir["number"], lines_dir["name"], strict=True) if m}
    lines, employees = as_list(line), as_list(employee)
    kept = directions_of(direction)
    directions = list(kept) if kept != DIRECTIONS else None
    check_names(store, org, line_names, set(lines_dir["number"].astype(str)), department=department,
                employees=employees, lines=lines)
    panel_members = _panel_members(org, panel) if panel else None
    # a filter by people reads who each call reached as well (atsnb.calls.reached_column), and
    # everything the attribution needs besides the report's own columns
    if department or employees or panel:
        columns = list(dict.fromkeys([*SCOPE_COLUMNS, *(columns or ()), REACHED]))
    calls = read_calls(store, settings, lo, hi, columns)
    if directions:
        calls = calls[one_of(calls["direction"], directions)]
    if lines and apply_line:
        calls = calls[one_of(calls["line"], lines)]
    calls = calls.reset_index(drop=True)

    def attribute() -> pd.DataFrame:  # from the calls' answers column, else their answer steps read and matched
        if not set(ATTRIBUTION_COLUMNS) <= set(calls.columns) or not {ANSWERS, "call_id"} & set(calls.columns):
            raise AtsnbError(f"This report's calls were loaded with {', '.join(calls.columns)} only: "
                             "too few for the per-employee attribution.")
        if ANSWERS in calls:  # the rows' ``call`` names their call: a million call ids are not copied to them
            return employee_calls(calls.drop(columns="call_id", errors="ignore"), extensions=org.employee_department)
        return employee_calls(calls, read_answer_steps(store, lo, hi), extensions=org.employee_department)

    attributed: pd.DataFrame | Callable[[], pd.DataFrame] = attribute
    people: set[str] | None = None
    if department:
        people = org.employees_in(department)
    if employees:
        people = set(employees) if people is None else people & set(employees)
    if panel_members is not None:
        people = panel_members if people is None else people & panel_members
    if people is not None:  # the filter needs the attribution now
        rows = attribute()
        rows = rows[one_of(rows["employee"], people)]
        handled = reaching(calls, people)  # the calls that reached them, and those they handled
        handled[rows["call"].to_numpy()] = True
        calls = calls[handled].reset_index(drop=True)
        attributed = rows.assign(call=(np.cumsum(handled) - 1)[rows["call"].to_numpy()]).reset_index(drop=True)
    shown: dict[str, object] = {"period": describe(lo, hi)}
    if department:
        shown["department"] = department
    if panel:
        shown["panel"] = panel_label(org, panel)
    if employees:
        shown["employee"] = ", ".join(employee_label(org, e) for e in employees)
    if lines:
        shown["line"] = ", ".join(lines)
    if directions:
        shown["direction"] = calls_label(directions) if set(directions) == set(EXTERNAL) else \
            ", ".join(t(d) for d in directions)
    return Scope(lo, hi, calls, attributed, org, line_names, settings, shown, store,
                 now=pd.Timestamp.now(tz=lo.tz) if now is None else pd.Timestamp(now), directions=kept,
                 people=None if people is None else frozenset(people),
                 reach_note=reach_note(department, shown.get("employee"), shown.get("panel"))
                 if people is not None else "")


def reach_note(department: str | None, employees: object, panel: object = None) -> str:
    """The caption of a scope filtered by people: the calls they handled and the ones that reached
    them (the figures then count those, e.g. the department's % unanswered)."""
    if employees:
        return t("rep_reach_employee", employee=employees)
    if department:
        return t("rep_reach_department", department=department)
    return t("rep_reach_panel", panel=panel)


def _panel_members(org: Org, panel: str) -> set[str]:
    """The employees of efficiency panel ``panel`` (:mod:`atsnb.reports.panel_filter`); an unknown
    panel is refused with the ones there are."""
    members = panel_people(org, panel)
    if members is None:
        raise FilterError(t("rep_unknown_panel", value=panel,
                            known=known_text(panel_label(org, v) + f" ({v})" for v in panel_values(org))))
    return members
