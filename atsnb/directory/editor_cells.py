"""Typed cells of the directories editor: a widget per column kind, and the lists pickers offer.

A department, an employee, a line, a bot or a report is picked from what the directories (and
the report registry) hold, with free typing still allowed so that a value not in the list yet is
shown with the import's message rather than silently dropped; flags are switches; a monitor's
indicators and participants, a subscriber's lines are picked from lists (departments with their
place in the tree); a mailing's cron schedule shows its next runs under the cell.  Every cell
hands the editor its value as text, the form a CSV file has.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import pandas as pd
from croniter import croniter

from atsnb.i18n import t
from atsnb.reference.org import Org
from atsnb.reports.registry import REPORTS
from atsnb.store.directories import Catalog, DirectoryColumn
from atsnb.views.monitor_board import INDICATORS

# the stored values a choice kind can hold (the parsers accept more spellings; these are offered)
CHOICES: dict[str, tuple[str, ...]] = {
    "scope_kind": ("employee", "department"),
    "target_kind": ("extension", "group", "queue"),
    "language": ("ru", "en"),
    "directions": ("incoming", "outgoing", "incoming,outgoing"),
}
WIDTHS = {"flag": "7.5em", "count": "8.5em", "extension": "8.5em", "language": "6em", "chat_id": "9em",
          "number": "10em", "cron": "10em", "list": "15em", "numbers": "15em", "filters": "16em",
          "emails": "16em", "target_kind": "8em", "scope_kind": "8em"}
REF_WIDTH = "14em"  # a department's or an employee's name picked from a list
NEXT_RUNS = 3


@dataclass(frozen=True)
class Options:
    """What the pickers offer, read once per table: ``(label, value)`` pairs."""

    departments: list[tuple[str, str]]
    employees: list[tuple[str, str]]
    lines: list[tuple[str, str]]
    bots: list[tuple[str, str]]
    reports: list[tuple[str, str]]
    indicators: list[tuple[str, str]]

    @classmethod
    def read(cls, catalog: Catalog) -> Options:
        org = Org.from_catalog(catalog)
        employees = catalog.read("employees")
        lines = catalog.read("lines")
        people = [(f"{name} ({ext})" if isinstance(name, str) and name else str(ext), str(ext))
                  for ext, name in zip(employees["extension"], employees["name"], strict=True)]
        return cls(
            departments=[("\u00a0\u00a0" * depth + name, name) for depth, name in org.tree_rows()],
            employees=people,
            lines=[(f"{name} ({n})" if isinstance(name, str) and name else str(n), str(n))
                   for n, name in zip(lines["number"], lines["name"], strict=True)],
            bots=[(str(n), str(n)) for n in catalog.read("telegram_bots")["name"]],
            reports=[(t(spec.title), name) for name, spec in REPORTS.items()],
            indicators=[(t(f"mon_ind_{i}"), i) for i in INDICATORS],
        )


def width(column: DirectoryColumn) -> str:
    """The column's width in the table's grid."""
    if column.ref or column.name in {"scope", "report"}:
        return REF_WIDTH
    return WIDTHS.get(column.kind, "12em")


def _items(text: str | None) -> list[str]:
    return [i.strip() for i in (text or "").split(",") if i.strip()]


def _with_current(options: list[tuple[str, str]], values: list[str]) -> list[tuple[str, str]]:
    """``options`` plus any current value they lack (shown as typed, for the check to name it)."""
    known = {v for _, v in options}
    return options + [(v, v) for v in values if v not in known]


class Cell:
    """One cell: its widget, and its value as text for the draft."""

    def __init__(self, column: DirectoryColumn, text: str | None, options: Options, tz,
                 changed: Callable[[str | None], None]):
        self.column = column
        self.tz = tz
        self.note: widgets.HTML | None = None
        self.widget = self._build(column, text, options)
        self.control.add_class("atsnb-dir-input")
        self.control.observe(lambda _change: changed(self.text()), "value")

    def _build(self, c: DirectoryColumn, text: str | None, o: Options) -> widgets.Widget:
        layout = widgets.Layout(width="100%")
        if c.kind == "flag":
            self.control = widgets.Checkbox(value=text == "1", indent=False, layout=layout)
            self.control.add_class("atsnb-dir-flag")
            return self.control
        picks = self._pick_list(c, o)
        if c.name in {"indicators", "participants", "lines"}:
            values = _items(text)
            self.control = widgets.SelectMultiple(options=_with_current(picks, values), value=tuple(values),
                                                  rows=4, layout=layout)
            return self.control
        if c.kind in CHOICES or c.name == "report" or c.ref == "telegram_bots":
            choices = [(v, v) for v in CHOICES[c.kind]] if c.kind in CHOICES else picks
            current = [text] if text else []
            self.control = widgets.Dropdown(options=[("—", "")] + _with_current(choices, current),
                                            value=text or "", layout=layout)
            return self.control
        if picks:
            self.control = widgets.Combobox(value=text or "", options=[v for _, v in picks],
                                            ensure_option=False, layout=layout)
            return self.control
        self.control = widgets.Text(value=text or "", layout=layout,
                                    continuous_update=False)
        if c.kind == "cron":
            self.note = widgets.HTML(self._next_runs(text))
            self.note.add_class("atsnb-dir-note")
            return widgets.VBox([self.control, self.note], layout=widgets.Layout(width="100%"))
        return self.control

    @staticmethod
    def _pick_list(c: DirectoryColumn, o: Options) -> list[tuple[str, str]]:
        if c.ref == "departments":
            return o.departments
        if c.ref == "telegram_bots":
            return o.bots
        if c.name == "report":
            return o.reports
        if c.name == "indicators":
            return o.indicators
        if c.name == "participants":
            return o.departments + o.employees
        if c.name == "lines":
            return o.lines
        if c.name == "scope":
            return [(v, v) for _, v in o.departments] + o.employees
        if c.name == "target" or c.name == "last_targets":
            return o.employees
        return []

    def text(self) -> str | None:
        """The cell's value as the text a CSV file would hold."""
        value = self.control.value
        if isinstance(self.control, widgets.Checkbox):
            return "1" if value else "0"
        if isinstance(value, tuple):
            return ",".join(value) or None
        return str(value).strip() or None

    def refresh_note(self) -> None:
        if self.note is not None:
            self.note.value = self._next_runs(self.text())

    def _next_runs(self, text: str | None) -> str:
        """A cron schedule's next runs in the PBX's zone, under its cell."""
        if not text or not croniter.is_valid(text):
            return ""
        it = croniter(text, pd.Timestamp.now(tz=self.tz).to_pydatetime())
        times = ", ".join(f"{it.get_next(dt.datetime):%d.%m %H:%M}" for _ in range(NEXT_RUNS))
        return f"<small>{html.escape(t('dir_ed_next_runs', times=times))}</small>"

    def mark(self, problem: str | None) -> None:
        """Show whether the cell is fine (a red border and the message as its tooltip when not)."""
        if problem:
            self.control.add_class("atsnb-dir-bad")
        else:
            self.control.remove_class("atsnb-dir-bad")
        self.control.tooltip = problem or None
