"""``atsnb alerts``: the Telegram alert loop — once, or until stopped (docs/telegram.md)."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from atsnb.commands import context_from
from atsnb.delivery.telegram import TelegramChannel
from atsnb.delivery.telegram_loop import AlertLoop
from atsnb.i18n import t


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "alerts",
        help="send Telegram alerts on missed client calls (once, or as a long-running loop)",
        description="Read what people wrote to the bots (/start, /stop, /status), announce every missed "
        "client call that ended since the alerts started to each subscriber whose filters it matches, "
        "once, and follow up when the client is reached again.  The calls come from the store: run "
        "`atsnb sync --follow` beside it, or `atsnb sync --follow --alerts` for both in one process.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("run", help="rounds every --interval seconds until Ctrl+C or SIGTERM",
                           description="The long-running loop (see scheduled/atsnb-alerts.service).  A stop "
                           "lets the message in flight finish and be recorded.")
    a.add_argument("--interval", type=float, metavar="S", help="seconds between rounds (default: setting "
                   "telegram.poll_s)")
    a.set_defaults(run=run_loop)
    a = actions.add_parser("once", help="one round, then exit",
                           description="One round: updates, alerts due, follow-ups.")
    a.set_defaults(run=run_once)


@contextmanager
def stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (the round in flight finishes); a second one ends at once."""
    def handler(signum, frame):  # noqa: ARG001 — the signal module's signature
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    before = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in before.items():
            signal.signal(s, h)


def alert_loop(ctx) -> AlertLoop:
    channel = ctx.channel("telegram")
    assert isinstance(channel, TelegramChannel)
    return AlertLoop(channel, ctx.now)


def run_loop(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    loop = alert_loop(ctx)
    interval = args.interval if args.interval is not None else ctx.settings.telegram.poll_s
    print(t("tg.cli_loop_started", interval=interval), flush=True)
    with stopped_by_signals(loop.stop):
        loop.run(interval)
    print(t("tg.cli_loop_stopped"), flush=True)
    return 0


def run_once(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    loop = alert_loop(ctx)
    with stopped_by_signals(loop.stop):
        sent = loop.round()
    print(t("tg.cli_round", sent=sent), flush=True)
    return 0
