"""Who may do what in the dashboards server: three roles, each with its own token or password.

* **viewer** — the report dashboards, their read-only views, the wall-boards, recordings when
  ``recordings.viewers`` allows it;
* **editor** — a viewer who may also open the directories editor (departments, employees,
  mailings, Telegram subscribers);
* **admin** — everything, the settings page included.

:class:`RoleIdentityProvider` replaces Jupyter Server's single shared token: a request carries one
of the three tokens (``?token=`` or ``Authorization: token …``), or a login cookie set by a token or
by the login form (one password per role).  The cookie holds the role's name, signed with the
server's cookie secret, so it cannot be forged or raised; the server's handlers read the role
with :func:`role_of`.  A page needs the role :func:`page_role` names — every page that is not a
report or a wall-board is for administrators, so a page added later is closed until it is placed.
Failed logins are counted per client (:class:`LoginLimiter`): after a few, the login form answers
``429`` for a while, with the right password too.
"""

from __future__ import annotations

import hmac
import html
import ipaddress
import time
from collections import deque
from enum import IntEnum
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.auth.login import LoginFormHandler
from jupyter_server.auth.security import passwd_check
from tornado import web
from traitlets import Bool, Dict, Type, default

from atsnb.i18n import t
from atsnb.reports.registry import REPORTS

VIEWER_PAGES = frozenset({"monitor"})  # pages of their own that only show
EDITOR_PAGES = frozenset({"directories"})
MAX_FAILURES = 5
FAILURE_WINDOW_S = 300


class Role(IntEnum):
    """The roles, each allowed what the ones below it are."""

    VIEWER = 1
    EDITOR = 2
    ADMIN = 3

    @property
    def key(self) -> str:
        return self.name.lower()

    @classmethod
    def named(cls, name: object) -> Role | None:
        return cls.__members__.get(str(name).upper()) if isinstance(name, str) else None


def role_of(user: object) -> Role | None:
    """The role of a logged-in user (None: not logged in)."""
    return Role.named(user.username) if isinstance(user, User) else None


def page_role(page: str) -> Role:
    """The role a dashboard page (``employees``, ``directories.ipynb``) needs."""
    name = page.strip("/").removesuffix(".ipynb")
    if name in REPORTS or name in VIEWER_PAGES:
        return Role.VIEWER
    if name in EDITOR_PAGES:
        return Role.EDITOR
    return Role.ADMIN


def role_user(role: Role) -> User:
    return User(username=role.key, name=role.key, display_name=t(f"sec_role_{role.key}"))


def client_key(handler: web.RequestHandler) -> str:
    """Who is asking, for the login limit: the peer's address, or — when the peer is a proxy on
    this machine (nginx) — the address the proxy says it serves."""
    peer = handler.request.remote_ip or ""
    if loopback(peer):
        forwarded = handler.request.headers.get("X-Real-IP") or \
            handler.request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return peer


def loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class LoginLimiter:
    """Failed logins per client: :data:`MAX_FAILURES` within :data:`FAILURE_WINDOW_S` seconds close
    the login to that client until the oldest of them is that old."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = FAILURE_WINDOW_S):
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def wait_s(self, key: str, now: float | None = None) -> int:
        """Seconds until ``key`` may try again (0: now)."""
        now = time.monotonic() if now is None else now
        failures = self._failures.get(key)
        if not failures:
            return 0
        while failures and now - failures[0] >= self.window_s:
            failures.popleft()
        if len(failures) < self.max_failures:
            return 0
        return max(1, int(failures[0] + self.window_s - now + 0.999))

    def failed(self, key: str, now: float | None = None) -> None:
        self._failures.setdefault(key, deque()).append(time.monotonic() if now is None else now)
        if len(self._failures) > 10_000:  # a flood of addresses: forget the oldest clients
            for stale in list(self._failures)[:5_000]:
                del self._failures[stale]

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


class RoleLoginHandler(LoginFormHandler):
    """``/login``: one password (or token) field; which role's it is decides the session's role.
    A page of our own (no Jupyter assets, no "set a password" form), rate-limited, with a
    cross-site request forgery check of its own (the server's is off for Voila's kernel beacon)."""

    @allow_unauthenticated
    def get(self) -> None:
        if self.current_user:
            self._redirect_safe(self.get_argument("next", default=self.base_url))
            return
        self._page()

    @allow_unauthenticated
    def post(self) -> None:
        provider = self.identity_provider
        key = client_key(self)
        wait = provider.limiter.wait_s(key)
        if wait:
            self.set_header("Retry-After", str(wait))
            self._page(t("sec_login_wait", seconds=wait), status=429)
            return
        web.RequestHandler.check_xsrf_cookie(self)
        user = provider.process_login_form(self)
        if user is None:
            provider.limiter.failed(key)
            self._page(t("sec_login_wrong"), status=403)
            return
        provider.limiter.succeeded(key)
        provider.set_login_cookie(self, user)
        self._redirect_safe(self.get_argument("next", default=self.base_url))

    def _page(self, error: str = "", status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(login_page(self.request.uri or "/login", self.xsrf_form_html(), error))


def login_page(action: str, xsrf_field: str, error: str) -> str:
    """The login form, styled inline (no stylesheet, no script: the CSP needs nothing else)."""
    box = ("max-width:360px;margin:12vh auto;padding:24px;border:1px solid #d1d5db;border-radius:10px;"
           "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#111827")
    field = "width:100%;box-sizing:border-box;font-size:16px;padding:8px;margin:6px 0 12px 0"
    wrong = f'<p style="color:#b91c1c;margin:0 0 12px 0">{html.escape(error)}</p>' if error else ""
    return (f'<!DOCTYPE html><html lang="{html.escape(t("sec_lang"))}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{html.escape(t("sec_login_title"))}</title></head>'
            f'<body><form method="post" action="{html.escape(action)}" style="{box}">'
            f'<h1 style="font-size:20px;margin:0 0 12px 0">{html.escape(t("sec_login_title"))}</h1>{wrong}'
            f'<label for="password">{html.escape(t("sec_login_label"))}</label>'
            f'<input type="password" id="password" name="password" autocomplete="current-password" autofocus '
            f'style="{field}">{xsrf_field}'
            f'<button type="submit" style="font-size:16px;padding:8px 18px">{html.escape(t("sec_login_button"))}</button>'
            f'<p style="font-size:13px;color:#4b5563">{html.escape(t("sec_login_hint"))}</p></form></body></html>')


class RoleLogoutHandler(web.RequestHandler):
    """``/logout``: the login cookie cleared, back to the login form."""

    def get(self) -> None:
        self.settings["identity_provider"].clear_login_cookie(self)
        self.redirect(self.settings.get("base_url", "/").rstrip("/") + "/login")


class RoleIdentityProvider(IdentityProvider):
    """Jupyter Server's identity provider with a role per token and per password (module
    docstring).  Works for any Tornado handler of the server, not only Jupyter's: the guard
    (:mod:`atsnb.web.hardening`) asks it before Voila's own static and kernel handlers run."""

    role_tokens = Dict(config=True, help="role name → its access token")
    role_password_hashes = Dict(config=True, help="role name → the hash of its password (jupyter_server.auth.passwd)")
    login_handler_class = Type(default_value=RoleLoginHandler, klass=web.RequestHandler, config=True)
    logout_handler_class = Type(default_value=RoleLogoutHandler, klass=web.RequestHandler, config=True)
    secure_cookie = Bool(None, allow_none=True, config=True,
                         help="the login cookie only over HTTPS (None: when the request came over HTTPS)")

    def __init__(self, **kwargs: Any):
        kwargs.pop("login_handler_class", None)  # Voila hands its own form in; ours knows the roles
        kwargs["token"] = ""  # the single shared token of Jupyter Server is not used
        super().__init__(**kwargs)
        self.limiter = LoginLimiter()

    @default("cookie_options")
    def _cookie_options(self) -> dict[str, Any]:
        return {"httponly": True, "samesite": "Lax"}

    @property
    def auth_enabled(self) -> bool:
        return bool(self.role_tokens or self.role_password_hashes)

    @property
    def login_available(self) -> bool:
        return self.auth_enabled

    def role_for_token(self, presented: str) -> Role | None:
        found = None
        for name, token in self.role_tokens.items():
            if token and hmac.compare_digest(presented.encode(), str(token).encode()):
                found = Role.named(name)
        return found

    def role_for_password(self, typed: str) -> Role | None:
        return next((Role.named(name) for name, hashed in self.role_password_hashes.items()
                     if hashed and passwd_check(hashed, typed)), None)

    def get_user(self, handler: web.RequestHandler) -> User | None:  # type: ignore[override]
        """The role of the request: its token, else its login cookie; without authentication
        configured (``--no-auth``, loopback only) every visitor is an administrator."""
        known = getattr(handler, "_jupyter_current_user", None)
        if known:
            return known
        if not self.auth_enabled:
            return role_user(Role.ADMIN)
        presented = self.get_token(handler)
        role = self.role_for_token(presented) if presented else None
        cookie_user = self.get_user_cookie(handler)
        cookie_role = role_of(cookie_user)
        if role is not None:
            handler._token_authenticated = True  # type: ignore[attr-defined]
            if role != cookie_role:
                self.set_login_cookie(handler, role_user(role))
            return role_user(role)
        if cookie_role is not None:
            return role_user(cookie_role)
        if handler.get_cookie(self.get_cookie_name(handler)) is not None:
            self.clear_login_cookie(handler)
        return None

    def get_user_cookie(self, handler: web.RequestHandler) -> User | None:  # type: ignore[override]
        value = handler.get_secure_cookie(self.get_cookie_name(handler), **self.get_secure_cookie_kwargs)
        if not value:
            return None
        try:
            return self.user_from_cookie(value.decode())
        except (ValueError, KeyError, TypeError):
            return None

    def process_login_form(self, handler: web.RequestHandler) -> User | None:
        typed = handler.get_argument("password", default="")
        if not typed:
            return None
        role = self.role_for_password(typed) or self.role_for_token(typed)
        return role_user(role) if role is not None else None

    def set_login_cookie(self, handler: web.RequestHandler, user: User) -> None:
        options = dict(self.cookie_options)
        secure = self.secure_cookie if self.secure_cookie is not None else handler.request.protocol == "https"
        if secure:
            options.setdefault("secure", True)
        options.setdefault("path", handler.settings.get("base_url", "/"))
        handler.set_secure_cookie(self.get_cookie_name(handler), self.user_to_cookie(user), **options)

    def clear_login_cookie(self, handler: web.RequestHandler) -> None:
        handler.clear_cookie(self.get_cookie_name(handler), path=handler.settings.get("base_url", "/"))

    def validate_security(self, app: Any, ssl_options: dict[str, Any] | None = None) -> None:
        """Nothing to warn about here: the server refuses to start open on a non-loopback address."""
