"""``atsnb telegram``: add a bot (its token checked with getMe), list subscribers, show the alerts' state."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

import pandas as pd

from atsnb.commands import context_from
from atsnb.delivery.telegram import ERROR_KEY, ROUND_KEY, STARTED_KEY, TelegramChannel
from atsnb.delivery.telegram_loop import add_bot
from atsnb.errors import InputError
from atsnb.i18n import t


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "telegram",
        help="Telegram alerts: add a bot, list subscribers, show what was sent",
        description="Telegram alerts on missed client calls (docs/telegram.md).  A bot is added with its "
        "token from @BotFather (read from standard input or ATSNB_TELEGRAM_TOKEN, checked with Telegram, "
        "kept only in the store's catalog and never printed); whoever writes /start to the bot becomes a "
        "subscriber; `atsnb alerts run` (or `atsnb sync --follow --alerts`) sends the alerts.",
    )
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("add-bot", help="check a bot's token with Telegram and store the bot",
                           description="Read the token from standard input (or ATSNB_TELEGRAM_TOKEN), check it "
                           "with Telegram's getMe and store the bot under NAME with its username.  A token "
                           "Telegram rejects is not stored.")
    a.add_argument("name", metavar="NAME", help="what the directory calls the bot, e.g. alerts")
    a.set_defaults(run=run_add_bot)
    a = actions.add_parser("subscribers", help="the subscribers (of one bot), with their filters",
                           description="List the chats that receive alerts: bot, name, lines, last "
                           "number/group, digest minutes, active, since when, blocked.")
    a.add_argument("bot", metavar="BOT", nargs="?", help="only this bot's subscribers")
    a.set_defaults(run=run_subscribers)
    a = actions.add_parser("status", help="bots, subscribers, alerts sent today, waiting, blocked chats, last error",
                           description="The state of the alerts: every bot with its username and "
                           "subscribers, chats deactivated because they blocked the bot, alerts sent today "
                           "and waiting, when the alert loop last ran and its last error.")
    a.set_defaults(run=run_status)


def read_token() -> str:
    """The token from ``ATSNB_TELEGRAM_TOKEN``, else standard input (asked for, unechoed, on a terminal)."""
    token = os.environ.get("ATSNB_TELEGRAM_TOKEN", "")
    if token:
        return token.strip()
    if sys.stdin.isatty():
        return getpass.getpass(t("tg.cli_token_prompt")).strip()
    return sys.stdin.readline().strip()


def run_add_bot(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    token = read_token() or ctx.settings.telegram.token
    if not token:
        raise InputError(t("tg.token_empty"))
    bot = add_bot(ctx.directories, ctx.settings, args.name, token)
    print(t("tg.cli_bot_added", name=bot["name"], username=bot["username"], first_name=bot["first_name"]))
    return 0


def _subscribers(ctx, bot: str | None) -> pd.DataFrame:
    subs = ctx.directories.read("telegram_subscribers")
    if bot:
        subs = subs[subs["bot"] == bot]
    chats = TelegramChannel(ctx.settings, ctx.store).state.chats()
    return subs.assign(chat_id=subs["chat_id"].astype(str)).merge(chats, on="chat_id", how="left")


def run_subscribers(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    subs = _subscribers(ctx, args.bot)
    if subs.empty:
        print(t("tg.cli_no_subscribers"))
        return 0
    shown = subs[["chat_id", "bot", "name", "lines", "last_targets", "digest_min", "active", "since", "blocked_at"]]
    print(shown.astype(object).fillna("").to_string(index=False))
    return 0


def run_status(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    catalog, now = ctx.directories, ctx.now()
    bots = catalog.read("telegram_bots")
    subs = _subscribers(ctx, None)
    if bots.empty:
        print(t("tg.cli_no_bots"))
    for _, bot in bots.iterrows():
        mine = subs[subs["bot"] == bot["name"]]
        token = t("tg.cli_token_set") if isinstance(bot["token"], str) and bot["token"] else t("tg.cli_token_missing")
        print(t("tg.cli_bot_line", name=bot["name"], username=bot["username"] or "—", token=token,
                active=int((mine["active"] == 1).sum()), inactive=int((mine["active"] != 1).sum())))
    blocked = subs[subs["blocked_at"].notna() & (subs["active"] != 1)]
    for _, sub in blocked.iterrows():
        print(t("tg.cli_blocked", chat=sub["chat_id"], name=sub["name"] or "", at=str(sub["blocked_at"])[:19],
                reason=sub["reason"] or ""))
    states = TelegramChannel(ctx.settings, ctx.store).state.states()
    sent = states[states["state"].isin(["sent", "marked"])]
    today = sent["sent_at"].fillna("").str[:10] == now.strftime("%Y-%m-%d")
    print(t("tg.cli_counts", today=int(today.sum()), total=len(sent),
            waiting=int((states["state"] == "claimed").sum()),
            followed=int((states["followed"] == "done").sum())))
    started = catalog.get_state(STARTED_KEY)
    print(t("tg.cli_started", at=started[:19] if started else "—"))
    last = catalog.get_state(ROUND_KEY)
    print(t("tg.cli_last_round", at=last[:19] if last else "—"))
    error = catalog.get_state(ERROR_KEY)
    if error:
        print(t("tg.cli_last_error", error=error))
    return 0
