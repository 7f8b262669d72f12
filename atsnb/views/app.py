"""The dashboard application: a filter bar over one report, re-computed when a filter changes.

A dashboard notebook is thin — it takes the page of its report from the composition root
(``atsnb.context().dashboard("employees")``) and displays it.  The app calls the report's
function from the registry (:data:`atsnb.reports.REPORTS`) with the filter values and renders
every element of the returned :class:`~atsnb.reports.model.Report`: KPI cards, bqplot charts, sortable tables with
totals and downloads.  The figures therefore are those of the notebooks and mailed snapshots.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
import os
from collections.abc import Callable, Iterable, Mapping

import ipywidgets as w

from atsnb import i18n
from atsnb.calls.audit import Audit, audit_period
from atsnb.config import Settings
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.reports.filters import choices as filter_choices
from atsnb.reports.model import Element, Report
from atsnb.reports.period import period_range
from atsnb.reports.registry import COMMON_FILTERS, ReportSpec
from atsnb.store import Store
from atsnb.views.charts import chart_figure, legend_html
from atsnb.views.filters import FilterBar, parse_query
from atsnb.views.html import heading_html, kpi_html
from atsnb.views.quality import Auditor, QualityNote
from atsnb.views.static import CHART_KINDS
from atsnb.views.style import STYLESHEET
from atsnb.views.tables import TableView

log = logging.getLogger(__name__)

PAGE_CSS = """<style>
.atsnb-app{max-width:1400px;}
.atsnb-app .widget-html-content{min-width:0;}  /* let cards and notes wrap to a phone's width */
.atsnb-app .widget-html{margin-left:0;margin-right:0;}  /* width 100% plus a margin would overflow */
.atsnb-spinner{display:inline-block;width:14px;height:14px;border:2px solid #cbd5e1;border-top-color:#1f77b4;
border-radius:50%;animation:atsnb-spin .8s linear infinite;vertical-align:middle;margin-right:6px;}
@keyframes atsnb-spin{to{transform:rotate(360deg);}}
.atsnb-error{color:#991b1b;background:#fee2e2;border:1px solid #fca5a5;border-radius:6px;padding:8px 12px;}
.atsnb-warning{font:13px system-ui,sans-serif;color:#78350f;background:#fef3c7;border:1px solid #fcd34d;
border-radius:6px;padding:8px 12px;margin:4px 0;overflow-wrap:anywhere;}
.atsnb-status{font:12px system-ui,sans-serif;color:#555;min-height:18px;}
.atsnb-charts{gap:8px;}
.atsnb-filters{gap:4px 12px;}
.atsnb-controls{gap:4px 8px;}
.atsnb-downloads{gap:4px;}
.atsnb-charts > *{flex:1 1 420px;min-width:0;}
@media (max-width:600px){.atsnb-charts > *{flex-basis:100%;}}
.atsnb-filters-head{display:none !important;}
.atsnb-filters-switch{position:absolute;opacity:0;width:1px;height:1px;margin:0;}
@media (max-width:600px){
.atsnb-app{--jp-widgets-inline-height:44px;}
.atsnb-app .jupyter-button{min-width:44px;}
.atsnb-filters-head{display:flex !important;gap:8px;margin-bottom:2px;}
.atsnb-filters-button{display:inline-flex;align-items:center;min-height:44px;padding:0 14px;border:1px solid #9ca3af;
border-radius:8px;background:#f3f4f6;font:600 15px system-ui,sans-serif;color:#111827;cursor:pointer;white-space:nowrap;
user-select:none;}
.atsnb-filters-button::after{content:"\\25BE";margin-left:8px;}
.atsnb-filters-switch:checked + .atsnb-filters-button{background:#dbeafe;border-color:#1f77b4;}
.atsnb-filters-switch:checked + .atsnb-filters-button::after{content:"\\25B4";}
.atsnb-filters-switch:focus-visible + .atsnb-filters-button{outline:2px solid #1f77b4;outline-offset:2px;}
.atsnb-filters-summary .widget-html-content{font:13px system-ui,sans-serif;color:#374151;overflow:hidden;
text-overflow:ellipsis;white-space:nowrap;line-height:44px;}
.atsnb-filters:not(:has(.atsnb-filters-switch:checked)) > :not(.atsnb-filters-head){display:none !important;}
.atsnb-filters > .widget-inline-hbox{flex:1 1 100% !important;max-width:none !important;min-width:0 !important;}
}
</style>"""


def close_tree(widget: w.Widget, seen: set[int] | None = None) -> None:
    """Close a widget and every widget it holds (children, layout, marks, scales …), so a refresh
    does not leave the previous report's models alive in the kernel and the browser."""
    seen = set() if seen is None else seen
    if id(widget) in seen:
        return
    seen.add(id(widget))
    for key in widget.keys:
        value = getattr(widget, key, None)
        for item in value if isinstance(value, list | tuple) else (value,):
            if isinstance(item, w.Widget):
                close_tree(item, seen)
    widget.close()


class ReportApp:
    """Filters, a status line, and the rendered report; ``refresh`` recomputes it."""

    def __init__(
        self,
        name: str,
        compute: Callable[..., Report],
        choices: Mapping[str, object],
        initial: Mapping[str, str] | None = None,
        tz: dt.tzinfo | None = None,
        *,
        filters: Iterable[str] = COMMON_FILTERS,
        audit: Auditor | None = None,
        defaults: Mapping[str, str] | None = None,
    ):
        self.name = name
        self.tz = tz
        self.compute = compute
        self.report: Report | None = None
        self.filters = FilterBar(choices, initial, filters=filters, defaults=defaults)
        self.title = w.HTML(self._title_html(t(f"dash_title_{name}")))
        # what the address asked for that does not exist, above the figures shown instead
        self.notice = w.HTML(layout=w.Layout(width="100%"))
        self.status = w.HTML()
        self.status.add_class("atsnb-status")
        self.body = w.VBox(layout=w.Layout(width="100%"))
        # the data-quality note (atsnb.views.quality), audited once the figures are shown
        self.quality = QualityNote(audit) if audit is not None else None
        notes = [self.quality.widget] if self.quality is not None else []
        self.widget = w.VBox([w.HTML(PAGE_CSS + STYLESHEET), self.title, self.filters.widget, self.notice, self.status,
                              *notes, self.body], layout=w.Layout(width="100%", padding="0 4px"))
        self.widget.add_class("atsnb-app")
        self.filters.observe(self.refresh)
        self.refresh()

    @staticmethod
    def _title_html(title: str) -> str:
        return f'<h2 class="atsnb-title" style="font-size:20px;margin:4px 0 8px 0">{html.escape(title)}</h2>'

    def refresh(self) -> None:
        """Recompute the report for the current filters and show it; a spinner while it runs, and
        the error in one sentence if the report cannot be built."""
        self.show_notice()
        self.status.value = f'<span class="atsnb-spinner"></span>{html.escape(t("dash_computing"))}'
        try:
            report = self.compute(**self.filters.values())
        except AtsnbError as exc:
            self._show_error(str(exc))
            return
        except Exception as exc:  # shown in one line, logged in full for the administrator
            log.exception("report %s failed", self.name)
            self._show_error(t("dash_failed", error=f"{type(exc).__name__}: {exc}"))
            return
        self.report = report
        self.title.value = self._title_html(report.title)
        old = self.body.children
        self.body.children = self._render(report)
        for widget in old:
            close_tree(widget)
        self.status.value = html.escape(t("dash_updated", time=dt.datetime.now(self.tz).strftime("%H:%M:%S")))
        if self.quality is not None:
            self.quality.update(self.filters.values())

    def show_notice(self) -> None:
        """The filter bar's problems with the address (unknown values and what is shown instead)
        on top of the page, or nothing."""
        self.notice.value = "".join(f'<div class="atsnb-warning">{html.escape(problem)}</div>'
                                    for problem in self.filters.problems)

    def _show_error(self, message: str) -> None:
        self.status.value = f'<div class="atsnb-error">{html.escape(message)}</div>'

    def _render(self, report: Report) -> list[w.Widget]:
        """Widgets for the elements in report order; consecutive charts share a wrapping row."""
        out: list[w.Widget] = []
        charts: list[w.Widget] = []

        def flush() -> None:
            if charts:
                row = w.Box(list(charts), layout=w.Layout(display="flex", flex_flow="row wrap",
                                                           width="100%"))
                row.add_class("atsnb-charts")
                out.append(row)
                charts.clear()

        for element in report.elements:
            if element.kind in CHART_KINDS:
                charts.append(self._chart(element))
                continue
            flush()
            if element.kind == "kpi":
                out.append(w.HTML(heading_html(element) + kpi_html(element), layout=w.Layout(width="100%")))
            else:
                out.append(TableView(element, stem=f"{report.name}_{element.key}", report=report).widget)
        flush()
        return out

    @staticmethod
    def _chart(element: Element) -> w.Widget:
        title = f'<div class="atsnb-title">{html.escape(element.title)}</div>'
        if element.data.empty:  # empty axes would look like a broken chart
            return w.HTML(title + f'<p class="atsnb-note">{html.escape(t("dash_no_data"))}</p>')
        parts: list[w.Widget] = [w.HTML(title + legend_html(element)), chart_figure(element, titled=False)]
        if element.note:
            parts.append(w.HTML(f'<p class="atsnb-note">{html.escape(element.note)}</p>'))
        box = w.VBox(parts, layout=w.Layout(min_width="0"))
        box.add_class("atsnb-chart")
        return box


def build_app(spec: ReportSpec, query: str, settings: Settings, store: Store) -> ReportApp:
    """The app of one report with the filters of a page address's ``query``."""
    i18n.set_language(settings.ui.language)

    def compute(**filters: object) -> Report:
        return spec.build(**filters, store=store, settings=settings)

    def audit(filters: Mapping[str, object]) -> Audit:
        start, end = period_range(str(filters["period"]), start=filters.get("start"), end=filters.get("end"),
                                  tz=settings.tz)
        return audit_period(store, settings, start, end)

    return ReportApp(spec.name, compute, filter_choices(store, settings), parse_query(query), settings.tz,
                     filters=spec.filters, audit=audit, defaults=dict(spec.defaults))


def preheated() -> bool:
    """Whether this kernel was started ahead of its request (Voila's kernel pool)."""
    return os.environ.get("VOILA_PREHEAT", "False") != "False"


class DashboardPage:
    """What a dashboard notebook shows: the app of one report, computed as early as possible.

    A kernel started for a request builds the app for the request's address at once.  A preheated
    kernel (Voila's pool) builds it for the default filters *before* its visitor arrives, so the
    page is ready when they come; :meth:`wait_for_request` then takes the visitor's address and
    recomputes only if it asks for other filters, if anything was written to the store since, or
    if the day turned (periods such as "today" have moved) — the figures are never older than the
    page."""

    def __init__(self, spec: ReportSpec, *, settings: Settings, store: Store):
        self.spec = spec
        self.name = spec.name
        self.settings = settings
        self.store = store
        self.widget = w.VBox(layout=w.Layout(width="100%"))
        self.app: ReportApp | None = None  # set by _build below
        self._build("" if preheated() else os.environ.get("QUERY_STRING", ""))

    def _freshness(self) -> tuple[object, ...]:
        return dt.datetime.now(self.settings.tz).date(), self.store.revision()

    def _build(self, query: str) -> None:
        self._built_on = self._freshness()
        old, self.app = self.app, build_app(self.spec, query, self.settings, self.store)
        self.widget.children = (self.app.widget,)
        if old is not None:
            close_tree(old.widget)

    def wait_for_request(self) -> None:
        """In a preheated kernel, wait for the visitor (Voila's ``wait_for_request``) and bring the
        page to their address and the store's current data — right after this cell, so that Voila
        sends the page at once and the kernel computes while the browser loads its scripts (the
        browser's first question to the kernel is answered after the update).  A kernel started
        for a request returns at once — without even importing :mod:`voila.utils`, which pulls in
        the whole server (seconds of a cold page)."""
        if not preheated():
            return
        from voila.utils import wait_for_request as voila_wait

        voila_wait()
        query = os.environ.get("QUERY_STRING", "")
        try:  # after this cell: Voila answers at once and the browser loads its scripts meanwhile
            asyncio.get_running_loop().call_soon(self._follow_logged, query)
        except RuntimeError:  # no event loop runs this cell (not a kernel): follow now
            self.follow(query)

    def _follow_logged(self, query: str) -> None:
        """:meth:`follow` outside any cell, where an exception would reach nobody: a report's own
        errors are shown by the app; anything else replaces the page with one sentence."""
        try:
            self.follow(query)
        except Exception as exc:
            log.exception("dashboard %s failed to follow its request", self.name)
            message = str(exc) if isinstance(exc, AtsnbError) else t("dash_failed", error=f"{type(exc).__name__}: {exc}")
            self.widget.children = (w.HTML(f'<div class="atsnb-error">{html.escape(message)}</div>'),)

    def follow(self, query: str) -> None:
        """Bring an app built ahead of its visitor to their address's filters and the store's
        current data, recomputing only what changed."""
        if self._freshness() != self._built_on:  # new data may also bring new filter choices
            self._build(query)
        elif self.app.filters.apply(parse_query(query)):
            self.app.refresh()
        else:  # the same figures, but the address may name something that does not exist
            self.app.show_notice()
