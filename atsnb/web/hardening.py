"""The dashboards server's guard: every Voila endpoint behind the login and the role it needs,
security headers on every answer, no error page that can fail, no secret in the log.

Voila 0.5 serves several endpoints without asking who is there (its static files, templates,
themes, ``/voila/files/``) and knows only one shared token.  :func:`guarded` wraps each of its
handler classes in a subclass whose ``prepare`` runs first and decides, by what the handler is:

* **pages** (``/voila/render/<page>.ipynb``, the tree): the role :func:`atsnb.web.roles.page_role`
  names, else the login form (or ``403`` for a logged-in role too low); a link preview (a
  messenger's bot, or any ``HEAD``) never starts a kernel: it is sent to the read-only view
  (:mod:`atsnb.web.view`), or shown a title-only card when it brings no login;
* **kernels** (``/api/kernels/<id>``, its websocket, Voila's shutdown beacon): the role of the page
  that kernel was started for;
* **the preheated kernel's request channel** (``/voila/query/<id>``): only from this machine and
  not through a proxy, which is how the kernel itself connects;
* **login, logout and redirects**: open to all (a redirect only names another guarded address);
* **atsnb's own endpoints** (:mod:`atsnb.web.routes`): their own check — the login, a monitor's
  TV key, or none for the web app manifest and icons a browser fetches without cookies;
* **everything else** (static files, templates, themes, ``/voila/files/``, contents): any role.

Errors are one plain sentence (Voila's error templates themselves fail on odd addresses, which
made ``500``s); a static file handler that cannot make sense of a path answers ``404``.  Log
records have the values of token-like query parameters blanked wherever they are written
(:func:`install_log_scrubbing`).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from jupyter_server.services.kernels.handlers import KernelHandler
from tornado import web
from voila.handler import VoilaHandler
from voila.request_info_handler import RequestInfoSocketHandler
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler
from voila.treehandler import VoilaTreeHandler

from atsnb.i18n import t
from atsnb.reports.registry import REPORTS
from atsnb.web.handlers import AtsnbHandler
from atsnb.web.roles import Role, RoleLoginHandler, RoleLogoutHandler, loopback, page_role, role_of

log = logging.getLogger(__name__)

PREVIEW_AGENTS = ("telegrambot", "whatsapp", "slackbot", "slack-imgproxy", "facebookexternalhit", "facebot",
                  "twitterbot", "discordbot", "skypeuripreview", "linkedinbot", "vkshare", "viber",
                  "yandexbot", "googlebot", "bingbot", "applebot", "pinterest", "redditbot", "embedly",
                  "mattermost", "rocket.chat", "microsoftpreview", "teams", "iframely", "bitrix")
SECRET_PARAMS = re.compile(r"(?i)([?&;](?:[^=&\s]*(?:token|key|password|passwd|secret|auth|code|state|xsrf)[^=&\s]*)=)[^&\s\"']*")
SECRET_HEADERS = re.compile(r"(?i)((?:authorization|cookie)[\"']?\s*[:=]\s*[\"']?)[^\"'\n]+")
KERNEL_PAGE = re.compile(r"/voila/render/(.+?)(?:\.ipynb)?$")


def is_preview(request: Any) -> bool:
    """A link preview: a ``HEAD`` (nobody reads its page), or a known messenger or search bot."""
    agent = request.headers.get("User-Agent", "").lower()
    return request.method == "HEAD" or any(bot in agent for bot in PREVIEW_AGENTS)


def content_security_policy(host: str) -> str:
    """What the pages may load: only this server, plus what Voila and its widgets need — inline
    scripts and styles, ``eval`` (widget code built at run time), ``data:``/``blob:`` images and
    media, the kernel's websocket on this host."""
    sockets = f"ws://{host} wss://{host}" if host else ""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' blob: data:",
        f"connect-src 'self' {sockets}".strip(),
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


def security_headers(handler: web.RequestHandler) -> None:
    handler.set_header("Content-Security-Policy", content_security_policy(handler.request.host or ""))
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "same-origin")  # an address with a token never leaves in a Referer
    handler.set_header("X-Frame-Options", "SAMEORIGIN")


def plain_error(handler: web.RequestHandler, status_code: int, text: str = "") -> None:
    """An error as one sentence of plain text: nothing that can fail while it is written."""
    if not text:
        text = t("web_forbidden") if status_code == 403 else (
            HTTPStatus(status_code).phrase if status_code in HTTPStatus._value2member_map_ else "Error")
    handler.clear_header("Content-Disposition")
    handler.set_header("Content-Type", "text/plain; charset=utf-8")
    handler.set_header("Cache-Control", "no-store")
    handler.finish(text + "\n")


# -- what each handler needs -------------------------------------------------------------------------

PUBLIC, INTERNAL, OWN, PAGE, KERNEL, ANY_ROLE = "public", "internal", "own", "page", "kernel", "any"


def rule_for(cls: type) -> str:
    if issubclass(cls, (RoleLoginHandler, RoleLogoutHandler, web.RedirectHandler)):
        return PUBLIC  # a redirect only names another address, which is guarded itself
    if issubclass(cls, RequestInfoSocketHandler):
        return INTERNAL
    if issubclass(cls, AtsnbHandler):
        return OWN  # our endpoints check the login (and a monitor's TV key) themselves
    if issubclass(cls, (VoilaHandler, VoilaTreeHandler)):
        return PAGE
    if issubclass(cls, (KernelHandler, VoilaKernelWebsocketHandler, VoilaShutdownKernelHandler)):
        return KERNEL
    return ANY_ROLE


def kernel_role(kernel_manager: Any, kernel_id: str) -> Role:
    """The role a kernel's API and websocket need: that of the page it was started for (its
    ``SCRIPT_NAME``).  A preheated kernel is started before any request, for one of the pages
    that keep a pool: it needs the highest role any of them needs (``atsnb serve`` preheats report
    pages only, so that is the viewer's).  A kernel nobody can place is the administrators'."""
    try:
        manager = kernel_manager.get_kernel(kernel_id)
    except (KeyError, web.HTTPError):  # no such kernel: Jupyter Server's manager raises a 404
        return Role.ADMIN
    env = (getattr(manager, "_launch_args", None) or {}).get("env") or {}
    found = KERNEL_PAGE.search(env.get("SCRIPT_NAME", ""))
    if found:
        return page_role(found.group(1))
    pools = [name for name in getattr(kernel_manager, "kernel_pools_config", {}) if name != "default"]
    if env.get("VOILA_PREHEAT") == "True" and pools:
        return max(page_role(name) for name in pools)
    return Role.ADMIN


class Guard:
    """Mixed in front of a handler class by :func:`guarded`; ``_atsnb_rule`` says what it needs."""

    _atsnb_rule = ANY_ROLE

    def set_default_headers(self) -> None:
        super().set_default_headers()  # type: ignore[misc]
        security_headers(self)  # type: ignore[arg-type]

    async def prepare(self) -> None:
        handler: Any = self
        rule = self._atsnb_rule
        if rule == INTERNAL:
            request = handler.request
            if not loopback(request.remote_ip or "") or request.headers.get("X-Real-IP") or \
                    request.headers.get("X-Forwarded-For"):
                raise web.HTTPError(403)
        elif rule not in (PUBLIC, OWN):
            role = await self._role()
            if rule == PAGE and isinstance(handler, VoilaHandler) and is_preview(handler.request):
                self._preview((handler.path_args or [""])[0] or "", role)
                return
            if role is None:
                if rule == PAGE and handler.request.method in ("GET", "HEAD"):
                    handler.redirect(handler.settings.get("login_url", "/login") + "?" +
                                     urlencode({"next": handler.request.uri or "/"}))
                    return
                raise web.HTTPError(403)
            needed = self._needed()
            if role < needed:
                raise _RoleTooLow(needed)
        result = super().prepare()  # type: ignore[misc]
        if result is not None:
            await result

    async def _role(self) -> Role | None:
        handler: Any = self
        provider = handler.settings["identity_provider"]
        user = provider.get_user(handler)
        if hasattr(user, "__await__"):
            user = await user
        handler._jupyter_current_user = user
        handler.current_user = user
        return role_of(user)

    def _needed(self) -> Role:
        """The role this request needs."""
        handler: Any = self
        args = handler.path_args or list(handler.path_kwargs.values())  # kernel routes name their group
        if self._atsnb_rule == KERNEL:
            return kernel_role(handler.settings["kernel_manager"], args[0]) if args else Role.ADMIN
        if self._atsnb_rule == PAGE and isinstance(handler, VoilaHandler):
            return page_role(args[0] if args else "")
        return Role.VIEWER

    def _preview(self, page: str, role: Role | None) -> None:
        """A bot's or a ``HEAD``'s answer: the read-only view when it may see it, else a card with
        the page's title only — never a kernel."""
        handler: Any = self
        page = page.removesuffix(".ipynb")
        base = handler.settings.get("base_url", "/").rstrip("/")
        if page in REPORTS and role is not None:
            query = handler.request.query
            handler.redirect(f"{base}/atsnb/view/{page}" + (f"?{query}" if query else ""))
            return
        title = t(REPORTS[page].title) if page in REPORTS else t("sec_preview_title")
        handler.set_header("Content-Type", "text/html; charset=utf-8")
        handler.set_header("Cache-Control", "no-store")
        handler.finish(preview_card(title))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        if self._atsnb_rule == OWN:  # our endpoints write their own sentences
            super().write_error(status_code, **kwargs)  # type: ignore[misc]
            return
        exc = kwargs.get("exc_info", (None, None, None))[1]
        text = t("sec_role_needed", role=t(f"sec_role_{exc.needed.key}")) if isinstance(exc, _RoleTooLow) else ""
        plain_error(self, status_code, text)  # type: ignore[arg-type]

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if status_code == 500 and isinstance(self, web.StaticFileHandler) and not isinstance(exc, web.HTTPError):
            # a path the static handler could not take apart (``/voila/templates/``): there is no such file
            kwargs.pop("exc_info", None)
            status_code = 404
        super().send_error(status_code, **kwargs)  # type: ignore[misc]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(self, web.StaticFileHandler) and not isinstance(value, web.HTTPError):
            return  # answered 404 by send_error; nothing went wrong on our side
        super().log_exception(typ, value, tb)  # type: ignore[misc]


class _RoleTooLow(web.HTTPError):
    def __init__(self, needed: Role):
        super().__init__(403)
        self.needed = needed


def preview_card(title: str) -> str:
    from atsnb.web.view import preview_meta

    product = t("sec_preview_product")
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)} — {html.escape(product)}</title>'
            f'{preview_meta(f"{title} — {product}", t("sec_preview_login"))}</head>'
            f'<body><p>{html.escape(title)} — {html.escape(t("sec_preview_login"))}</p></body></html>')


def guarded(handlers: Iterable[tuple]) -> list[tuple]:
    """The handler list with each handler class wrapped in :class:`Guard` (module docstring)."""
    out = []
    for pattern, cls, *rest in handlers:
        if not issubclass(cls, Guard):
            cls = type(cls.__name__, (Guard, cls), {"_atsnb_rule": rule_for(cls), "__module__": __name__})
        out.append((pattern, cls, *rest))
    return out


class NotFound(Guard, web.RequestHandler):
    """Any address no handler takes: ``404`` in plain text, with the security headers."""

    _atsnb_rule = PUBLIC

    def prepare(self) -> None:  # type: ignore[override]
        raise web.HTTPError(404)


# -- the log ---------------------------------------------------------------------------------------

def scrub(text: str) -> str:
    """``/x?token=abc&period=today`` → ``/x?token=[secret]&period=today``; Authorization and
    Cookie header values likewise."""
    return SECRET_HEADERS.sub(r"\1[secret]", SECRET_PARAMS.sub(r"\1[secret]", text))


def install_log_scrubbing() -> None:
    """Every log record of this process (Tornado's, Jupyter Server's, Voila's, ours) is written
    with token-like values blanked: the message is formatted and scrubbed when it is made."""
    make = logging.getLogRecordFactory()
    if getattr(make, "atsnb_scrubbing", False):
        return

    def scrubbed(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return record

    scrubbed.atsnb_scrubbing = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(scrubbed)
