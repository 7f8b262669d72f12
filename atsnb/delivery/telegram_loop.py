"""The alert loop: bots added, chats subscribed by ``/start``, and every round the due alerts sent.

* :func:`add_bot` checks a token with ``getMe`` before storing it (with the bot's name and
  username) in the catalog — the only place a token is kept;
* :func:`read_updates` reads what people wrote to a bot with ``getUpdates``: ``/start`` makes the
  chat a subscriber, ``/stop`` unsubscribes it, ``/status`` is answered with today's missed and
  recovered calls, a group that became a supergroup is followed to its new id.  The offset of the
  last update handled is stored after each one, so nothing is read twice (Telegram keeps unread
  updates for 24 hours);
* :class:`AlertLoop` runs rounds — updates, then the channel's alerts and follow-ups — every
  ``telegram.poll_s`` seconds until told to stop (``atsnb alerts run``, ``atsnb sync --follow
  --alerts``); a stop lets the message in flight finish and be recorded.
"""

from __future__ import annotations

import contextlib
import html
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from atsnb.config import Settings
from atsnb.delivery.channels import Happenings
from atsnb.delivery.telegram import ROUND_KEY, TelegramChannel
from atsnb.delivery.telegram_api import BotApi, ChatBlocked, Stopped, TelegramError
from atsnb.errors import InputError
from atsnb.i18n import t
from atsnb.store.directories import Catalog, is_missing

log = logging.getLogger(__name__)


def offset_key(bot: str) -> str:
    return f"telegram.offset.{bot}"


def add_bot(catalog: Catalog, settings: Settings, name: str, token: str) -> dict[str, str]:
    """Check ``token`` with ``getMe`` and store the bot as ``name``; its name and username.
    A rejected token stores nothing (:class:`~atsnb.delivery.telegram_api.TokenRejected`)."""
    token = token.strip()
    if not name.strip():
        raise InputError(t("tg.bot_name_empty"))
    if not token:
        raise InputError(t("tg.token_empty"))
    api = BotApi(settings.telegram.api_url, token, timeout_s=settings.telegram.timeout_s,
                 retries=settings.telegram.retries)
    try:
        me = api.get_me()
    finally:
        api.close()
    username = str(me.get("username") or "")
    catalog.upsert("telegram_bots", pd.DataFrame([{"name": name.strip(), "token": token, "username": username}]))
    return {"name": name.strip(), "first_name": str(me.get("first_name") or ""), "username": username}


def _chat_name(chat: dict) -> str:
    if chat.get("title"):
        return str(chat["title"])
    person = " ".join(str(chat[k]) for k in ("first_name", "last_name") if chat.get(k))
    return person or (f"@{chat['username']}" if chat.get("username") else str(chat.get("id", "")))


@dataclass
class UpdatesRead:
    """What one ``getUpdates`` brought."""

    updates: int = 0
    subscribed: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    moved: list[tuple[str, str]] = field(default_factory=list)


def read_updates(channel: TelegramChannel, bot: str, now: pd.Timestamp) -> UpdatesRead:
    """Handle every update ``bot`` has for us, storing the offset after each."""
    catalog, api = channel.catalog, channel.api(bot)
    channel.started(now)  # the alerts run from the first time anything of them ran
    offset = int(catalog.get_state(offset_key(bot)) or 0)
    done = UpdatesRead()
    for update in api.get_updates(offset or None):
        message = update.get("message") or update.get("channel_post") or {}
        chat = message.get("chat") or {}
        if chat.get("id") is not None:
            _handle(channel, api, bot, message, str(chat["id"]), chat, now, done)
        done.updates += 1
        catalog.set_state(offset_key(bot), str(int(update["update_id"]) + 1))
    return done


def _handle(channel: TelegramChannel, api: BotApi, bot: str, message: dict, chat_id: str, chat: dict,
            now: pd.Timestamp, done: UpdatesRead) -> None:
    catalog = channel.catalog
    if message.get("migrate_to_chat_id"):
        new = str(message["migrate_to_chat_id"])
        channel.migrate(chat_id, new)
        done.moved.append((chat_id, new))
        return
    words = str(message.get("text") or "").split()
    command = words[0].split("@")[0].lower() if words and words[0].startswith("/") else ""
    subs = catalog.read("telegram_subscribers")
    row = subs[subs["chat_id"].astype(str) == chat_id]
    if command == "/start":
        if row.empty:
            row = pd.DataFrame([{"chat_id": chat_id, "bot": bot, "name": _chat_name(chat), "active": 1}])
        elif row["active"].iloc[0] == 1 and row["bot"].iloc[0] == bot:
            _reply(api, chat_id, t("tg.already"))
            return
        catalog.upsert("telegram_subscribers", row.assign(bot=bot, active=1))
        channel.state.subscribed(chat_id, now)
        done.subscribed.append(chat_id)
        _reply(api, chat_id, t("tg.welcome", name=html.escape(_chat_name(chat))))
    elif command == "/stop":
        if not row.empty:
            catalog.upsert("telegram_subscribers", row.assign(active=0))
        done.stopped.append(chat_id)
        _reply(api, chat_id, t("tg.goodbye"))
    elif command == "/status":
        _reply(api, chat_id, channel.status_text(chat_id, now) if not row.empty and row["active"].iloc[0] == 1
               else t("tg.not_subscribed"))
    elif command:
        _reply(api, chat_id, t("tg.help"))


def _reply(api: BotApi, chat_id: str, text: str) -> None:
    with contextlib.suppress(ChatBlocked):  # the chat wrote and then blocked the bot: nothing to answer
        api.send_message(chat_id, text)


class AlertLoop:
    """Rounds of updates and alerts over one channel until ``stop`` is set."""

    def __init__(self, channel: TelegramChannel, now: Callable[[], pd.Timestamp]):
        self.channel, self.now = channel, now
        self.stop: threading.Event = channel.stop

    def bots(self) -> list[str]:
        bots = self.channel.catalog.read("telegram_bots")
        return [str(b) for b, token in zip(bots["name"], bots["token"], strict=True)
                if not is_missing(token) and str(token)]

    def round(self, calls_since: pd.Timestamp | None = None) -> int:
        """Updates of every bot, then the due alerts; how many messages went out."""
        now = self.now()
        for bot in self.bots():
            if self.stop.is_set():
                return 0
            try:
                read_updates(self.channel, bot, now)
            except Stopped:
                return 0
            except TelegramError as exc:  # one bot's trouble does not hold the others' alerts
                log.error("%s: %s", bot, exc)
                self.channel.catalog.set_state("telegram.last_error", f"{now.isoformat()} {bot}: {exc}")
        sent = self.channel.deliver(Happenings(now=now, calls_since=calls_since))
        self.channel.catalog.set_state(ROUND_KEY, now.isoformat())
        return len(sent)

    def run(self, interval_s: float, rounds: int | None = None) -> None:
        """Rounds every ``interval_s`` seconds until stopped (or ``rounds`` rounds)."""
        done = 0
        while not self.stop.is_set() and (rounds is None or done < rounds):
            self.round()
            done += 1
            self.stop.wait(max(0.05, interval_s))
