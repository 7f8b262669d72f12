"""The PBX database connection: timeouts, TLS for cloud PBXs, and errors a user understands.

Every way a connection can fail (wrong password, unknown host, refused port, timeout, missing
database, TLS trouble) becomes one :class:`~atsnb.errors.PBXConnectionError` sentence built from
names only, so the password never reaches output, logs or tracebacks.

Date and time columns are left as text by the driver (:data:`FAST_DECODERS`): pymysql's own
conversion builds one Python ``datetime`` per value, while pandas parses a whole column at once,
and text also lets the sync see — and report — impossible dates such as ``0000-00-00``.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pymysql
import pymysql.converters
from pymysql.constants import FIELD_TYPE

from atsnb.config import PBXSettings, Settings, apply_pbx_url
from atsnb.errors import ConfigError, PBXConnectionError
from atsnb.i18n import t

log = logging.getLogger(__name__)
T = TypeVar("T")

FAST_DECODERS = dict(pymysql.converters.conversions)  # encoders (type keys) + decoders (int keys)
for _type in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP, FIELD_TYPE.DATE, FIELD_TYPE.TIME):
    FAST_DECODERS[_type] = pymysql.converters.through

# Error numbers meaning "the connection is gone, try again" (client codes 2xxx, server shutdown/kill).
LOST_CONNECTION = frozenset({2003, 2006, 2013, 2055, 1053, 1927, 1317})


@dataclass(frozen=True)
class Endpoint:
    """Where the PBX database is, without the password (safe to print)."""

    host: str
    port: int
    user: str
    database: str

    def __str__(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


def effective_pbx(settings: Settings) -> PBXSettings:
    """The PBX settings with ``pbx.url`` (hosting "other") applied over the separate fields."""
    if not settings.pbx.url:
        return settings.pbx
    resolved = copy.deepcopy(settings)
    try:
        apply_pbx_url(resolved, settings.pbx.url)
    except ConfigError:
        raise ConfigError(t("sync.url_invalid")) from None
    return resolved.pbx


def endpoint(settings: Settings) -> Endpoint:
    pbx = effective_pbx(settings)
    return Endpoint(pbx.host, pbx.port, pbx.user, pbx.database)


def _ssl_context(pbx: PBXSettings) -> ssl.SSLContext | None:
    if not pbx.tls:
        return None
    try:
        ctx = ssl.create_default_context(cafile=pbx.tls_ca or None)
    except (OSError, ssl.SSLError):
        raise PBXConnectionError(t("sync.tls_ca_unreadable", path=pbx.tls_ca)) from None
    return ctx


def connect(settings: Settings, *, read_timeout_s: int | None = None) -> pymysql.Connection:
    """Open a read-only session on the PBX database, or raise one clear :class:`PBXConnectionError`."""
    pbx = effective_pbx(settings)
    where = Endpoint(pbx.host, pbx.port, pbx.user, pbx.database)
    try:
        con = pymysql.connect(
            host=pbx.host, port=pbx.port, user=pbx.user, password=pbx.password, database=pbx.database,
            charset="utf8mb4", autocommit=True, conv=FAST_DECODERS, ssl=_ssl_context(pbx),
            connect_timeout=pbx.connect_timeout_s, read_timeout=read_timeout_s or pbx.read_timeout_s,
            write_timeout=pbx.read_timeout_s,
        )
    except pymysql.err.MySQLError as exc:
        raise explain(exc, where) from None
    except (OSError, ssl.SSLError) as exc:  # TLS handshake problems surface as plain OSErrors
        raise PBXConnectionError(t("sync.conn_tls", where=where, reason=type(exc).__name__)) from None
    try:
        con.cursor().execute("SET SESSION TRANSACTION READ ONLY")
    except pymysql.err.MySQLError:
        log.debug("the server does not support read-only sessions; reading anyway")
    return con


def error_code(exc: BaseException) -> int | None:
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def is_lost_connection(exc: BaseException) -> bool:
    """True when ``exc`` means the connection dropped (worth reconnecting), not a wrong query."""
    if isinstance(exc, pymysql.err.InterfaceError):
        return True
    return isinstance(exc, pymysql.err.OperationalError) and error_code(exc) in LOST_CONNECTION


def explain(exc: BaseException, where: Endpoint) -> PBXConnectionError:
    """Turn a driver error into one sentence naming what is wrong (never the password)."""
    code = error_code(exc)
    text = str(exc.args[1]) if len(getattr(exc, "args", ())) > 1 else ""
    if code == 1045:
        return PBXConnectionError(t("sync.conn_denied", where=where))
    if code == 1044:
        return PBXConnectionError(t("sync.conn_db_denied", where=where))
    if code == 2026:
        return PBXConnectionError(t("sync.conn_tls_missing", where=where))
    if code == 1049:
        return PBXConnectionError(t("sync.conn_no_database", where=where))
    if code in {2003, 2005}:
        low = text.lower()
        if "name or service not known" in low or "nodename" in low or "errno -2" in low or "errno -3" in low:
            return PBXConnectionError(t("sync.conn_unknown_host", where=where))
        if "timed out" in low:
            return _transient(PBXConnectionError(t("sync.conn_timeout", where=where)))
        if "refused" in low:
            return _transient(PBXConnectionError(t("sync.conn_refused", where=where)))
        return _transient(PBXConnectionError(t("sync.conn_unreachable", where=where)))
    if code in LOST_CONNECTION:
        return _transient(PBXConnectionError(t("sync.conn_lost", where=where)))
    message = text.strip().rstrip(".") or type(exc).__name__  # server texts name user@host, never the password
    return PBXConnectionError(t("sync.conn_other", where=where, code=code if code is not None else "?",
                                message=message))


def _transient(exc: PBXConnectionError) -> PBXConnectionError:
    """Mark an error that may go away by itself (a restart, a network blip): worth a retry."""
    exc.transient = True  # type: ignore[attr-defined]
    return exc


class Reconnecting:
    """A PBX connection that survives drops: :meth:`run` retries a unit of work with backoff.

    The unit of work must be repeatable (a bounded, idempotent query): after a drop it runs again
    on a fresh connection, up to ``sync.retries`` times.  ``retries`` counts the reconnections
    made, for the sync report.  The very first connection is not retried: a wrong address or
    password should be told at once, not after a minute of backoff.
    """

    def __init__(self, settings: Settings, *, backoff_s: float = 1.0, max_backoff_s: float = 30.0):
        self.settings = settings
        self.where = endpoint(settings)
        self.attempts = max(0, settings.sync.retries) + 1
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.retries = 0
        self.con: pymysql.Connection | None = None
        self.connected = False

    def connection(self) -> pymysql.Connection:
        if self.con is None:
            self.con = connect(self.settings)
            self.connected = True
        return self.con

    def close(self) -> None:
        if self.con is not None:
            with contextlib.suppress(pymysql.err.Error, OSError):
                self.con.close()
            self.con = None

    def run(self, work: Callable[[pymysql.Connection], T]) -> T:
        delay = self.backoff_s
        attempt = 1
        while True:
            try:
                return work(self.connection())
            except (pymysql.err.MySQLError, PBXConnectionError) as exc:
                transient = getattr(exc, "transient", False) or is_lost_connection(exc)
                if not transient or not self.connected:
                    if isinstance(exc, PBXConnectionError):
                        raise
                    raise explain(exc, self.where) from None
                self.close()
                if attempt >= self.attempts:
                    raise PBXConnectionError(t("sync.conn_gave_up", where=self.where, n=self.retries)) from None
            self.retries += 1
            log.warning(t("sync.conn_retry", where=self.where, delay=f"{delay:.0f}", n=attempt,
                          total=self.attempts - 1))
            time.sleep(delay)
            delay = min(delay * 2, self.max_backoff_s)
            attempt += 1
