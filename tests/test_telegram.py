"""Telegram alerts against a fake Bot API on loopback: the real client, the real store, real calls
synced from a real MariaDB.  A bot's token is checked and kept secret, /start subscribes, each
missed call reaches each matching subscriber once — through 429 storms, blocked chats, moved
groups and fifty restarts."""

from __future__ import annotations

import logging
import random
import threading
from pathlib import Path
from time import monotonic

import pandas as pd
import pytest

from atsnb.cli import main
from atsnb.composition import Context
from atsnb.delivery.channels import ChannelRegistry
from atsnb.delivery.telegram import TelegramChannel
from atsnb.delivery.telegram_api import Pacer, TokenRejected
from atsnb.delivery.telegram_loop import AlertLoop, add_bot, read_updates
from atsnb.store import Store
from atsnb.store.ledger import DeliveryLedger
from tests.pbx_rows import create_pbx, insert, leg, settings_for
from tests.support.fake_bot_api import FakeBotApi

TOKEN = "123456:AAE-SECRET_token_value_xyz"
TZ = "Europe/Moscow"
LINE_A, LINE_B = "74951112233", "74951112244"


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


class Clock:
    """The store's "now", moved by the test."""

    def __init__(self, now: str):
        self.now = at(now)

    def __call__(self) -> pd.Timestamp:
        return self.now


class VirtualTime:
    """The pacer's monotonic clock and sleep: waits pass at once, and are added up."""

    def __init__(self) -> None:
        self.t = 0.0

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def missed(n: int, when: str, ext: str, line: str, src: str) -> dict:
    return leg(n, when, src=src, did=line, dst=ext, dstchannel=f"PJSIP/{ext}-{n:08x}", lastdata=f"PJSIP/{ext}",
               disposition="NO ANSWER", billsec=0, duration=25)


@pytest.fixture
def fake():
    with FakeBotApi() as api:
        api.add_bot(TOKEN)
        yield api


@pytest.fixture
def pbx(pbx_db, store_path, fake):
    """A PBX database whose calls the test writes, settings aimed at it and at the fake Bot API."""
    server, db = pbx_db
    con = create_pbx(server, db)
    settings = settings_for(server, db, store_path, ATSNB_TELEGRAM_API_URL=fake.url,
                            ATSNB_UI_PUBLIC_URL="https://calls.example.ru/")
    return con, settings


def context(settings, clock) -> Context:
    registry = ChannelRegistry()
    registry.register("telegram", TelegramChannel)
    return Context.from_settings(settings, clock=clock, channels=registry)


def subscribe(ctx: Context, fake: FakeBotApi, *chats: int, **filters: str) -> TelegramChannel:
    """The bot added, the chats written /start, the updates read; filters per chat as ``c<id>=lines|targets``."""
    add_bot(ctx.directories, ctx.settings, "alerts", TOKEN)
    for chat in chats:
        fake.write(TOKEN, chat, "/start", first_name=f"Chat {chat}")
    channel = ctx.channel("telegram")
    read_updates(channel, "alerts", ctx.now())
    subs = ctx.directories.read("telegram_subscribers")
    for key, value in filters.items():
        lines, _, targets = value.partition("|")
        row = subs[subs["chat_id"].astype(str) == key[1:]]
        ctx.directories.upsert("telegram_subscribers", row.assign(lines=lines or None, last_targets=targets or None))
    return channel


def welcome_count(fake: FakeBotApi) -> int:
    return sum(1 for s in fake.sent if "/stop" in s.text)


def alerts(fake: FakeBotApi, chat: int) -> list:
    return [s for s in fake.to(chat) if "/stop" not in s.text and "/start" not in s.text]


# -- bots ---------------------------------------------------------------------------------------

def test_a_bot_is_added_with_its_checked_token_and_a_wrong_one_stores_nothing(store_path, fake, capsys, caplog,
                                                                               monkeypatch):
    monkeypatch.setenv("ATSNB_STORE", str(store_path))
    monkeypatch.setenv("ATSNB_TELEGRAM_API_URL", fake.url)
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("ATSNB_TELEGRAM_TOKEN", "999:WRONG-token")
    assert main(["-v", "telegram", "add-bot", "alerts"]) == 2
    assert "Telegram rejected the token" in capsys.readouterr().err
    assert Store.open(store_path).catalog.read("telegram_bots").empty

    monkeypatch.setenv("ATSNB_TELEGRAM_TOKEN", TOKEN)
    assert main(["-v", "telegram", "add-bot", "alerts"]) == 0
    bots = Store.open(store_path).catalog.read("telegram_bots")
    assert bots[["name", "token", "username"]].values.tolist() == [["alerts", TOKEN, "company_alerts_bot"]]
    fake.write(TOKEN, 42, "/start", first_name="Анна")
    monkeypatch.delenv("ATSNB_TELEGRAM_TOKEN")
    for argv in (["-v", "alerts", "once"], ["telegram", "status"], ["telegram", "subscribers"], ["config"],
                 ["directory", "show", "telegram_bots"], ["directory", "export", "telegram_bots",
                                                          str(store_path / "bots.csv")]):
        assert main(argv) == 0
    out = capsys.readouterr()
    assert "@company_alerts_bot" in out.out and "42" in out.out
    secret = TOKEN.split(":")[1]
    assert secret not in out.out + out.err + caplog.text
    files = [p for p in store_path.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
    assert {p.name for p in files} <= {"atsnb.sqlite", "atsnb.sqlite-wal"} and files  # only the catalog


def test_add_bot_raises_a_token_free_error(store_path, fake):
    store = Store.open(store_path)
    settings = Context.from_settings(settings_for_store(store_path, fake)).settings
    with pytest.raises(TokenRejected) as failure:
        add_bot(store.catalog, settings, "alerts", "777:ANOTHER-secret")
    assert "ANOTHER-secret" not in str(failure.value) and failure.value.__cause__ is None
    assert failure.value.__suppress_context__ or failure.value.__context__ is None


def settings_for_store(store_path: Path, fake: FakeBotApi):
    from atsnb.config import load_settings

    return load_settings(env={"ATSNB_STORE": str(store_path), "ATSNB_TELEGRAM_API_URL": fake.url})


# -- subscribers --------------------------------------------------------------------------------

def test_start_subscribes_stop_unsubscribes_status_answers_and_a_moved_group_is_followed(pbx, fake):
    con, settings = pbx
    clock = Clock("2025-05-10 10:00")
    insert(con, "cdr", [missed(1, "2025-05-10 10:30", "101", LINE_A, "89161234567"),
                        leg(2, "2025-05-10 10:40", src="89161234567")])  # called again: recovered
    ctx = context(settings, clock)
    channel = subscribe(ctx, fake, 42, -100)
    subs = ctx.directories.read("telegram_subscribers")
    assert sorted(subs["chat_id"].astype(str)) == ["-100", "42"] and set(subs["active"]) == {1}
    assert welcome_count(fake) == 2
    read_updates(channel, "alerts", clock())  # the offset is stored: nothing is read twice
    assert sorted(fake.returned[TOKEN]) == sorted(set(fake.returned[TOKEN]))

    clock.now = at("2025-05-10 12:00")
    ctx.sync()
    fake.write(TOKEN, 42, "/status")
    fake.write(TOKEN, -100, migrate_to=-1001234)
    read_updates(channel, "alerts", clock())
    assert "пропущено 1, перезвонили или дозвонились 1" in fake.to(42)[-1].text
    subs = ctx.directories.read("telegram_subscribers")
    assert sorted(subs["chat_id"].astype(str)) == ["-1001234", "42"]

    fake.write(TOKEN, 42, "/stop")
    read_updates(channel, "alerts", clock())
    subs = ctx.directories.read("telegram_subscribers").set_index("chat_id")
    assert subs.loc["42", "active"] == 0 and subs.loc["-1001234", "active"] == 1


# -- alerts -------------------------------------------------------------------------------------

def test_each_missed_call_reaches_the_matching_subscribers_once(pbx, fake):
    con, settings = pbx
    clock = Clock("2025-05-10 10:00")
    insert(con, "cdr", [missed(1, "2025-05-10 09:00", "101", LINE_A, "89160000001")])  # before the alerts
    ctx = context(settings, clock)
    ctx.sync()
    subscribe(ctx, fake, 1, 2, 3, 4, c2=f"{LINE_A}|", c3="|102", c4=f"{LINE_B}|101")
    ctx.directories.upsert("partners", pd.DataFrame([{"number": "79031234567", "name": "ООО «Ромашка»"}]))
    ctx.directories.upsert("lines", pd.DataFrame([{"number": LINE_A, "name": "Реклама"}]))
    before = len(fake.sent)

    insert(con, "cdr", [missed(10, "2025-05-10 11:00", "101", LINE_A, "89161234567"),
                        missed(11, "2025-05-10 11:05", "102", LINE_B, "89031234567"),
                        leg(12, "2025-05-10 11:10", src="89261234567")])  # answered: no alert
    clock.now = at("2025-05-10 11:06")
    ctx.sync()  # the channels are told of the new calls
    got = {chat: [s.text for s in alerts(fake, chat)] for chat in (1, 2, 3, 4)}
    assert [len(got[c]) for c in (1, 2, 3, 4)] == [2, 1, 1, 0], got
    assert "+7 916 123-45-67" in got[2][0] and "Реклама" in got[2][0] and "101" in got[2][0]
    assert "ООО «Ромашка»" in got[3][0] and "Первый звонок клиента" in got[3][0]
    assert "records.ipynb?call=1700000011.11" in got[3][0]
    assert len(fake.sent) - before == 4

    again = Context.from_settings(settings, clock=clock, channels=ctx.channels)  # a restarted process
    again.deliver()
    AlertLoop(again.channel("telegram"), clock).round()
    assert len(fake.sent) - before == 4
    ledger = DeliveryLedger(ctx.store.catalog).read("telegram")
    assert len(ledger[ledger["key"].str.startswith("call:")]) == 4


def test_a_recovery_edits_the_alert_and_a_digest_gathers_calls(pbx, fake):
    con, settings = pbx
    clock = Clock("2025-05-10 10:00")
    ctx = context(settings, clock)
    subscribe(ctx, fake, 1, 2)
    subs = ctx.directories.read("telegram_subscribers")
    ctx.directories.upsert("telegram_subscribers", subs[subs["chat_id"].astype(str) == "2"].assign(digest_min=15))
    ctx.directories.upsert("employees", pd.DataFrame([{"extension": "101", "name": "Иванова"}]))
    insert(con, "cdr", [missed(10, "2025-05-10 11:00", "101", LINE_A, "89161234567"),
                        missed(11, "2025-05-10 11:03", "101", LINE_A, "89161230000")])
    clock.now = at("2025-05-10 11:05")
    ctx.sync()
    assert len(alerts(fake, 1)) == 2 and alerts(fake, 2) == []  # the digest's window is open
    callback = leg(20, "2025-05-10 11:10", src="101", dst="89161234567", dcontext="from-internal",
                   channel=f"PJSIP/101-{20:08x}", dstchannel=f"PJSIP/trunk-{20:08x}", lastdata="PJSIP/89161234567@trunk",
                   did="")
    insert(con, "cdr", [callback])
    clock.now = at("2025-05-10 11:16")
    ctx.sync()
    first = alerts(fake, 1)[0]
    assert first.edits and "Перезвонил(а) Иванова через" in first.edits[-1]
    digest = [s for s in alerts(fake, 2) if not s.reply_to]
    assert len(digest) == 1 and "Пропущенные звонки за 15 мин: 2" in digest[0].text
    AlertLoop(ctx.channel("telegram"), clock).round()
    replies = [s for s in fake.to(2) if s.reply_to == digest[0].message_id]
    assert len(replies) == 1 and "Перезвонил(а) Иванова через 10 мин" in replies[0].text  # a digest is answered
    assert len(first.edits) == 1


def test_a_429_storm_delays_a_blocked_chat_is_deactivated_a_network_drop_is_retried(pbx, fake):
    con, settings = pbx
    clock = Clock("2025-05-10 10:00")
    time = VirtualTime()
    ctx = context(settings, clock)
    ctx._channels["telegram"] = TelegramChannel(ctx.settings, ctx.store, pacer=Pacer(time.clock, time.sleep))
    subscribe(ctx, fake, 1, 2, 3)
    insert(con, "cdr", [missed(10 + i, f"2025-05-10 11:0{i}", "101", LINE_A, f"8916123450{i}") for i in range(5)])
    clock.now = at("2025-05-10 11:30")
    fake.storm(8, retry_after=3)
    fake.block(3)
    fake.drop(2)
    ctx.sync()
    assert fake.throttled == 8 and time.t >= 3
    assert [len(alerts(fake, c)) for c in (1, 2, 3)] == [5, 5, 0]
    for chat in (1, 2):  # one a second per chat, whatever the storm
        assert len({s.text for s in alerts(fake, chat)}) == 5
    subs = ctx.directories.read("telegram_subscribers").set_index("chat_id")
    assert subs.loc["3", "active"] == 0
    status = ctx.channel("telegram").state.chats().set_index("chat_id")
    assert "blocked" in status.loc["3", "reason"]


def test_the_pacer_keeps_a_second_between_messages_to_a_chat(pbx, fake):
    con, settings = pbx
    clock = Clock("2025-05-10 10:00")
    ctx = context(settings, clock)
    subscribe(ctx, fake, 1, 2)
    insert(con, "cdr", [missed(10 + i, f"2025-05-10 11:0{i}", "101", LINE_A, f"8916123450{i}") for i in range(3)])
    clock.now = at("2025-05-10 11:30")
    ctx.sync()
    for chat in (1, 2):
        times = [s.at for s in alerts(fake, chat)]
        assert len(times) == 3 and min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.95
    mixed = sorted(s.at for s in fake.sent[-6:])
    assert mixed[-1] - mixed[0] < 3.5  # two chats in parallel, not one after the other


def test_fifty_restarts_at_random_moments_lose_and_repeat_nothing(pbx, fake):
    con, settings = pbx
    clock = Clock("2025-05-10 10:00")
    ctx = context(settings, clock)
    subscribe(ctx, fake, 1, 2, 3, c3="|102")
    insert(con, "cdr", [missed(100 + i, f"2025-05-10 11:{i:02d}", "101" if i % 2 else "102", LINE_A,
                               f"891612345{i:02d}") for i in range(30)])
    clock.now = at("2025-05-10 11:45")
    from atsnb.flow import sync_pbx

    sync_pbx(settings, store=ctx.store)  # the calls in the store; the loop finds them itself
    rng = random.Random(7)
    time = VirtualTime()
    fake.drop(5)
    for restart in range(50):
        channel = TelegramChannel(settings, Store.open(settings.store_path), pacer=Pacer(time.clock, time.sleep))
        loop = AlertLoop(channel, clock)
        runner = threading.Thread(target=loop.run, args=(0.01,))
        runner.start()
        # stops land everywhere: after one to three more messages (however slow the machine), a
        # random moment into the next round's work, or during a round with nothing left to send
        wanted = min(len(fake.sent) + rng.randint(1, 3), 75)
        deadline = monotonic() + 60
        while len(fake.sent) < wanted and monotonic() < deadline:
            loop.stop.wait(0.002)
        loop.stop.wait(rng.uniform(0, 0.05))
        loop.stop.set()
        runner.join(10)
        assert not runner.is_alive(), restart
        if restart == 25:
            fake.storm(4, retry_after=2)
    during = len(fake.sent)
    AlertLoop(TelegramChannel(settings, Store.open(settings.store_path), pacer=Pacer(time.clock, time.sleep)),
              clock).run(0.01, rounds=2)
    assert during > 40  # most went out while the loop was being stopped and started
    for chat, expected in ((1, 30), (2, 30), (3, 15)):
        texts = [s.text for s in alerts(fake, chat)]
        assert len(texts) == expected == len(set(texts)), chat
    states = TelegramChannel(settings, Store.open(settings.store_path)).state.states()
    assert len(states) == 75 and set(states["state"]) == {"marked"}
