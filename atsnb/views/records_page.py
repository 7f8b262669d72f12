"""The records dashboard: a search over the calls, the matches a page at a time (sorted and cut in
the kernel, so the browser only ever holds one page), CSV/XLSX of everything matched, and any
call opened in the same page — its card, route map, recording, steps and raw PBX rows.

One page serves both: ``records.ipynb?call=<id>`` opens the call directly (the links of every
other report's call tables point there, :mod:`atsnb.reports.links`), and a row clicked here opens
its call without a new kernel — the row's link hands the call id to a hidden text widget, which
the kernel observes; where no script runs, the link still opens the page at that call.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
import os
from urllib.parse import parse_qs

import ipywidgets as w
import pandas as pd

from atsnb import i18n
from atsnb.calls.search import STATUSES
from atsnb.config import Settings
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.reports.filters import choices as filter_choices
from atsnb.reports.model import Element, Report
from atsnb.reports.records import COLUMNS, SORTED_BY, Labels, RecordsSearch, find, open_call
from atsnb.reports.registry import ReportSpec
from atsnb.store import Store
from atsnb.views.app import PAGE_CSS, close_tree
from atsnb.views.call_view import CallView
from atsnb.views.export import DownloadButtons
from atsnb.views.filters import FilterBar, parse_query
from atsnb.views.html import heading_html, table_html
from atsnb.views.player import Checker
from atsnb.views.style import STYLESHEET

log = logging.getLogger(__name__)

PAGE_ROWS = 50
SEARCH_KEYS = ("number", "partner", "status", "talk_over", "wait_over", "recording")
BAR_FILTERS = ("period", "start", "end", "department", "employee", "line", "direction")
# a row's link hands its call to the kernel through the hidden input, when the page has one
OPEN_IN_PAGE = ("var i=document.querySelector('.atsnb-call-input input');if(!i)return true;"
                "i.value=new URLSearchParams(this.search).get('call');"
                "i.dispatchEvent(new Event('change',{bubbles:true}));return false;")
RECORDS_CSS = """<style>
.atsnb-records .atsnb-call-link{color:#1d4ed8;text-decoration:underline;cursor:pointer;white-space:nowrap;}
.atsnb-records .atsnb-pager{gap:4px 8px;}
.atsnb-records .atsnb-search{gap:4px 12px;}
</style>"""


def search_query(query: str) -> dict[str, str]:
    """The search's own keys of a page address (the filter bar takes the rest), and ``call``."""
    parsed = parse_qs(query or "", keep_blank_values=False)
    return {k: v[-1] for k, v in parsed.items() if k in (*SEARCH_KEYS, "call") and v and v[-1]}


class RecordsPage:
    """The filter bar, the search fields, the table of matches with its pager, and the call view."""

    def __init__(self, spec: ReportSpec, *, settings: Settings, store: Store, checker: Checker | None = None,
                 query: str | None = None):
        i18n.set_language(settings.ui.language)
        self.spec, self.settings, self.store, self.checker = spec, settings, store, checker
        query = os.environ.get("QUERY_STRING", "") if query is None else query
        asked = search_query(query)
        self.labels = Labels(store, settings)
        self.search: RecordsSearch | None = None
        self.page_number = 0
        self.filters = FilterBar(filter_choices(store, settings), parse_query(query), filters=BAR_FILTERS)
        item = w.Layout(width="auto", min_width="170px", max_width="260px", flex="1 1 170px")
        style = {"description_width": "initial"}
        self.number = w.Text(value=asked.get("number", ""), description=t("dash_filter_number"),
                             placeholder=t("rec_number_hint"), continuous_update=False, layout=item, style=style)
        self.number.add_class("atsnb-search-number")
        partners = sorted(set(store.catalog.read("partners")["name"].astype(str)))
        self.partner = w.Combobox(value=asked.get("partner", ""), options=partners, description=t("dash_filter_partner"),
                                  placeholder=t("rec_partner_hint"), continuous_update=False, layout=item, style=style)
        self.status_pick = w.Dropdown(options=[(t("dash_all"), "")] + [(t(s), s) for s in STATUSES],
                                      value=asked.get("status", "") if asked.get("status", "") in STATUSES else "",
                                      description=t("dash_filter_status"), layout=item, style=style)
        self.talk_over = w.BoundedIntText(value=_int(asked.get("talk_over")), min=0, max=86_400,
                                          description=t("dash_filter_talk_over"), layout=item, style=style)
        self.wait_over = w.BoundedIntText(value=_int(asked.get("wait_over")), min=0, max=86_400,
                                          description=t("dash_filter_wait_over"), layout=item, style=style)
        self.recording = w.Dropdown(options=[(t("rec_recording_any"), ""), (t("rec_recording_yes"), "yes"),
                                             (t("rec_recording_no"), "no")],
                                    value=asked.get("recording", "") if asked.get("recording") in ("yes", "no") else "",
                                    description=t("dash_filter_recording"), layout=item, style=style)
        self.go = w.Button(description=t("rec_search"), button_style="primary", layout=w.Layout(width="auto"))
        self.go.add_class("atsnb-search-go")
        fields = w.Box([self.number, self.partner, self.status_pick, self.talk_over, self.wait_over, self.recording,
                        self.go], layout=w.Layout(display="flex", flex_flow="row wrap", align_items="center", width="100%"))
        fields.add_class("atsnb-search")
        self.notice = w.HTML(layout=w.Layout(width="100%"))
        self.status = w.HTML()
        self.status.add_class("atsnb-status")
        self.list_box = self._list_widgets()
        self.call_box = w.VBox(layout=w.Layout(width="100%", display="none"))
        self.call_input = w.Text(continuous_update=False, layout=w.Layout(display="none"))
        self.call_input.add_class("atsnb-call-input")
        self.call_input.observe(self._call_asked, "value")
        title = w.HTML(f'<h2 class="atsnb-title" style="font-size:20px;margin:4px 0 8px 0">'
                       f'{html.escape(t("dash_title_records"))}</h2>')
        self.widget = w.VBox([w.HTML(PAGE_CSS + STYLESHEET + RECORDS_CSS), title, self.filters.widget, fields,
                              self.notice, self.status, self.call_box, self.list_box, self.call_input],
                             layout=w.Layout(width="100%", padding="0 4px"))
        self.widget.add_class("atsnb-app")
        self.widget.add_class("atsnb-records")
        self.filters.observe(self.refresh)
        for field in (self.number, self.partner, self.status_pick, self.talk_over, self.wait_over, self.recording):
            field.observe(lambda _c: self.refresh(), "value")
        self.go.on_click(lambda _b: self.refresh())
        self.refresh()
        if asked.get("call"):
            self.open(asked["call"])

    def _list_widgets(self) -> w.VBox:
        sortable = [c for c in COLUMNS if c.name in SORTED_BY]
        self.sort_by = w.Dropdown(options=[(t(c.label), c.name) for c in sortable], value="start",
                                  description=t("dash_sort"), style={"description_width": "initial"},
                                  layout=w.Layout(width="auto", max_width="260px"))
        self.descending = w.ToggleButton(value=True, description="↓", tooltip=t("dash_sort_descending"),
                                         layout=w.Layout(width="36px"))
        self.sort_by.observe(lambda _c: self._first_page(), "value")
        self.descending.observe(lambda _c: self._flip(), "value")
        self.downloads = DownloadButtons(self._everything, "records_calls", None)
        controls = w.Box([self.sort_by, self.descending, self.downloads.widget],
                         layout=w.Layout(display="flex", flex_flow="row wrap", align_items="center"))
        controls.add_class("atsnb-controls")
        self.heading = w.HTML()
        self.table = w.HTML(layout=w.Layout(width="100%", overflow="auto", max_height="640px"))
        self.table.add_class("atsnb-table-body")
        self.prev = w.Button(description=t("rec_prev"), layout=w.Layout(width="auto"))
        self.next = w.Button(description=t("rec_next"), layout=w.Layout(width="auto"))
        self.prev.add_class("atsnb-page-prev")
        self.next.add_class("atsnb-page-next")
        self.position = w.HTML()
        self.position.add_class("atsnb-page-position")
        self.prev.on_click(lambda _b: self.show_page(self.page_number - 1))
        self.next.on_click(lambda _b: self.show_page(self.page_number + 1))
        pager = w.Box([self.prev, self.position, self.next],
                      layout=w.Layout(display="flex", flex_flow="row wrap", align_items="center"))
        pager.add_class("atsnb-pager")
        box = w.VBox([self.heading, controls, self.table, pager], layout=w.Layout(width="100%"))
        box.add_class("atsnb-table-view")
        return box

    # -- the search ------------------------------------------------------------------------------
    def values(self) -> dict[str, object]:
        """The report function's keyword arguments of the bar and the search fields."""
        return {**self.filters.values(), "number": self.number.value.strip() or None,
                "partner": self.partner.value.strip() or None, "status": self.status_pick.value or None,
                "talk_over": self.talk_over.value or None, "wait_over": self.wait_over.value or None,
                "recording": self.recording.value or None}

    def refresh(self) -> None:
        """Search again with the current fields and show the first page."""
        self.notice.value = "".join(f'<div class="atsnb-warning">{html.escape(p)}</div>' for p in self.filters.problems)
        self.status.value = f'<span class="atsnb-spinner"></span>{html.escape(t("dash_computing"))}'
        try:
            self.search = find(**self.values(), store=self.store, settings=self.settings)
        except AtsnbError as exc:
            self._error(str(exc))
            return
        except Exception as exc:  # one sentence on the page, the whole error in the server log
            log.exception("records search failed")
            self._error(t("dash_failed", error=f"{type(exc).__name__}: {exc}"))
            return
        self.downloads.report = self.report()
        self.show_page(0)
        self.status.value = html.escape(t("dash_updated", time=dt.datetime.now(self.settings.tz).strftime("%H:%M:%S")))

    def _error(self, message: str) -> None:
        self.search = None
        self.status.value = f'<div class="atsnb-error">{html.escape(message)}</div>'
        self.table.value = ""
        self.position.value = ""

    def _first_page(self) -> None:
        if self.search is not None:
            self.show_page(0)

    def _flip(self) -> None:
        self.descending.description = "↓" if self.descending.value else "↑"
        self._first_page()

    def show_page(self, number: int) -> None:
        """Page ``number`` of the matches in the chosen order."""
        if self.search is None:
            return
        pages = max((len(self.search) + PAGE_ROWS - 1) // PAGE_ROWS, 1)
        self.page_number = min(max(number, 0), pages - 1)
        element = self.search.page(self.page_number, PAGE_ROWS, self.sort_by.value, self.descending.value)
        self.heading.value = heading_html(dataclasses.replace(element, note=""))
        if not len(self.search):
            self.table.value = f'<p class="atsnb-note">{html.escape(t("rec_found_none"))}</p>'
        else:
            body = table_html(element, rows_noted=False)
            self.table.value = body.replace('class="atsnb-call-link" ', f'class="atsnb-call-link" onclick="{OPEN_IN_PAGE}" ')
        first = self.page_number * PAGE_ROWS
        self.position.value = html.escape(t("rec_page_of", first=min(first + 1, len(self.search)),
                                            last=first + len(element.data), total=len(self.search)))
        self.prev.disabled = self.page_number == 0
        self.next.disabled = self.page_number >= pages - 1

    def _everything(self) -> Element:
        if self.search is None:
            return Element("calls", t("rec_calls"), data=pd.DataFrame())
        return self.search.everything(self.sort_by.value, self.descending.value)

    # -- one call --------------------------------------------------------------------------------
    def _call_asked(self, change: dict) -> None:
        if change["new"]:
            self.open(change["new"])
            self.call_input.value = ""  # the same row clicked again opens it again

    def open(self, call_id: str) -> None:
        """Show one call above the list (which is hidden meanwhile)."""
        try:
            route = open_call(call_id, raw=False, store=self.store, settings=self.settings)
        except AtsnbError as exc:
            self.notice.value = f'<div class="atsnb-warning">{html.escape(t("rec_call_failed", error=exc))}</div>'
            return
        view = CallView(route, self.labels, back=self.close_call, checker=self.checker,
                        read_raw=lambda: open_call(call_id, store=self.store, settings=self.settings))
        old = self.call_box.children
        self.call_box.children = (view.widget,)
        for widget in old:
            close_tree(widget)
        self.call_box.layout.display = "flex"
        self.list_box.layout.display = "none"

    def close_call(self) -> None:
        """Back to the list, where it was."""
        self.call_box.layout.display = "none"
        self.list_box.layout.display = "flex"

    def report(self) -> Report:
        """The search as a report (what the export names in its workbook)."""
        return Report("records", t("rep_records"), self.search.filters if self.search else {}, [])

    def wait_for_request(self) -> None:
        """The records page is never built ahead of its visitor: nothing to wait for."""


def _int(text: str | None) -> int:
    try:
        return max(int(float(text)), 0) if text else 0
    except ValueError:
        return 0
