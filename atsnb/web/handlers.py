"""What every endpoint of ours shares: Jupyter Server's login (the cookie the token or password
set when the dashboards were first opened, or the token itself), answered with ``403`` — never a
redirect to a login form, which an ``<audio>`` or a script could not follow — and errors as one
plain sentence with a clear status, never a traceback."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from tornado import web

from atsnb.i18n import t
from atsnb.web.roles import Role, role_of

log = logging.getLogger(__name__)


class Refusal(web.HTTPError):
    """An error status with the sentence the visitor reads (the status line itself stays ASCII)."""

    def __init__(self, status: int, text: str):
        super().__init__(status)
        self.text = text


class AtsnbHandler(JupyterHandler):
    """Base of atsnb's endpoints in the dashboards server."""

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare(_redirect_to_login=False)
        if self.current_user is None:
            raise web.HTTPError(403)

    @property
    def role(self) -> Role | None:
        """The session's role (viewer, editor, admin; :mod:`atsnb.web.roles`), None before login."""
        return role_of(self.current_user)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, Refusal):
            text = exc.text
        elif status_code == 403:
            text = t("web_forbidden")
        else:
            text = HTTPStatus(status_code).phrase if status_code in HTTPStatus._value2member_map_ else "Error"
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(text + "\n")


class LoginRedirect(AtsnbHandler):
    """A permanent redirect for a signed-in visitor (Voila's file list → the home page); others
    get the 403 every endpoint of ours gives, not a hint of where things are."""

    def initialize(self, url: str) -> None:
        self.url = url

    def get(self) -> None:
        self.redirect(self.url, permanent=True)
