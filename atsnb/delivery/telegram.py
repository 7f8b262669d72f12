"""The Telegram channel: every missed client call announced once to each subscriber it concerns.

A missed call is an incoming (or forwarded) call from an outside number that nobody answered —
missed or dropped (docs/calls.md, ``status``).  Each active subscriber of a bot with a token
receives the calls that match its filters: its external ``lines`` and its ``last_targets`` (the
call's last number — ``last_target`` — or its last queue / ring group — ``group``); either empty
means all.  A subscriber with ``digest_min`` gets one message per that many minutes instead.
Calls that ended before the alerts first ran, before the chat subscribed, or longer ago than
``telegram.max_age_min`` are never announced: a first sync of a year of history floods nobody.

Exactly once: :class:`~atsnb.delivery.telegram_state.AlertState` (claimed → sent → marked) and
the store's delivery ledger; polite: :class:`~atsnb.delivery.telegram_api.Pacer`.  When the
client is reached later (docs/glossary.md, recovery) the alert is edited, or answered, with who
reached them and how fast (``telegram.follow_up``).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from atsnb.calls.reading import read_calls
from atsnb.config import Settings
from atsnb.delivery import telegram_text as text
from atsnb.delivery.channels import CHANNELS, Channel, Happenings, Message
from atsnb.delivery.telegram_api import (
    BotApi,
    ChatBlocked,
    ChatMigrated,
    Pacer,
    Stopped,
    TelegramError,
    TelegramUnreachable,
)
from atsnb.delivery.telegram_state import SENT, AlertState, Sent
from atsnb.i18n import t
from atsnb.metrics.recovery import missed_call_recovery, parse_windows
from atsnb.phone_numbers import normalize_numbers
from atsnb.store import Store
from atsnb.store.directories import is_missing

log = logging.getLogger(__name__)

STARTED_KEY = "telegram.alerts_started"
ERROR_KEY = "telegram.last_error"
ROUND_KEY = "telegram.last_round"
CALL_COLUMNS = ["call_id", "start", "end", "direction", "status", "external_number", "line", "last_target", "group",
                "wait_s", "primary", "answered_by", "employee"]
UNANSWERED = ["unanswered", "dropped"]
INBOUND = ("incoming", "mixed")
LONGEST_CALL = pd.Timedelta(hours=3)  # how long before its end a call may have started
FOLLOW_UP_EVERY_S = 30.0  # without new calls, recoveries are looked for this often


@dataclass(frozen=True)
class Pending:
    """What one message carries: the bot it goes through, its calls, their ends, its text."""

    bot: str
    call_ids: tuple[str, ...]
    ends: tuple[str, ...]
    text: str
    batch: str = ""


def split_list(value: object) -> list[str]:
    """A directory list cell (``"600, 601"``) as values."""
    if is_missing(value):
        return []
    return [part.strip() for part in str(value).replace(";", ",").split(",") if part.strip()]


def matching(calls: pd.DataFrame, subscriber: pd.Series) -> pd.Series:
    """Which ``calls`` a subscriber's filters let through (lines; last number or group)."""
    keep = pd.Series(True, index=calls.index)
    lines = split_list(subscriber.get("lines"))
    if lines:
        keep &= normalize_numbers(calls["line"].astype(str)).isin(lines).to_numpy()
    targets = split_list(subscriber.get("last_targets"))
    if targets:
        keep &= (calls["last_target"].astype(str).isin(targets) | calls["group"].astype(str).isin(targets)).to_numpy()
    return keep


def missed_calls(calls: pd.DataFrame) -> pd.DataFrame:
    """The client calls nobody answered: inbound, unanswered or dropped, from an outside number."""
    number = calls["external_number"].fillna("").astype(str)
    keep = calls["direction"].astype(str).isin(INBOUND) & calls["status"].astype(str).isin(UNANSWERED) & (number != "")
    return calls[keep]


@contextmanager
def stops_after_the_send(stop: threading.Event) -> Iterator[None]:
    """Ctrl+C or SIGTERM during a round, in a process that does not stop gracefully by itself (a
    plain ``atsnb sync``, which tells the channel of its new calls), ends the round once the message
    in flight is recorded, then takes effect as it would have — without this a message Telegram had
    accepted could be sent again.  Where the signals have handlers of their own (``atsnb alerts
    run``, ``--alerts``), and off the main thread, nothing changes."""
    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}
    if threading.current_thread() is not threading.main_thread() or any(
            signal.getsignal(signum) is not default for signum, default in defaults.items()):
        yield
        return
    caught: list[int] = []

    def handler(signum, frame):  # noqa: ARG001 — the signal module's signature
        caught.append(signum)
        stop.set()

    for signum in defaults:
        signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, default in defaults.items():
            signal.signal(signum, default)
        if caught:
            stop.clear()
            signal.raise_signal(caught[0])


class TelegramChannel(Channel):
    name = "telegram"

    def __init__(self, settings: Settings, store: Store, *, pacer: Pacer | None = None):
        super().__init__(settings, store)
        self.catalog = store.catalog
        self.state = AlertState(self.catalog)
        self.stop = pacer.stop if pacer is not None else threading.Event()
        self.pacer = pacer or Pacer(stop=self.stop)
        self._apis: dict[str, BotApi] = {}
        self._followed_at = -FOLLOW_UP_EVERY_S

    # -- who and through what --------------------------------------------------------------------
    def api(self, bot: str) -> BotApi:
        """The Bot API of ``bot`` (its token read from the catalog, kept in this object only)."""
        if bot not in self._apis:
            bots = self.catalog.read("telegram_bots")
            token = bots.loc[bots["name"] == bot, "token"]
            if token.empty or is_missing(token.iloc[0]) or not str(token.iloc[0]):
                raise TelegramError(t("tg.no_token", bot=bot))
            tg = self.settings.telegram
            self._apis[bot] = BotApi(tg.api_url, str(token.iloc[0]), timeout_s=tg.timeout_s, retries=tg.retries,
                                     pacer=self.pacer)
        return self._apis[bot]

    def subscribers(self) -> pd.DataFrame:
        """Active subscribers of bots that have a token."""
        subs = self.catalog.read("telegram_subscribers")
        if subs.empty:
            return subs
        bots = self.catalog.read("telegram_bots")
        with_token = set(bots.loc[bots["token"].fillna("").astype(str) != "", "name"])
        return subs[(subs["active"].fillna(1) == 1).to_numpy() & subs["bot"].isin(with_token).to_numpy()]

    def names(self) -> text.Names:
        def as_dict(name: str, key: str) -> dict[str, str]:
            df = self.catalog.read(name)
            df = df[df["name"].notna() & (df["name"].astype(str) != "")]
            return dict(zip(df[key].astype(str), df["name"].astype(str), strict=True))

        return text.Names(as_dict("partners", "number"), as_dict("lines", "number"), as_dict("employees", "extension"))

    def started(self, now: pd.Timestamp) -> pd.Timestamp:
        """When the alerts first ran on this store (now, the first time asked)."""
        value = self.catalog.get_state(STARTED_KEY)
        if value is None:
            self.catalog.set_state(STARTED_KEY, now.isoformat())
            return now
        return pd.Timestamp(value).tz_convert(now.tz)

    # -- what is due -----------------------------------------------------------------------------
    def due(self, happenings: Happenings) -> Iterator[Message]:
        now = happenings.now
        started = self.started(now)  # the first time the channel is told anything: alerts start
        subs = self.subscribers()
        if subs.empty:
            return
        floor = max(started, now - pd.Timedelta(minutes=self.settings.telegram.max_age_min))
        calls = read_calls(self.store, self.settings, floor - LONGEST_CALL, now + pd.Timedelta(minutes=1),
                           CALL_COLUMNS, where=[("status", "in", UNANSWERED)], categorical=False)
        calls = missed_calls(calls)
        calls = calls[calls["end"] >= floor].sort_values(["end", "call_id"])
        if calls.empty:
            return
        done_pairs = self.state.done(floor)
        names, public_url = self.names(), self.settings.ui.public_url
        due: list[tuple[str, Message]] = []  # oldest call first, each to every chat in turn
        for _, sub in subs.iterrows():
            chat = str(sub["chat_id"])
            since = self.state.since(chat, now)
            mine = calls[matching(calls, sub).to_numpy() & (calls["end"] >= since).to_numpy()]
            mine = mine[[(c, chat) not in done_pairs for c in mine["call_id"]]]
            if mine.empty:
                continue
            digest_min = int(sub["digest_min"]) if not is_missing(sub.get("digest_min")) else 0
            if digest_min > 0:
                due += self._digests(mine, sub, digest_min, now, names, public_url)
                continue
            for _, call in mine.iterrows():
                call_id = str(call["call_id"])
                due.append((call["end"].isoformat(), Message(f"call:{call_id}", chat, Pending(
                    str(sub["bot"]), (call_id,), (call["end"].isoformat(),), text.alert(call, names, public_url)))))
        for _, message in sorted(due, key=lambda pair: pair[0]):
            yield message

    def _digests(self, calls: pd.DataFrame, sub: pd.Series, minutes: int, now: pd.Timestamp, names: text.Names,
                 public_url: str) -> Iterator[tuple[str, Message]]:
        """One message per closed window of ``minutes`` (windows aligned to the hour's start), with
        the moment it closed."""
        window = calls["end"].dt.floor(f"{minutes}min")
        for start, group in calls.groupby(window, sort=True):
            closed = start + pd.Timedelta(minutes=minutes)
            if now < closed:
                continue  # the window is still open
            ids = tuple(group["call_id"].astype(str))
            batch = f"digest:{start.isoformat()}:{ids[0]}"
            yield closed.isoformat(), Message(batch, str(sub["chat_id"]), Pending(
                str(sub["bot"]), ids, tuple(e.isoformat() for e in group["end"]),
                text.digest(group, names, public_url, minutes), batch))

    # -- sending ---------------------------------------------------------------------------------
    def send(self, message: Message) -> str:
        """Claim, send, note as sent; empty when the message is not this process's to send (claimed
        elsewhere) or cannot go (the chat blocked the bot or moved)."""
        pending: Pending = message.content  # type: ignore[assignment]
        chat, now = message.recipient, self._now()
        ids = list(pending.call_ids)
        mine = self.state.claim(ids, chat, pending.bot, pending.batch, list(pending.ends), now)
        if len(mine) != len(ids):
            self.state.release(mine, chat)
            return ""
        try:
            message_id = self.api(pending.bot).send_message(chat, pending.text)
        except ChatBlocked as exc:
            self.state.release(ids, chat)
            self.deactivate(chat, exc.description, now)
            return ""
        except ChatMigrated as exc:
            self.state.release(ids, chat)
            self.migrate(chat, str(exc.new_chat_id))
            return ""
        except BaseException:
            self.state.release(ids, chat)
            raise
        self.state.sent(ids, chat, message_id, pending.text, now)
        return f"message {message_id}"

    def deliver(self, happenings: Happenings) -> list[Message]:
        """Send every due alert not sent before: claim, send, record in the ledger, mark.  Network
        trouble ends the round (logged; ``atsnb telegram status`` shows it) — the next round resumes."""
        self._clock_now = happenings.now
        delivered: list[Message] = []
        with stops_after_the_send(self.stop):
            try:
                self._finish_sent()
                for message in self.due(happenings):
                    if self.stop.is_set():
                        break
                    pending: Pending = message.content  # type: ignore[assignment]
                    if self.ledger.sent(self.name, message.key, message.recipient):
                        self.state.mark(list(pending.call_ids), message.recipient)
                        continue
                    note = self.send(message)
                    if note:
                        self._record(message.key, pending.call_ids, message.recipient, note)
                        delivered.append(message)
                self.follow_up(happenings)
            except Stopped:
                pass
            except TelegramError as exc:
                log.error("%s", exc)
                self.catalog.set_state(ERROR_KEY, f"{happenings.now.isoformat()} {exc}")
        return delivered

    def _record(self, key: str, call_ids: tuple[str, ...], chat: str, note: str) -> None:
        now = self._now()
        for call_id in call_ids:
            self.ledger.record(self.name, f"call:{call_id}", chat, now, note)
        if not key.startswith("call:"):
            self.ledger.record(self.name, key, chat, now, note)
        self.state.mark(list(call_ids), chat)

    def _finish_sent(self) -> None:
        """Messages Telegram accepted before a restart but not yet in the ledger: recorded, not resent."""
        for _, row in self.state.states(state=SENT).iterrows():
            self._record(f"call:{row['call_id']}", (str(row["call_id"]),), str(row["chat_id"]),
                         f"message {row['message_id']}")

    def _now(self) -> pd.Timestamp:
        return getattr(self, "_clock_now", None) or pd.Timestamp.now(tz=self.settings.tz)

    # -- the chat's side -------------------------------------------------------------------------
    def deactivate(self, chat: str, reason: str, now: pd.Timestamp) -> None:
        """Telegram answered 403 (the user blocked the bot): no more alerts to this chat."""
        subs = self.catalog.read("telegram_subscribers")
        row = subs[subs["chat_id"].astype(str) == chat]
        if not row.empty:
            self.catalog.upsert("telegram_subscribers", row.assign(active=0))
        self.state.blocked(chat, now, reason)
        log.warning("%s", t("tg.deactivated", chat=chat, reason=reason))

    def migrate(self, old: str, new: str) -> None:
        """The group became a supergroup: the subscriber (filters and all) follows it to its new id."""
        subs = self.catalog.read("telegram_subscribers")
        row = subs[subs["chat_id"].astype(str) == old]
        if not row.empty and not (subs["chat_id"].astype(str) == new).any():
            self.catalog.upsert("telegram_subscribers", row.assign(chat_id=new))
        self.catalog.delete("telegram_subscribers", pd.DataFrame({"chat_id": [old]}))
        self.state.move_chat(old, new)
        log.info("%s", t("tg.chat_moved", old=old, new=new))

    # -- follow-ups ------------------------------------------------------------------------------
    def follow_up(self, happenings: Happenings) -> None:
        """Edit (or answer) the alerts whose client was reached again, or whose call turned out
        answered once all its records were in."""
        mode = self.settings.telegram.follow_up
        if mode == "off":
            return
        if happenings.calls_since is None and time.monotonic() - self._followed_at < FOLLOW_UP_EVERY_S:
            return
        self._followed_at = time.monotonic()
        now = happenings.now
        horizon = max(parse_windows(self.settings.thresholds.recovery_windows_min) or (1440,))
        waiting = self.state.awaiting_follow_up(now - pd.Timedelta(minutes=horizon))
        if not waiting:
            return
        first_end = min(w.call_end for w in waiting).tz_convert(now.tz)
        calls = read_calls(self.store, self.settings, first_end - LONGEST_CALL, now + pd.Timedelta(minutes=1),
                           CALL_COLUMNS, categorical=False)
        if calls.empty:
            return
        by_id = calls.drop_duplicates("call_id", keep="last").set_index("call_id")
        recovery = missed_call_recovery(calls).drop_duplicates("call_id", keep="last").set_index("call_id")
        names = self.names()
        for sent in waiting:
            if self.stop.is_set():
                return
            if sent.call_id in by_id.index and by_id.loc[sent.call_id, "status"] == "answered":
                note = text.answered_after_all(by_id.loc[sent.call_id], names)
            elif sent.call_id in recovery.index and bool(recovery.loc[sent.call_id, "recovered"]):
                note = text.recovered(recovery.loc[sent.call_id], names)
            else:
                continue
            self._follow(sent, note, mode)

    def _follow(self, sent: Sent, note: str, mode: str) -> None:
        if not self.state.follow(sent.call_id, sent.chat_id, "claimed"):
            return
        try:
            api = self.api(sent.bot)
            if mode == "edit" and not sent.batch:
                try:
                    api.edit_message(sent.chat_id, sent.message_id, f"{sent.text}\n\n{note}")
                except TelegramError as exc:
                    if isinstance(exc, TelegramUnreachable):
                        raise
                    api.send_message(sent.chat_id, note, reply_to=sent.message_id)
            else:
                api.send_message(sent.chat_id, note, reply_to=sent.message_id)
        except ChatBlocked as exc:
            self.deactivate(sent.chat_id, exc.description, self._now())
        except BaseException:
            self.state.followed(sent.call_id, sent.chat_id, done=False)
            raise
        self.state.followed(sent.call_id, sent.chat_id, done=True)
        self.ledger.record(self.name, f"recovered:{sent.call_id}", sent.chat_id, self._now(), "")

    # -- /status ---------------------------------------------------------------------------------
    def status_text(self, chat: str, now: pd.Timestamp) -> str:
        """Today's missed and recovered calls within the chat's filters."""
        day = now.normalize()
        calls = read_calls(self.store, self.settings, day, now + pd.Timedelta(minutes=1), CALL_COLUMNS,
                           categorical=False)
        subs = self.catalog.read("telegram_subscribers")
        sub = subs[subs["chat_id"].astype(str) == chat]
        if not calls.empty and not sub.empty:
            missed = missed_calls(calls)
            missed = missed[matching(missed, sub.iloc[0]).to_numpy()]
            recovery = missed_call_recovery(calls)
            recovered = int(recovery[recovery["call_id"].isin(missed["call_id"])]["recovered"].sum())
            return text.status(len(missed), recovered, day)
        return text.status(0, 0, day)

    def close(self) -> None:
        for api in self._apis.values():
            api.close()
        self._apis.clear()


CHANNELS.register("telegram", TelegramChannel)
