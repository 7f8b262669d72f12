"""A small synchronous client of the Telegram Bot API — only what alerts need — that is polite and
keeps the token secret.

Polite: at most one message a second to a chat and thirty a second overall (Telegram's published
limits; beyond them it answers ``429``), a ``429`` waits its ``retry_after`` and tries again, and
network failures and Telegram's own ``5xx`` are retried with a doubling pause.  Every wait goes
through one ``sleep`` that a stop request can cut short (:class:`Stopped`), so a loop told to end
ends within a moment, never in the middle of a send.

Secret: the token is part of every request's address (``<api_url>/bot<token>/<method>``), so no
address is ever logged or put into an exception: httpx's own request log is turned down to
warnings, and every failure becomes a :class:`TelegramError` built from Telegram's answer or a
sentence of ours, with the underlying exception dropped (``from None``).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from atsnb.errors import AtsnbError
from atsnb.i18n import t

# httpx logs every request with its full address at INFO — the token is in that address
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

PER_CHAT_S = 1.0  # at most one message a second to one chat
GLOBAL_PER_S = 30  # at most thirty messages a second overall
MAX_TEXT = 4096  # Telegram's limit on a message's text


class TelegramError(AtsnbError):
    """Telegram refused a request; ``code`` and ``description`` are Telegram's (never the token)."""

    def __init__(self, sentence: str, code: int = 0, description: str = ""):
        super().__init__(sentence)
        self.code, self.description = code, description


class TokenRejected(TelegramError):
    """The token is not a bot's (401, or 404 for a malformed one)."""


class ChatBlocked(TelegramError):
    """403: the user blocked the bot, left the group, or never started it."""


class ChatMigrated(TelegramError):
    """The group became a supergroup with a new id (``new_chat_id``)."""

    def __init__(self, sentence: str, new_chat_id: int):
        super().__init__(sentence, 400)
        self.new_chat_id = new_chat_id


class TelegramUnreachable(TelegramError):
    """The Bot API did not answer after every retry (network, Telegram's own failures)."""


class Stopped(Exception):  # noqa: N818 — a request to end, not a failure
    """A wait was cut short because the loop was told to stop."""


class Pacer:
    """Telegram's rate limits kept by waiting: per chat, overall, and a pause after a ``429``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] | None = None,
                 stop: threading.Event | None = None):
        self.clock = clock
        self.stop = stop or threading.Event()
        self._sleep = sleep
        self.last: dict[str, float] = {}
        self.recent: collections.deque[float] = collections.deque(maxlen=GLOBAL_PER_S)
        self.paused_until = 0.0
        self.waited_s = 0.0

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``; :class:`Stopped` when a stop was asked for before or during it."""
        if self.stop.is_set():
            raise Stopped
        if seconds > 0:
            self.waited_s += seconds
            if self._sleep is not None:
                self._sleep(seconds)
            elif self.stop.wait(seconds):
                raise Stopped
        if self.stop.is_set():
            raise Stopped

    def pause(self, seconds: float) -> None:
        """Telegram said ``retry_after``: nothing goes out before it has passed."""
        self.paused_until = max(self.paused_until, self.clock() + seconds)

    def before_send(self, chat: str) -> None:
        """Wait until a message to ``chat`` keeps every limit, then count it as sent."""
        while True:
            now = self.clock()
            ready = max(self.paused_until, self.last.get(chat, -PER_CHAT_S) + PER_CHAT_S)
            if len(self.recent) == GLOBAL_PER_S:
                ready = max(ready, self.recent[0] + 1.0)
            if ready <= now:
                break
            self.sleep(ready - now)
        self.last[chat] = now
        self.recent.append(now)


class BotApi:
    """One bot's Bot API: ``BotApi(settings.telegram.api_url, token)``; ``repr`` hides the token."""

    def __init__(self, api_url: str, token: str, *, timeout_s: float = 20, retries: int = 5,
                 pacer: Pacer | None = None):
        import httpx  # a command that never talks to Telegram does not load it

        self._http = httpx.Client(base_url=f"{api_url.rstrip('/')}/bot{token}/", timeout=timeout_s)
        self._transport_errors = (httpx.TransportError,)
        self.retries = retries
        self.pacer = pacer or Pacer()

    def __repr__(self) -> str:
        return "BotApi(<token hidden>)"

    def close(self) -> None:
        self._http.close()

    # -- methods --------------------------------------------------------------------------------
    def get_me(self) -> dict[str, Any]:
        return self.call("getMe", {})

    def get_updates(self, offset: int | None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"timeout": 0, "allowed_updates": ["message", "channel_post"]}
        if offset:
            params["offset"] = offset
        return self.call("getUpdates", params)

    def send_message(self, chat_id: str, text: str, *, reply_to: int | None = None) -> int:
        """Send ``text`` (HTML) to ``chat_id``; the message's id."""
        params: dict[str, Any] = {"chat_id": int(chat_id), "text": clip(text), "parse_mode": "HTML",
                                  "disable_web_page_preview": True}
        if reply_to:
            params["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
        return int(self.call("sendMessage", params, chat=chat_id)["message_id"])

    def edit_message(self, chat_id: str, message_id: int, text: str) -> None:
        self.call("editMessageText", {"chat_id": int(chat_id), "message_id": message_id, "text": clip(text),
                                      "parse_mode": "HTML", "disable_web_page_preview": True}, chat=chat_id)

    # -- the one request path -------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any], *, chat: str | None = None) -> Any:
        """``method`` with ``params``; its result, or a :class:`TelegramError` (never the address)."""
        failures = 0
        while True:
            if chat is not None:
                self.pacer.before_send(chat)
            body = self._post(method, params)
            if body is None:  # no usable answer: the network or Telegram's own trouble
                failures += 1
                if failures > self.retries:
                    raise TelegramUnreachable(t("tg.unreachable", method=method, n=failures))
                self.pacer.sleep(min(60.0, 0.5 * 2 ** (failures - 1)))
                continue
            if body.get("ok"):
                return body.get("result")
            code = int(body.get("error_code") or 0)
            description = str(body.get("description") or "")
            extra = body.get("parameters") or {}
            if code == 429:
                self.pacer.pause(float(extra.get("retry_after") or 1))
                if chat is None:
                    self.pacer.sleep(float(extra.get("retry_after") or 1))
                continue
            if extra.get("migrate_to_chat_id"):
                raise ChatMigrated(t("tg.migrated", new=extra["migrate_to_chat_id"]), int(extra["migrate_to_chat_id"]))
            if code in (401, 404):
                raise TokenRejected(t("tg.token_rejected"), code, description)
            if code == 403:
                raise ChatBlocked(t("tg.blocked", description=description), code, description)
            if code >= 500:
                failures += 1
                if failures > self.retries:
                    raise TelegramUnreachable(t("tg.unreachable", method=method, n=failures), code, description)
                self.pacer.sleep(min(60.0, 0.5 * 2 ** (failures - 1)))
                continue
            raise TelegramError(t("tg.refused", method=method, code=code, description=description), code, description)

    def _post(self, method: str, params: dict[str, Any]) -> dict[str, Any] | None:
        """Telegram's answer as a dict, or None when there was none worth reading."""
        try:
            response = self._http.post(method, json=params)
        except self._transport_errors:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        return body if isinstance(body, dict) else None


def clip(text: str) -> str:
    """``text`` within Telegram's 4096 characters (a digest of a busy hour can be longer)."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
