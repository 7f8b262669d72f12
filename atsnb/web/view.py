"""``GET /atsnb/view/<report>?<filters>``: a report as one static page — the mailed snapshot's HTML,
charts as images, no script, no kernel — for link previews, phones on bad networks, TVs and the
many managers who only look.  It links to the live dashboard with the same filters.

The report is computed in this server process, on a worker thread of its own (one at a time, so a
burst of previews cannot starve the pages), and rendered by the snapshot renderer
(:func:`atsnb.views.snapshot.render_snapshot`) from the very outputs :func:`atsnb.views.show`
displays in a notebook: the same page papermill + the snapshot give, without starting a kernel
(docs/performance.md has the comparison).  Pages are kept per (report, filters with the period
fixed to its dates, the store's revision): a second visitor gets the page at once, and the first
visitor after anything is written to the store gets a fresh one.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate

import nbformat
import pandas as pd
from IPython.display import Image

from atsnb.composition import Context
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.reports.period import PeriodError
from atsnb.reports.registry import REPORTS
from atsnb.reports.saved_filters import BadFilters, dashboard_query, filters_text, fixed_period, parse_filters
from atsnb.reports.scope import FilterError
from atsnb.views.snapshot import render_snapshot
from atsnb.views.static import outputs
from atsnb.web.handlers import AtsnbHandler, Refusal

VIEW_ROWS = 50  # rows of each table on the page; the dashboard has the rest
WORKERS = 1
CACHE_ENTRIES = 32
DATA_TABLES = ("calls", "steps")  # and the catalog (directories), which Store.revision always reads


@dataclass(frozen=True)
class ViewPage:
    """One rendered view: the page, its validator, and when it was computed."""

    html: bytes
    etag: str
    rendered_at: pd.Timestamp


def view_filters(report: str, arguments: dict[str, list[bytes]]) -> dict[str, str]:
    """The report's filters from an address's query: keys the report does not take (the token,
    anything else) are left out, as the dashboards do; a value that cannot be read raises
    :class:`BadFilters` naming it."""
    spec = REPORTS[report]
    given = {k: v[-1].decode("utf-8", "replace").strip() for k, v in arguments.items() if k in spec.filters and v}
    return parse_filters(filters_text({k: v for k, v in given.items() if v}))


def report_notebook(report) -> nbformat.NotebookNode:
    """An executed-notebook stand-in: one cell whose outputs are what :func:`atsnb.views.show`
    displays for ``report`` — what the snapshot renderer reads."""
    cell_outputs = []
    for shown, metadata in outputs(report):
        if isinstance(shown, Image):
            data = {"image/png": base64.b64encode(shown.data).decode("ascii"), "text/plain": "<Image>"}
        else:
            data = {"text/html": shown.data, "text/plain": "<HTML>"}
        cell_outputs.append(nbformat.v4.new_output("display_data", data=data, metadata=metadata))
    cell = nbformat.v4.new_code_cell("atsnb.views.show(report)", outputs=cell_outputs, execution_count=1)
    return nbformat.v4.new_notebook(cells=[cell])


def preview_meta(title: str, description: str) -> str:
    """What a messenger shows of the link: Open Graph title and description; no indexing."""
    return ('<meta name="robots" content="noindex, nofollow">'
            f'<meta property="og:title" content="{html.escape(title)}">'
            f'<meta property="og:description" content="{html.escape(description)}">'
            '<meta property="og:type" content="website">')


class Views:
    """The rendered views, the newest :data:`CACHE_ENTRIES` of them, and one lock per page so
    that visitors asking for the same page at once wait for one computation."""

    def __init__(self, context: Context):
        self.context = context
        self._pages: OrderedDict[tuple, ViewPage] = OrderedDict()
        self._locks: dict[tuple, asyncio.Lock] = {}
        self._worker = ThreadPoolExecutor(WORKERS, thread_name_prefix="atsnb-view")

    def key(self, report: str, filters: dict[str, str]) -> tuple:
        """What a page depends on: the report, its filters with the period as dates (``today``
        means another day tomorrow), and the store's revision."""
        settings = self.context.settings
        fixed = fixed_period(filters, self.context.now(), settings.tz)
        return (report, tuple(sorted(filters.items())), tuple(sorted(fixed.items())),
                self.context.reading_store().revision(DATA_TABLES))

    async def page(self, report: str, filters: dict[str, str], link: str) -> ViewPage:
        loop = asyncio.get_running_loop()
        key = await loop.run_in_executor(None, self.key, report, filters)
        lock = self._locks.setdefault(key[:2], asyncio.Lock())
        async with lock:
            kept = self._pages.get(key)
            if kept is not None:
                self._pages.move_to_end(key)
                return kept
            page = await loop.run_in_executor(self._worker, self.render, report, filters, link)
            self._pages = OrderedDict((k, v) for k, v in self._pages.items() if k[:2] != key[:2])
            self._pages[key] = page
            while len(self._pages) > CACHE_ENTRIES:
                self._pages.popitem(last=False)
            kept_pages = {k[:2] for k in self._pages}
            self._locks = {k: held for k, held in self._locks.items() if held.locked() or k in kept_pages}
            return page

    def render(self, report: str, filters: dict[str, str], link: str) -> ViewPage:
        """The page of ``report`` now (on the worker thread)."""
        now = self.context.now()
        computed = self.context.report(report, filters.get("period", "last_30_days"),
                                       **{k: v for k, v in filters.items() if k != "period"})
        stamp = now.strftime("%d.%m.%Y %H:%M")
        snapshot = render_snapshot(report_notebook(computed), max_rows=VIEW_ROWS, link=link,
                                   footer=t("view_footer", time=stamp))
        description = " · ".join([snapshot.filters_line(), *(f"{a}: {b}" for a, b in snapshot.headline[:4])])
        page = snapshot.standalone_html().replace(
            "</head>", preview_meta(snapshot.title, description) + "</head>", 1)
        etag = hashlib.sha256(page.encode()).hexdigest()[:32]
        return ViewPage(page.encode("utf-8"), f'"{etag}"', now)


class ReadOnlyViewHandler(AtsnbHandler):
    """``/atsnb/view/<report>``: the report's static page for any logged-in role."""

    def initialize(self, views: Views) -> None:
        self.views = views

    async def get(self, report: str) -> None:
        await self._answer(report, body=True)

    async def head(self, report: str) -> None:
        await self._answer(report, body=False)

    async def _answer(self, report: str, *, body: bool) -> None:
        if report not in REPORTS:
            raise Refusal(404, t("view_unknown_report", name=report, known=", ".join(REPORTS)))
        try:
            filters = view_filters(report, self.request.arguments)
            query = dashboard_query(filters)
            link = f"{self.base_url.rstrip('/')}/voila/render/{report}.ipynb" + (f"?{query}" if query else "")
            page = await self.views.page(report, filters, link)
        except (BadFilters, FilterError, PeriodError) as exc:
            raise Refusal(400, str(exc)) from None
        except AtsnbError as exc:  # no store yet, a damaged one
            raise Refusal(503, str(exc)) from None
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "private, no-cache")  # the browser asks again, with If-None-Match
        self.set_header("ETag", page.etag)
        self.set_header("Last-Modified", formatdate(page.rendered_at.timestamp(), usegmt=True))
        if page.etag in self.request.headers.get("If-None-Match", ""):
            self.set_status(304)
            self.finish()
            return
        self.set_header("Content-Length", str(len(page.html)))
        if body:
            self.write(page.html)
        self.finish()
