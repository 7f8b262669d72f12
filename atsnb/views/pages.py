"""Which page shows a report in the dashboards: the filter bar over its report (:class:`DashboardPage`)
for most, a page of its own for a report that needs more than filters — the records' search,
paging and call view (:class:`~atsnb.views.records_page.RecordsPage`)."""

from __future__ import annotations

from collections.abc import Callable

from atsnb.config import Settings
from atsnb.reports.registry import ReportSpec
from atsnb.store import Store
from atsnb.views.app import DashboardPage
from atsnb.views.player import Checker


def dashboard_page(spec: ReportSpec, *, settings: Settings, store: Store,
                   recordings: Callable[[], Checker] | None = None) -> object:
    """The page of the report ``spec`` (``recordings``: the recordings, for a page with a player)."""
    if spec.name == "records":
        from atsnb.views.records_page import RecordsPage

        return RecordsPage(spec, settings=settings, store=store, checker=recordings() if recordings else None)
    return DashboardPage(spec, settings=settings, store=store)
