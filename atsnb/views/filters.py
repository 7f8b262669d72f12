"""The filter bar of every dashboard: period (presets or custom dates), and of department (as a
tree), employee, line, direction and time scale those the report takes (its registry entry's
``filters``).

Its values are exactly the keyword arguments of the report functions (``atsnb.reports.*``), and
they can be preset from the page address (``?period=this_month&line=74951234567``), so a link
opens a dashboard already filtered.  A value in the address that names nothing (a department that
does not exist, ``period=lastweek``) is not silently dropped: the bar falls back to the nearest
sensible view (all departments, the last 30 days) and :attr:`FilterBar.problems` says what was
asked, what there is and what is shown instead, for the page to put on top.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qs

import ipywidgets as w

from atsnb.i18n import t
from atsnb.reports.scope import known_text

DEFAULT_PERIOD = "last_30_days"
CHOICE_FILTERS = ("department", "panel", "employee", "line", "direction")  # panel: employees, departments
FILTER_KEYS = ("period", "start", "end", *CHOICE_FILTERS, "scale")  # what an address may preset
WITHOUT_SCALE = tuple(k for k in FILTER_KEYS if k not in ("panel", "scale"))  # what every report takes
DEFAULT_SCALE = "day"
# the folded bar's toggle: a checkbox and its label, styled as a button on a phone (PAGE_CSS)
FOLD_TOGGLE = ('<input type="checkbox" class="atsnb-filters-switch" id="atsnb-filters-switch">'
               '<label class="atsnb-filters-button" for="atsnb-filters-switch">{label}</label>')


def parse_query(query: str) -> dict[str, str]:
    """The filters named in a page address's query string (unknown keys and the token ignored)."""
    parsed = parse_qs(query or "", keep_blank_values=False)
    return {k: v[-1] for k, v in parsed.items() if k in FILTER_KEYS and v and v[-1]}


def as_options(items: Iterable[Mapping[str, object]] | None) -> list[tuple[str, str]]:
    """``(label, value)`` pairs for a dropdown from the report layer's choice records
    (``{"value", "label", "depth"?}``, see :func:`atsnb.reports.filters.choices`); a department's
    depth in the tree indents its label."""
    return [
        ("\u00a0\u00a0\u00a0" * int(item.get("depth", 0) or 0) + str(item["label"]), str(item["value"]))
        for item in items or []
    ]


def _values(options: Iterable[tuple[str, str]]) -> set[str]:
    return {value for _, value in options}


def _parse_date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


class FilterBar:
    """The filter widgets in one wrapping row, and their current values as report arguments."""

    def __init__(self, choices: Mapping[str, object], initial: Mapping[str, str] | None = None, *,
                 filters: Iterable[str] = WITHOUT_SCALE, defaults: Mapping[str, str] | None = None):
        filters = set(filters)
        # a picker's value when the address sets none: "" (all) unless the report counts something
        # narrower by default (the dashboard: external calls)
        self.defaults = dict.fromkeys(CHOICE_FILTERS, "") | dict(defaults or {})
        self.problems: list[str] = []  # what the address asked for that does not exist (see apply)
        periods = as_options(choices.get("periods"))
        item = w.Layout(width="auto", min_width="170px", max_width="260px", flex="1 1 170px")
        # wide enough for its longest choice ("Произвольный период") beside its label, even on a phone
        period_item = w.Layout(width="auto", min_width="260px", max_width="300px", flex="1 1 260px")
        self.period = w.Dropdown(
            options=periods, value=DEFAULT_PERIOD,
            description=t("dash_filter_period"), layout=period_item, style={"description_width": "initial"},
        )
        date_item = w.Layout(width="auto", min_width="150px", max_width="200px", flex="1 1 150px")
        self.start = w.DatePicker(description=t("dash_filter_start"), layout=date_item,
                                  style={"description_width": "initial"})
        self.end = w.DatePicker(description=t("dash_filter_end"), layout=date_item,
                                style={"description_width": "initial"})
        self._quiet = False  # set while the bar changes its own widgets: one change, one recompute
        self.choices: dict[str, w.Dropdown] = {}
        for key in (k for k in CHOICE_FILTERS if k in filters):
            self.choices[key] = w.Dropdown(options=self._options(key, choices), value=self.defaults[key],
                                           description=t(f"dash_filter_{key}"), layout=item,
                                           style={"description_width": "initial"})
        self.scale: w.Dropdown | None = None
        if "scale" in filters:  # the time scale of the pivot tables (employees, departments)
            scales = as_options(choices.get("scales"))
            self.scale = w.Dropdown(options=scales, value=DEFAULT_SCALE,
                                    description=t("dash_filter_scale"), layout=item,
                                    style={"description_width": "initial"})
        self.apply(initial or {})
        self.period.observe(lambda _change: self._sync_custom_dates(), "value")
        pickers = [self.period, self.start, self.end, *self.choices.values(), *([self.scale] if self.scale else [])]
        # on a phone the bar folds into one row: the toggle and what is chosen (PAGE_CSS in atsnb.views.app);
        # the toggle is a checkbox, so it opens and closes in the browser without asking the kernel
        self.summary = w.HTML(layout=w.Layout(min_width="0", flex="1 1 0"))
        self.summary.add_class("atsnb-filters-summary")
        head = w.Box([w.HTML(FOLD_TOGGLE.format(label=html.escape(t("dash_filters_toggle")))), self.summary],
                     layout=w.Layout(width="100%", align_items="center"))
        head.add_class("atsnb-filters-head")
        for picker in pickers:
            picker.observe(lambda _change: self._summarise(), "value")
        self._summarise()
        self.widget = w.Box(
            [head, *pickers],
            layout=w.Layout(display="flex", flex_flow="row wrap", align_items="center",
                            width="100%"),
        )
        self.widget.add_class("atsnb-filters")

    def _options(self, key: str, choices: Mapping[str, object]) -> list[tuple[str, str]]:
        """A picker's options: "all" first, then the choices; directions also offer the group of
        external calls, and where the report counts those by default, "all calls" is a value of
        its own (``all``) rather than the empty default."""
        options = as_options(choices.get(f"{key}s"))
        if key != "direction":
            return [(t("dash_all"), "")] + options
        every = (t("dash_all_calls"), "all") if self.defaults[key] else (t("dash_all"), "")
        return [every, (t("dash_external_calls"), "external")] + options

    def apply(self, preset: Mapping[str, str]) -> bool:
        """Set every filter from ``preset`` (as parsed from a page address) without notifying
        observers, and say whether the report arguments changed — so the caller recomputes once,
        and only if needed.  A value that names nothing falls back to the default, and
        :attr:`problems` then holds one sentence per such value."""
        before = self.values()
        problems: list[str] = []
        quiet, self._quiet = self._quiet, True
        try:
            self.period.value = self._known(self.period, "period", preset.get("period", DEFAULT_PERIOD),
                                            DEFAULT_PERIOD, problems)
            for key, picker in (("start", self.start), ("end", self.end)):
                text = preset.get(key)
                picker.value = _parse_date(text)
                if text and picker.value is None:
                    problems.append(t("dash_bad_date", filter=t(f"dash_filter_{key}"), value=text))
            for key, widget in self.choices.items():
                widget.value = self._known(widget, key, preset.get(key, self.defaults[key]), self.defaults[key],
                                           problems)
            if self.scale is not None:
                self.scale.value = self._known(self.scale, "scale", preset.get("scale", DEFAULT_SCALE), DEFAULT_SCALE,
                                               problems)
            self._sync_custom_dates()
        finally:
            self._quiet = quiet
        self.problems = problems
        return self.values() != before

    @staticmethod
    def _known(widget: w.Dropdown, key: str, value: str, default: str, problems: list[str]) -> str:
        """``value`` when the picker has it; else ``default``, with a sentence in ``problems`` naming
        the value, the ones there are and what is shown instead."""
        if value in _values(widget.options):
            return value
        # as the reader knows them, with what an address says where that is not in the label
        labels = [label.strip("\u00a0") + ("" if option in label else f" ({option})")
                  for label, option in widget.options if option]
        shown = next(label for label, option in widget.options if option == default).strip("\u00a0")
        problems.append(t("dash_unknown_value", filter=t(f"dash_filter_{key}"), value=value, known=known_text(labels),
                          shown=shown))
        return default

    def summary_text(self) -> str:
        """What is chosen, in a few words beside the folded bar's toggle: the period (its dates
        when custom) and every picker not at its default."""
        parts = [self._label(self.period)]
        if self.period.value == "custom" and self.start.value and self.end.value:
            parts = [f"{self.start.value:%d.%m.%Y} – {self.end.value:%d.%m.%Y}"]
        for key, widget in self.choices.items():
            if widget.value != self.defaults[key]:
                parts.append(self._label(widget))
        if self.scale is not None and self.scale.value != DEFAULT_SCALE:
            parts.append(self._label(self.scale))
        return " · ".join(parts)

    @staticmethod
    def _label(widget: w.Dropdown) -> str:
        return next((label for label, value in widget.options if value == widget.value), "").strip("\u00a0")

    def _summarise(self) -> None:
        self.summary.value = f'<span class="atsnb-filters-chosen">{html.escape(self.summary_text())}</span>'

    def _sync_custom_dates(self) -> None:
        shown = "flex" if self.period.value == "custom" else "none"
        self.start.layout.display = shown
        self.end.layout.display = shown
        if self.period.value == "custom" and self.start.value is None:
            today = dt.date.today()
            quiet, self._quiet = self._quiet, True
            try:
                self.start.value, self.end.value = today.replace(day=1), today
            finally:
                self._quiet = quiet

    def values(self) -> dict[str, object]:
        """The report function's keyword arguments: ``period`` (with ``start``/``end`` dates for a
        custom period, both days included) and the chosen filters (``None`` for "all")."""
        out: dict[str, object] = {"period": self.period.value}
        if self.period.value == "custom":
            start, end = self.start.value, self.end.value
            if start and end and end < start:
                start, end = end, start
            out["start"], out["end"] = start, end
        for key, widget in self.choices.items():
            out[key] = widget.value or None
        if self.scale is not None:
            out["scale"] = self.scale.value
        return out

    def observe(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever a filter changes (date pickers only while the period is custom)."""
        def changed(_change: object) -> None:
            if not self._quiet:
                self.problems = []  # the reader chose: the address's leftovers no longer matter
                callback()

        def date_changed(_change: object) -> None:
            if not self._quiet and self.period.value == "custom":
                self.problems = []
                callback()

        self.period.observe(changed, "value")
        for picker in (self.start, self.end):
            picker.observe(date_changed, "value")
        for widget in [*self.choices.values(), *([self.scale] if self.scale else [])]:
            widget.observe(changed, "value")
