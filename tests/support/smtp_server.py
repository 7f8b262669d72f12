"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, with a login when asked.

    with SMTPServer(user="reports", password="right") as server:
        settings.smtp.host, settings.smtp.port = server.host, server.port
        ...
        server.messages        # [email.message.EmailMessage, …] as received
        server.envelopes       # [(mail_from, [rcpt, …]), …]
"""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:  # aiosmtpd cannot take port 0 itself
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Keep:
    def __init__(self, owner: SMTPServer):
        self.owner = owner

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.owner.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.owner.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.owner.raw.append(envelope.content)
        self.owner.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class SMTPServer:
    """aiosmtpd on 127.0.0.1 at a free port; ``user``/``password``: the only login it accepts
    (over plain text: no TLS in a loopback test); ``reject``: addresses it refuses."""

    def __init__(self, user: str = "", password: str = "", reject: tuple[str, ...] = ()):
        self.host = "127.0.0.1"
        self.port = free_port()
        self.user, self.password, self.reject = user, password, set(reject)
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, bool]] = []
        options = {}
        if user:
            options = {"authenticator": self._authenticate, "auth_required": True, "auth_require_tls": False,
                       "auth_exclude_mechanism": ["LOGIN"]}  # smtplib tries PLAIN, then LOGIN: one try
        self.controller = Controller(_Keep(self), hostname=self.host, port=self.port, **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        self.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "", ok))
        return AuthResult(success=ok, handled=False)  # False: the server answers 535 itself

    def __enter__(self) -> SMTPServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
