"""The registry of reports: every report the product has, in one place.

The dashboards (:mod:`atsnb.views`), ``atsnb serve``, the notebooks' tests and the composition root
(:class:`atsnb.composition.Context`) read this registry; mailed snapshots and the wall-board will too.
Adding a report is one module in :mod:`atsnb.reports` with its ``build`` function, one entry below,
and its two thin notebooks (``notebooks/<name>.ipynb`` and ``dashboards/<name>.ipynb``) — a test
fails when an entry and its notebooks are out of step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from atsnb.registry import Registry
from atsnb.reports import (
    callbacks,
    clients,
    dashboard,
    departments,
    employees,
    lines,
    new_clients,
    ratings,
    records,
    recovery,
    red_phone,
)
from atsnb.reports.model import Report

# the filters every report takes: the period (a preset, or start/end) and the four pickers
COMMON_FILTERS = ("period", "start", "end", "department", "employee", "line", "direction")


@dataclass(frozen=True)
class ReportSpec:
    """What the rest of the product needs to know of a report.

    ``build(period, **filters, store=…, settings=…)`` returns the :class:`Report`; ``title`` is the
    translation key of its name; ``filters`` the keyword filters it takes (a page address and a
    mailing's saved parameters may set only these); ``elements`` its elements' keys and kinds in
    the order it returns them (kinds as :class:`~atsnb.reports.model.Element` names them);
    ``defaults`` the filters the function sets itself when given none, as ``(filter, value)`` pairs
    (the dashboard counts external calls), so a page's pickers start from what is computed."""

    name: str
    build: Callable[..., Report]
    title: str
    filters: tuple[str, ...]
    elements: tuple[tuple[str, str], ...]
    defaults: tuple[tuple[str, str], ...] = ()

    @property
    def has_scale(self) -> bool:
        """Whether the report has a pivot by hour, day, week or month (the ``scale`` filter)."""
        return "scale" in self.filters


class ReportRegistry(Registry[ReportSpec]):
    """Report specs by name, in the order they were registered (the order pages list them in)."""

    def __init__(self) -> None:
        super().__init__("report")

    def register(self, spec: ReportSpec) -> ReportSpec:
        return self.add(spec.name, spec)


REPORTS = ReportRegistry()
REPORTS.register(ReportSpec(
    "dashboard", dashboard.dashboard, "rep_dashboard", COMMON_FILTERS,
    (("kpis", "kpi"), ("line_load", "bar"), ("line_load_weekend", "bar"), ("line_load_per_line", "line"),
     ("line_load_by_line", "table"),
     ("external_daily", "stacked_bar"), ("unanswered_daily", "stacked_bar"), ("weekday_share", "bar"),
     ("talk_buckets", "pie"), ("department_share", "pie")),
    defaults=(("direction", dashboard.DEFAULT_DIRECTION),)))
REPORTS.register(ReportSpec(
    "employees", employees.employees, "rep_employees", (*COMMON_FILTERS, "panel", "scale"),
    (("efficiency", "table"), ("summary", "table"), ("missed", "table"), ("by_scale", "table"), ("detail", "table"))))
REPORTS.register(ReportSpec(
    "departments", departments.departments, "rep_departments", (*COMMON_FILTERS, "panel", "scale"),
    (("efficiency", "table"), ("summary", "table"), ("missed", "table"), ("by_scale", "table"),
     ("detail", "table"))))
REPORTS.register(ReportSpec(
    "lines", lines.lines, "rep_lines", COMMON_FILTERS,
    (("summary", "table"), ("share", "pie"), ("line_daily", "stacked_bar"), ("line_load_by_line", "table"))))
REPORTS.register(ReportSpec(
    "recovery", recovery.recovery_calls, "rep_recovery", ("period", "start", "end", "department", "employee", "line"),
    (("kpis", "kpi"), ("to_call_back", "table"), ("funnel", "bar"), ("missed_by_employee", "table"),
     ("missed_by_department", "table"), ("by_employee", "table"), ("missed", "table"))))
REPORTS.register(ReportSpec(
    "ratings", ratings.ratings, "rat_title", ("period", "start", "end", "department", "employee", "line", "scale"),
    (("kpis", "kpi"), ("distribution", "bar"), ("by_employee", "table"), ("by_department", "table"),
     ("over_time", "line"), ("low_rated", "table"), ("unmatched", "table"))))
REPORTS.register(ReportSpec(
    "callbacks", callbacks.callbacks, "cb_title", ("period", "start", "end", "department", "employee"),
    (("kpis", "kpi"), ("daily", "stacked_bar"), ("by_site", "table"), ("by_utm", "table"), ("requests", "table"))))
REPORTS.register(ReportSpec(
    "records", records.records, "rep_records", records.RECORDS_FILTERS, (("calls", "table"),)))
REPORTS.register(ReportSpec(
    "clients", clients.clients, "rep_clients", COMMON_FILTERS,
    (("kpis", "kpi"), ("first_calls", "table"), ("first_daily", "bar"), ("top_clients", "table"), ("regions", "bar"))))
REPORTS.register(ReportSpec(
    "red_phone", red_phone.red_phone, "rep_red_phone", COMMON_FILTERS, (("kpis", "kpi"), ("calls", "table"))))
REPORTS.register(ReportSpec(
    "new_clients", new_clients.new_clients, "rep_new_clients", (*COMMON_FILTERS, "scale"),
    (("dynamics", "stacked_bar"), ("by_scale", "table"))))
