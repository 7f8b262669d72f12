"""The wall-boards in the dashboards server, without a kernel (docs/monitor.md):

* ``GET /monitor/`` — the monitors there are, each with its TV link;
* ``GET /monitor/<name>`` — the board page (static HTML, :mod:`atsnb.views.monitor_page`);
* ``GET /atsnb/monitor/<name>.json`` — its figures now (:func:`atsnb.views.monitor_board.board`);
* ``GET /voila/render/monitor.ipynb?name=<name>`` — sends the browser to ``/monitor/<name>``.

A board is read by the dashboards' login, or by the monitor's **TV key** (``?key=…``): an HMAC of the
monitor's name under a secret kept in the store, so the link opens that one board only, needs no
login on the TV and survives server restarts (the login cookie does not: its secret is new at every
start).  Figures are computed in a worker thread, at most once per monitor while neither the store
nor the minute changes, however many screens show it; the cache holds one board per monitor.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any
from urllib.parse import urlencode

import pandas as pd
from jupyter_server.auth.decorator import allow_unauthenticated
from tornado import web

from atsnb.composition import Context
from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.views.monitor_board import Monitor, board, monitors
from atsnb.views.monitor_page import PAGE_VERSION, board_page, list_page
from atsnb.web.handlers import AtsnbHandler

log = logging.getLogger(__name__)
SECRET_STATE = "monitor:tv_secret"


def tv_key(context: Context, name: str) -> str:
    """The TV key of monitor ``name`` (module docstring); the secret is made on first use."""
    catalog = context.directories
    secret = catalog.get_state(SECRET_STATE)
    if not secret:
        secret = secrets.token_hex(32)
        catalog.set_state(SECRET_STATE, secret)
    digest = hmac.new(bytes.fromhex(secret), name.encode(), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode()


class Boards:
    """The boards last computed, one per monitor, and the locks that let one request compute each."""

    def __init__(self, context: Context):
        self.context = context
        self._last: dict[str, tuple[object, dict[str, Any]]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def monitors(self) -> dict[str, Monitor]:
        """The configured monitors; none while the configured store does not exist (it is not
        created by asking)."""
        try:
            store = self.context.reading_store()
        except AtsnbError:
            return {}
        return monitors(store, self.context.settings)

    def key_fits(self, name: str, key: str) -> bool:
        """Whether ``key`` is the TV key of the existing monitor ``name``."""
        return bool(key) and name in self.monitors() and hmac.compare_digest(key, tv_key(self.context, name))

    async def board(self, monitor: Monitor) -> dict[str, Any]:
        lock = self._locks.setdefault(monitor.name, asyncio.Lock())
        async with lock:
            loop = asyncio.get_running_loop()
            stamp = await loop.run_in_executor(None, self._stamp, monitor)
            kept = self._last.get(monitor.name)
            if kept is not None and kept[0] == stamp:
                return kept[1]
            figures = await loop.run_in_executor(None, self._compute, monitor)
            self._last = {name: v for name, v in self._last.items() if name != monitor.name} | {
                monitor.name: (stamp, figures)}
            return figures

    def _stamp(self, monitor: Monitor) -> object:
        now = self.context.now()
        return monitor, now.floor("min"), self.context.store.revision(("calls", "queue_log"))

    def _compute(self, monitor: Monitor) -> dict[str, Any]:
        try:
            return board(monitor, self.context.store, self.context.settings, self.context.now())
        except AtsnbError as exc:  # no store yet, a bad setting: the board says it
            return {"error": t("mon_failed", error=str(exc)), "refresh_s": monitor.refresh_s}


class MonitorHandler(AtsnbHandler):
    """Shared by the board's page and data: the login or the monitor's TV key (their ``get`` lets
    Jupyter Server pass a visitor without a login; :meth:`prepare` then asks for the key)."""

    def initialize(self, boards: Boards) -> None:
        self.boards = boards

    async def prepare(self) -> None:  # type: ignore[override]
        await super(AtsnbHandler, self).prepare(_redirect_to_login=False)
        name = self.path_kwargs.get("name") or (self.path_args[0] if self.path_args else "")
        key = self.get_argument("key", "")
        if self.current_user is None and not self.boards.key_fits(name, key):
            raise web.HTTPError(403)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if status_code == 403:
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(t("mon_forbidden") + "\n")
            return
        super().write_error(status_code, **kwargs)

    def listing(self) -> list[tuple[str, str, str, str]]:
        base = self.base_url.rstrip("/")
        return [(m.name, m.title, f"{base}/monitor/{m.name}",
                 f"{base}/monitor/{m.name}?" + urlencode({"key": tv_key(self.boards.context, m.name)}))
                for m in self.boards.monitors().values()]

    def html(self, text: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(text)


class MonitorListHandler(MonitorHandler):
    """``/monitor/``: the monitors, for people logged in to the dashboards."""

    async def get(self) -> None:
        self.html(list_page(self.listing()))


class MonitorPageHandler(MonitorHandler):
    """``/monitor/<name>``: the board page; an unknown name lists the monitors there are."""

    @allow_unauthenticated  # the TV key is checked in prepare
    async def get(self, name: str) -> None:
        found = self.boards.monitors().get(name)
        if found is None:
            listing = self.listing() if self.current_user is not None else []
            self.html(list_page(listing, unknown=name), status=404)
            return
        query = {"key": tv_key(self.boards.context, name)}  # the page keeps working after a restart
        data_url = f"{self.base_url.rstrip('/')}/atsnb/monitor/{name}.json?{urlencode(query)}"
        self.html(board_page(found.title, data_url, found.refresh_s, self.boards.context.settings.pbx.timezone))


class MonitorDataHandler(MonitorHandler):
    """``/atsnb/monitor/<name>.json``: the board's figures now."""

    @allow_unauthenticated  # the TV key is checked in prepare
    async def get(self, name: str) -> None:
        found = self.boards.monitors().get(name)
        if found is None:
            self.set_status(404)
            payload: dict[str, Any] = {"error": t("mon_unknown", name=name)}
        else:
            payload = dict(await self.boards.board(found))
        payload["page_version"] = PAGE_VERSION
        payload["served_at"] = pd.Timestamp.now(tz=self.boards.context.settings.tz).isoformat()
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload, ensure_ascii=False))


class MonitorRenderHandler(web.RequestHandler):
    """``/voila/render/monitor.ipynb?name=…``: the board lives at ``/monitor/<name>`` (no kernel)."""

    def initialize(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")

    def get(self) -> None:
        args = {k: self.get_argument(k) for k in self.request.arguments if k != "name"}
        name = self.get_argument("name", "")
        target = f"{self.base}/monitor/{name}" if name else f"{self.base}/monitor/"
        self.redirect(target + (f"?{urlencode(args)}" if args else ""))
