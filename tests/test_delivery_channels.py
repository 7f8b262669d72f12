"""The shape delivery channels plug into: a channel registered in a registry is told by the
composition root what a sync brought, sends each message once, and the store's ledger remembers
it across restarts and a second process."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb.calls import load_calls
from atsnb.composition import Context
from atsnb.delivery.channels import Channel, ChannelRegistry, Happenings, Message
from atsnb.errors import AtsnbError
from atsnb.store import Store
from atsnb.store.ledger import DeliveryLedger
from tests.pbx_rows import create_pbx, insert, leg, settings_for

SENT: list[tuple[str, str]] = []


class Wallboard(Channel):
    """A channel as the monitor or Telegram will be: one message per new incoming call to each of
    two rooms (what it sends goes to a list the test reads)."""

    name = "wallboard"

    def due(self, happenings: Happenings):
        if happenings.calls_since is None:
            return
        calls = load_calls(happenings.calls_since, happenings.now + pd.Timedelta(days=1), store=self.store,
                           settings=self.settings)
        for call_id in calls["call_id"]:
            for room in ("hall", "office"):
                yield Message(f"call:{call_id}", room, f"call {call_id}")

    def send(self, message: Message) -> str:
        SENT.append((message.key, message.recipient))
        return f"#{len(SENT)}"


@pytest.fixture
def channels():
    SENT.clear()
    registry = ChannelRegistry()
    registry.register("wallboard", Wallboard)
    return registry


def test_a_sync_tells_the_channels_of_its_new_calls_and_nothing_is_sent_twice(pbx_db, store_path, channels):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", [leg(i, pd.Timestamp("2025-05-10 09:00") + pd.Timedelta(minutes=7 * i)) for i in range(1, 4)])
    settings = settings_for(server, db, store_path)
    clock = lambda: pd.Timestamp("2025-05-10 12:00", tz="Europe/Moscow")  # noqa: E731
    ctx = Context.from_settings(settings, channels=channels, clock=clock)

    assert ctx.sync().calls == 3
    assert len(SENT) == 6 and {room for _, room in SENT} == {"hall", "office"}
    ledger = DeliveryLedger(Store.open(store_path).catalog).read("wallboard")
    assert len(ledger) == 6 and ledger["detail"].tolist()[0] == "#1"

    insert(con, "cdr", [leg(10, pd.Timestamp("2025-05-10 11:00"))])
    restarted = Context.from_settings(settings_for(server, db, store_path), channels=channels, clock=clock)
    restarted.sync()  # a new process: told of the new call only, it sends that one
    assert len(SENT) == 8 and SENT[-1][0] == SENT[-2][0] != SENT[0][0]
    # told of the whole day, it names every call again: the ledger lets none go out twice
    assert restarted.deliver(Happenings(now=clock(), calls_since=pd.Timestamp("2025-05-10", tz="Europe/Moscow"))) \
        == {"wallboard": []}


def test_the_ledger_records_a_message_once_whoever_records_it(store_path):
    first, second = DeliveryLedger(Store.open(store_path).catalog), DeliveryLedger(Store.open(store_path).catalog)
    at = pd.Timestamp("2025-05-10 12:00", tz="Europe/Moscow")
    assert first.record("mail", "mailing:daily@2025-05-10", "boss@example.com", at)
    assert not second.record("mail", "mailing:daily@2025-05-10", "boss@example.com", at)
    assert second.sent("mail", "mailing:daily@2025-05-10", "boss@example.com")
    assert not second.sent("mail", "mailing:daily@2025-05-10", "deputy@example.com")


def test_an_unknown_channel_is_named_with_the_known_ones(channels):
    with pytest.raises(AtsnbError, match="no delivery channel named 'fax'.*wallboard"):
        channels["fax"]
    with pytest.raises(ValueError, match="registered already"):
        channels.register("wallboard", Wallboard)
