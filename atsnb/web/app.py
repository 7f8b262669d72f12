"""Voila 0.5 with atsnb's endpoints: the same Tornado application, the same login.

Voila builds its handler list in ``init_handlers``; :class:`AtsnbVoila` puts ours
(:func:`atsnb.web.routes.routes`) in front, so ``/atsnb/…`` is answered by atsnb while everything
else stays Voila's.  The settings are those handed to the dashboards (``ATSNB_CONFIG``,
``ATSNB_STORE``); the one secret the endpoints need that the kernels must not see — a recordings
URL with a password — comes from the private configuration file as
``c.AtsnbVoila.recordings_base_url``.  The access log leaves tokens out of the addresses it writes; :mod:`atsnb.web.hardening` guards
every endpoint and :mod:`atsnb.web.roles` says who may open what.
"""

from __future__ import annotations

from functools import partial

from jupyter_server.log import log_request
from traitlets import Unicode, default
from voila.app import Voila

from atsnb.composition import Context
from atsnb.web.hardening import NotFound, guarded, install_log_scrubbing
from atsnb.web.kernels import with_kernel_cap
from atsnb.web.roles import RoleIdentityProvider, loopback
from atsnb.web.routes import routes


class AtsnbVoila(Voila):
    """Voila serving the dashboards plus atsnb's endpoints."""

    name = "voila"  # the configuration file keeps Voila's name: voila.py
    recordings_base_url = Unicode(
        "", config=True,
        help="recordings.base_url with its credentials (kept out of the kernels' settings).",
    )

    def init_settings(self) -> dict:
        settings = super().init_settings()
        # Tornado's own access log writes the address as asked, ``?token=…`` included; Jupyter
        # Server's scrubs the token (and the Referer's) first.
        settings["log_function"] = partial(log_request, record_prometheus_metrics=False)
        settings["default_handler_class"] = NotFound  # plain 404s with the security headers
        settings["xsrf_cookie_kwargs"] = {"samesite": "Lax", "httponly": True}
        return settings

    def init_handlers(self) -> list:
        context = Context.load()
        if self.recordings_base_url:
            context.settings.recordings.base_url = self.recordings_base_url
        # every handler, Voila's and ours, behind the guard: login, roles, headers, plain errors
        return guarded([*routes(self.server_url, context), *with_kernel_cap(super().init_handlers())])

    @default("identity_provider_class")
    def _roles(self) -> type:
        return RoleIdentityProvider

    def listen(self) -> None:
        """Refuse to serve without authentication on anything but a loopback address, whoever
        started this server and however (``atsnb serve`` refuses first)."""
        if not self.identity_provider.auth_enabled and not is_loopback(self.ip or "0.0.0.0"):
            self.log.critical("Refusing to serve the dashboards without authentication on %s: "
                              "an open server is allowed only on a loopback address.", self.ip or "0.0.0.0")
            self.exit(1)
        super().listen()


def is_loopback(ip: str) -> bool:
    return ip == "localhost" or loopback(ip)


def main() -> None:
    install_log_scrubbing()
    AtsnbVoila.launch_instance()
