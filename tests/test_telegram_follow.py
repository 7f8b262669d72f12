"""Telegram alerts end to end, in real time, with real processes: the simulator's ``--follow``
calling into a MariaDB PBX database, ``atsnb sync --follow --alerts`` at its default interval, the
fake Bot API on loopback.  A missed call reaches the subscribers whose filters it matches, once,
within a minute of its end; and ``atsnb sync --follow`` beside ``atsnb alerts run`` — two senders
on one store — sends nothing twice."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import unquote

import pandas as pd
import pytest

from atsnb.calls.reading import read_calls
from atsnb.composition import Context
from atsnb.delivery.telegram import CALL_COLUMNS, UNANSWERED, TelegramChannel, missed_calls
from atsnb.delivery.telegram_loop import AlertLoop, add_bot, read_updates
from atsnb.delivery.telegram_state import CLAIMED
from tests.pbx_rows import create_pbx, insert, leg, settings_for, sync_env
from tests.support.fake_bot_api import FakeBotApi
from tests.support.live_pbx import busy_zone, call_ends, start_follow, stop

TOKEN = "654321:AAF-follow_SECRET_token"
PUBLIC_URL = "https://calls.example.ru/"
PROMISE_S = 60  # an alert within a minute of the call's end
FEW = 2  # the test ends at the first few missed calls
CALL_LINK = re.compile(r"records\.ipynb\?call=([^\"&]+)")


@pytest.fixture
def fake():
    with FakeBotApi() as api:
        api.add_bot(TOKEN)
        yield api


def call_of(text: str) -> str:
    """The call an alert is about, from its link to the call's page."""
    found = CALL_LINK.search(text)
    assert found, text
    return unquote(found.group(1))


def alerts(fake: FakeBotApi, chat: int) -> list:
    """The alerts a chat received (not the bot's answers to /start), oldest first."""
    return [s for s in fake.to(chat) if CALL_LINK.search(s.text) and not s.reply_to]


def subscribe(ctx: Context, fake: FakeBotApi, chats: dict[int, str]) -> TelegramChannel:
    """The bot added, each chat's /start read, each chat's ``lines`` filter set (empty: all)."""
    add_bot(ctx.directories, ctx.settings, "alerts", TOKEN)
    for chat in chats:
        fake.write(TOKEN, chat, "/start", first_name=f"Chat {chat}")
    channel = ctx.channel("telegram")
    assert isinstance(channel, TelegramChannel)
    read_updates(channel, "alerts", ctx.now())
    subs = ctx.directories.read("telegram_subscribers")
    for chat, lines in chats.items():
        row = subs[subs["chat_id"].astype(str) == str(chat)]
        ctx.directories.upsert("telegram_subscribers", row.assign(lines=lines or None))
    return channel


def busiest_lines(server, db: str) -> list[str]:
    with server.connect(db) as con, con.cursor() as cur:
        cur.execute("SELECT did FROM cdr WHERE did <> '' GROUP BY did ORDER BY COUNT(*) DESC LIMIT 2")
        return [str(row[0]) for row in cur.fetchall()]


def test_a_simulated_missed_call_reaches_its_subscribers_once_within_a_minute_of_its_end(pbx_db, store_path, fake):
    server, db = pbx_db
    zone, per_day = busy_zone(per_hour=2000)
    env = sync_env(server, db, store_path, ATSNB_PBX_TIMEZONE=zone, ATSNB_TELEGRAM_API_URL=fake.url,
                   ATSNB_UI_PUBLIC_URL=PUBLIC_URL)
    follower = start_follow(server, db, env, per_day=per_day)
    syncer = None
    try:
        line_a, line_b = busiest_lines(server, db)
        settings = settings_for(server, db, store_path, ATSNB_PBX_TIMEZONE=zone, ATSNB_TELEGRAM_API_URL=fake.url,
                                ATSNB_UI_PUBLIC_URL=PUBLIC_URL)
        ctx = Context.from_settings(settings)
        channel = subscribe(ctx, fake, {1: "", 2: line_a, 3: line_b})
        since = channel.state.since("1", ctx.now())
        syncer = subprocess.Popen([sys.executable, "-m", "atsnb.cli", "sync", "--follow", "--alerts", "--no-progress"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 100  # two 30-second rounds at most, with room for a loaded machine
        while len(alerts(fake, 1)) < FEW and time.monotonic() < deadline and syncer.poll() is None:
            time.sleep(0.2)
        stop(follower)
        live = list(alerts(fake, 1))
        assert stop(syncer) == 0, syncer.stderr.read()[-3000:]
    finally:
        stop(follower)
        if syncer is not None:
            stop(syncer)
    assert len(live) >= FEW, f"{len(live)} alerts in 100 s"

    ends = call_ends(server, db, zone, [call_of(s.text) for s in live])
    delays = [s.at - ends[call_of(s.text)] for s in live]
    assert all(-1 <= d <= PROMISE_S for d in delays), delays  # the CDR keeps whole seconds

    AlertLoop(ctx.channel("telegram"), ctx.now).round()  # what the stop left unsent to the other chats
    calls = read_calls(ctx.store, settings, since - pd.Timedelta(hours=3), ctx.now() + pd.Timedelta(minutes=1),
                       CALL_COLUMNS, where=[("status", "in", UNANSWERED)], categorical=False)
    missed = missed_calls(calls)
    missed = missed[missed["end"] >= since].set_index("call_id")
    got = {chat: [call_of(s.text) for s in alerts(fake, chat)] for chat in (1, 2, 3)}
    for chat, ids in got.items():
        assert len(ids) == len(set(ids)), f"chat {chat} got a call twice"
    assert set(got[1]) == set(missed.index)
    assert set(got[2]) == set(missed.index[missed["line"] == line_a])
    assert set(got[3]) == set(missed.index[missed["line"] == line_b])


def missed_leg(n: int, start: pd.Timestamp, line: str) -> dict:
    return leg(n, start.tz_localize(None).floor("s"), src=f"8916{n:07d}", did=line, dst="101",
               dstchannel=f"PJSIP/101-{n:08x}", lastdata="PJSIP/101", disposition="NO ANSWER", billsec=0, duration=20)


def test_sync_follow_beside_alerts_run_sends_each_alert_once(pbx_db, store_path, fake):
    """Every sync tells the Telegram channel of its new calls, so ``atsnb sync --follow`` sends
    alerts too; with ``atsnb alerts run`` on the same store the two race for every (call, chat)
    and each goes once."""
    server, db = pbx_db
    con = create_pbx(server, db)
    settings = settings_for(server, db, store_path, ATSNB_TELEGRAM_API_URL=fake.url, ATSNB_UI_PUBLIC_URL=PUBLIC_URL)
    start = pd.Timestamp.now(tz=settings.tz).floor("s") - pd.Timedelta(minutes=10)
    ctx = Context.from_settings(settings, clock=lambda: start)  # the alerts and the chats start 10 min ago
    chats = list(range(1, 9))
    subscribe(ctx, fake, dict.fromkeys(chats, ""))
    env = sync_env(server, db, store_path, ATSNB_TELEGRAM_API_URL=fake.url, ATSNB_UI_PUBLIC_URL=PUBLIC_URL)
    senders = [subprocess.Popen([sys.executable, "-m", "atsnb.cli", *argv], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
               for argv in (["sync", "--follow", "--interval", "1", "--no-progress"],
                            ["alerts", "run", "--interval", "0.1"])]
    calls = 0
    try:
        for _ in range(3):  # calls arrive while both are at work
            insert(con, "cdr", [missed_leg(calls + i, start + pd.Timedelta(minutes=calls + i + 1), "74951112233")
                                for i in range(2)])
            calls += 2
            time.sleep(1.5)
        deadline = time.monotonic() + 120  # all arrive in seconds; the margin is for a loaded machine
        while sum(len(alerts(fake, c)) for c in chats) < calls * len(chats) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # a second sender's repeat, if there were one, would land now
    finally:
        codes = [stop(p) for p in senders]
    errors = [p.stderr.read() for p in senders]
    assert codes[1] == 0, errors[1][-3000:]
    assert "Traceback" not in "".join(errors), errors
    for chat in chats:
        ids = [call_of(s.text) for s in alerts(fake, chat)]
        assert sorted(ids) == sorted(set(ids)) and len(ids) == calls, (chat, ids)
    states = ctx.channel("telegram").state.states()
    assert len(states) == calls * len(chats) and set(states["state"]) == {"marked"}
    with ctx.store.catalog.connect() as db_:
        owners = {owner.rpartition(":")[2] for (owner,) in db_.execute("SELECT owner FROM telegram_alerts")}
    assert owners == {str(p.pid) for p in senders}, "both processes sent some of the alerts"


class SlowBotApi(FakeBotApi):
    """Telegram taking half a second over every message, so a stop can land while one is in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.in_flight = threading.Event()

    def answer(self, token, method, params):
        if method == "sendMessage":
            self.in_flight.set()
            time.sleep(0.5)
        return super().answer(token, method, params)


def test_a_plain_sync_stopped_while_a_message_is_in_flight_records_it_and_nothing_comes_twice(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    with SlowBotApi() as fake:
        fake.add_bot(TOKEN)
        settings = settings_for(server, db, store_path, ATSNB_TELEGRAM_API_URL=fake.url,
                                ATSNB_UI_PUBLIC_URL=PUBLIC_URL)
        start = pd.Timestamp.now(tz=settings.tz).floor("s") - pd.Timedelta(minutes=10)
        ctx = Context.from_settings(settings, clock=lambda: start)
        subscribe(ctx, fake, {1: "", 2: ""})
        fake.in_flight.clear()
        insert(con, "cdr", [missed_leg(i, start + pd.Timedelta(minutes=i + 1), "74951112233") for i in range(3)])
        syncer = subprocess.Popen([sys.executable, "-m", "atsnb.cli", "sync", "--follow", "--interval", "1",
                                   "--no-progress"], env=sync_env(server, db, store_path, ATSNB_TELEGRAM_API_URL=fake.url,
                                                                  ATSNB_UI_PUBLIC_URL=PUBLIC_URL),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            assert fake.in_flight.wait(60), "the sync sent nothing"
            syncer.send_signal(signal.SIGTERM)  # what `systemctl stop` sends, while Telegram is answering
            syncer.wait(30)
        finally:
            stop(syncer)
        assert syncer.returncode == -signal.SIGTERM, syncer.stderr.read()[-3000:]  # it ended as SIGTERM ends it
        time.sleep(1)  # the fake finishes the request the sync was waiting for
        accepted = [call_of(s.text) for s in fake.sent if CALL_LINK.search(s.text)]
        states = ctx.channel("telegram").state.states()
        assert len(accepted) >= 1 and CLAIMED not in set(states["state"])  # the one in flight was recorded
        again = Context.from_settings(settings)
        AlertLoop(again.channel("telegram"), again.now).round()
    for chat in (1, 2):
        ids = [call_of(s.text) for s in alerts(fake, chat)]
        assert len(ids) == 3 == len(set(ids)), (chat, ids)
