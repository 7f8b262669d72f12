"""``GET /``: the home page (:mod:`atsnb.views.home_page`) — no kernel, no file list.

Voila would answer ``/`` with its own list of notebook files (in English, with icon fonts from a
public CDN that hold an office without internet waiting).  This handler answers it instead, behind
the dashboards' login: a visitor without one is sent to the login form and comes back here.

Today's figures are computed in a worker thread, once per day and store revision however many
people open the page (the store's files tell in a few ``stat`` calls whether anything was written
since); what the page offers besides the reports follows the visitor's role
(:func:`atsnb.web.roles.page_role`): the directories for editors, the settings for administrators.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.utils import url_path_join
from tornado import web

from atsnb.composition import Context
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.views.home_page import Link, TodayFigures, home_page, today_figures
from atsnb.web.handlers import AtsnbHandler
from atsnb.web.monitor import Boards
from atsnb.web.roles import Role, page_role

ROLE_PAGES = ("directories", "settings")  # pages of their own beyond the reports, for the roles that open them
DATA_TABLES = ("calls",)  # today's figures read the calls only (and the catalog, which a revision always reads)


class Today:
    """Today's figures, the last computed, and the lock that lets one request compute them."""

    def __init__(self, context: Context):
        self.context = context
        self._kept: tuple[object, tuple[TodayFigures | None, str, str]] | None = None
        self._lock = asyncio.Lock()

    def _stamp(self) -> object:
        try:
            revision = self.context.reading_store().revision(DATA_TABLES)
        except AtsnbError as exc:  # no store, or no calls in it yet: the page says so
            revision = str(exc)
        return self.context.now().date(), revision

    def _compute(self) -> tuple[TodayFigures | None, str, str]:
        now = self.context.now()
        try:
            store = self.context.reading_store()
            return today_figures(store, self.context.settings, now), "", f"{now:%H:%M}"
        except AtsnbError as exc:
            return None, str(exc), f"{now:%H:%M}"

    async def figures(self) -> tuple[TodayFigures | None, str, str]:
        """(figures or None, why there are none, when they were computed)."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            stamp = await loop.run_in_executor(None, self._stamp)
            if self._kept is not None and self._kept[0] == stamp:
                return self._kept[1]
            found = await loop.run_in_executor(None, self._compute)
            self._kept = (stamp, found)
            return found


class HomeHandler(AtsnbHandler):
    """``/``: the home page for any logged-in role; without a login, the login form."""

    def initialize(self, today: Today, boards: Boards) -> None:
        self.today = today
        self.boards = boards

    async def prepare(self) -> None:  # type: ignore[override]
        await super(AtsnbHandler, self).prepare(_redirect_to_login=False)
        if self.current_user is None:
            if self.request.method not in ("GET", "HEAD"):
                raise web.HTTPError(403)
            login = self.settings.get("login_url") or url_path_join(self.base_url, "/login")
            self.redirect(f"{login}?{urlencode({'next': self.request.uri or self.base_url})}")

    @allow_unauthenticated  # prepare sends a visitor without a login to the login form
    async def get(self) -> None:
        await self._answer(body=True)

    @allow_unauthenticated
    async def head(self) -> None:
        await self._answer(body=False)

    async def _answer(self, *, body: bool) -> None:
        base = self.base_url.rstrip("/")
        figures, problem, stamp = await self.today.figures()
        role = self.role or Role.VIEWER
        more = [Link(f"{base}/voila/render/{page}.ipynb", t(f"home_page_{page}"), t(f"home_about_page_{page}"))
                for page in ROLE_PAGES if role >= page_role(page)]
        monitors = [(name, monitor.title) for name, monitor in self.boards.monitors().items()]
        page = home_page(base=base, figures=figures, problem=problem,
                         service_level_s=self.today.context.settings.thresholds.service_level_s,
                         monitors=monitors, more=more, logout=self.identity_provider.auth_enabled, stamp=stamp)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        if body:
            self.write(page)
        self.finish()
