"""Delivery channels: how figures leave atsnb by themselves — mailed report snapshots, Telegram
alerts, the wall-board.

Every channel has the same shape, so the composition root (:class:`atsnb.composition.Context`) runs
them alike and a new one is one class plus one :meth:`ChannelRegistry.register` line:

* it is **configured** from the settings and the directories it reads (its bots, subscribers,
  mailings, monitors), when it is built from the store;
* it is **told** what happened — new or re-derived calls since a moment, and the time now (reports
  that fell due) — and answers with the :class:`Message` objects it would send (:meth:`Channel.due`);
* the fixed procedure :meth:`Channel.deliver` sends each message not sent before and **records** it
  in the store's :class:`~atsnb.store.ledger.DeliveryLedger`: nothing twice, also across restarts.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from atsnb.config import Settings
from atsnb.registry import Registry
from atsnb.store import Store
from atsnb.store.ledger import DeliveryLedger


@dataclass(frozen=True)
class Message:
    """One thing a channel delivers to one recipient.  ``key`` names what is delivered, the same
    on every run (``call:<call_id>``, ``mailing:<name>@<due time>``), so the ledger recognises it;
    ``content`` is the channel's own (a text, a rendered snapshot)."""

    key: str
    recipient: str
    content: object = None


@dataclass(frozen=True)
class Happenings:
    """What a channel is told: ``now``, and when a sync re-derived calls, the earliest start time
    among them (``calls_since``, in the PBX's zone; None when no call changed)."""

    now: pd.Timestamp
    calls_since: pd.Timestamp | None = None


class Channel(ABC):
    """A delivery channel.  Subclasses set :attr:`name` and fill :meth:`due` and :meth:`send`."""

    name: ClassVar[str]

    def __init__(self, settings: Settings, store: Store):
        self.settings = settings
        self.store = store
        self.ledger = DeliveryLedger(store.catalog)

    @abstractmethod
    def due(self, happenings: Happenings) -> Iterable[Message]:
        """The messages the channel would send after ``happenings`` (sent ones are skipped later)."""

    @abstractmethod
    def send(self, message: Message) -> str:
        """Send one message; returns a short note for the ledger (e.g. the remote message id).
        Raises :class:`~atsnb.errors.AtsnbError` with a sentence a user understands on failure."""

    def deliver(self, happenings: Happenings) -> list[Message]:
        """Send every due message not sent before, recording each; returns those sent now."""
        sent = []
        for message in self.due(happenings):
            if self.ledger.sent(self.name, message.key, message.recipient):
                continue
            note = self.send(message)
            self.ledger.record(self.name, message.key, message.recipient, happenings.now, note)
            sent.append(message)
        return sent


ChannelFactory = Callable[[Settings, Store], Channel]


class ChannelRegistry(Registry[ChannelFactory]):
    """Channel classes (or factories) by name, in the order they were registered."""

    def __init__(self) -> None:
        super().__init__("delivery channel")

    def register(self, name: str, factory: ChannelFactory) -> ChannelFactory:
        return self.add(name, factory)


# mail, Telegram and the wall-board register here as they arrive
CHANNELS = ChannelRegistry()
