"""``atsnb mail``: the report mailings — list them, send one now, preview one, send what is due
(from a systemd timer or cron), and what the last runs did (docs/mail.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from atsnb.commands import context_from
from atsnb.composition import Context
from atsnb.delivery.channels import Happenings
from atsnb.delivery.mail import MailChannel
from atsnb.delivery.mailings import MailError
from atsnb.errors import InputError
from atsnb.i18n import t


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "mail", help="report mailings: list, send now, preview, send what is due, status",
        description="Report mailings (the 'mailings' directory): papermill runs the report notebook with the "
        "saved filters, the page is rendered for a mail client (tables inline-styled, charts as inline "
        "images, a plain-text part) and sent through the [smtp] account.  Each scheduled run is sent "
        "exactly once; after downtime only the newest missed run of each mailing goes out.  See docs/mail.md.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("list", help="every mailing with its next run times and any problem",
                           description="List the mailings: report, filters, schedule, recipients, the next run "
                           "times in the PBX's time zone, and what is wrong with a row that cannot run.")
    a.set_defaults(run=run_list)
    a = actions.add_parser("send", help="send a mailing now (to its recipients, or --to an address for a test)",
                           description="Run the mailing's report now and send it, outside its schedule: to "
                           "its recipients, or only to --to (the subject then says it is a test).")
    a.add_argument("name", metavar="NAME", help="the mailing's name")
    a.add_argument("--to", metavar="ADDR", action="append", help="send only to this address (repeatable)")
    a.set_defaults(run=run_send)
    a = actions.add_parser("preview", help="write the mailing's page to an HTML file and print its path",
                           description="Run the mailing's report now and write the page a recipient would "
                           "read as one HTML file (charts inside it); nothing is sent.")
    a.add_argument("name", metavar="NAME", help="the mailing's name")
    a.add_argument("--out", metavar="DIR", default=".", help="folder to write into (default: the current one)")
    a.set_defaults(run=run_preview)
    a = actions.add_parser(
        "run-due", help="send every mailing run that is due (for a systemd timer or cron, every minute)",
        description="Send each mailing run that fell due and has not been sent, exactly once, and retry "
        "failed runs whose next try has come.  Holds a lock: a second run-due started meanwhile does "
        "nothing.  Exit code 1 when a run failed (it is retried later).")
    a.add_argument("--now", metavar="'YYYY-MM-DD HH:MM:SS'",
                   help="act as if it were this moment (PBX time zone): for tests and catch-up")
    a.set_defaults(run=run_due)
    a = actions.add_parser("status", help="the last runs: sent, late, failed and when they are retried",
                           description="The last runs of every mailing (newest first): due time, status, "
                           "attempts, late or skipped runs, the error of a failed run and its next try.  "
                           "Exit code 1 while a run is failing.")
    a.add_argument("--limit", type=int, default=30, metavar="N", help="how many runs (default 30)")
    a.set_defaults(run=run_status)


def _channel(ctx: Context) -> MailChannel:
    channel = ctx.channel("mail")
    assert isinstance(channel, MailChannel)
    return channel


def _local(ctx: Context, moment: object) -> str:
    if moment is None or (isinstance(moment, float) and pd.isna(moment)) or moment == "":
        return ""
    return pd.Timestamp(moment).tz_convert(ctx.settings.tz).strftime("%d.%m.%Y %H:%M")


def run_list(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    mailings = _channel(ctx).mailings()
    if not mailings:
        print(t("mail_cli_none"))
        return 0
    now = ctx.now()
    problems = 0
    for name, mailing in mailings:
        if isinstance(mailing, MailError):
            problems += 1
            print(f"{name}\n    {t('mail_cli_problem')}: {mailing}")
            continue
        state = t("mail_cli_active") if mailing.active else t("mail_cli_inactive")
        times = ", ".join(_local(ctx, m) for m in mailing.next_times(ctx.settings.tz, now))
        filters = "&".join(f"{k}={v}" for k, v in mailing.filters.items()) or "—"
        print(f"{name}  [{state}]\n    {t('mail_cli_report')}: {mailing.report}  {filters}\n"
              f"    {t('mail_cli_schedule')}: {mailing.schedule}  →  {times}\n"
              f"    {t('mail_cli_recipients')}: {', '.join(mailing.recipients)}")
    return 1 if problems else 0


def run_send(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    note = _channel(ctx).send_now(args.name, tuple(args.to or ()))
    print(t("mail_cli_sent", mailing=args.name, note=note))
    return 0


def run_preview(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    print(_channel(ctx).preview(args.name, Path(args.out)))
    return 0


def run_due(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    now = ctx.now()
    if args.now:
        try:
            stamp = pd.Timestamp(args.now)
        except ValueError:
            raise InputError(t("mail_cli_bad_now", value=args.now)) from None
        now = stamp.tz_localize(ctx.settings.tz) if stamp.tzinfo is None else stamp.tz_convert(ctx.settings.tz)
    channel = _channel(ctx)
    sent = channel.deliver(Happenings(now=now))
    for message in sent:
        print(t("mail_cli_sent", mailing=message.content.mailing, note=message.recipient))
    return 1 if channel.failures else 0


def run_status(args: argparse.Namespace) -> int:
    ctx = context_from(args)
    runs = _channel(ctx).runs.read(limit=args.limit)
    if runs.empty:
        print(t("mail_cli_no_runs"))
        return 0
    for run in runs.itertuples(index=False):
        marks = []
        if run.late:
            marks.append(t("mail_cli_late"))
        if run.skipped:
            marks.append(t("mail_cli_skipped", count=run.skipped))
        line = (f"{_local(ctx, run.due)}  {run.mailing}  {t('mail_status_' + run.status)}"
                f"  {t('mail_cli_attempts', count=run.attempts)}" + (f"  ({', '.join(marks)})" if marks else ""))
        if run.kind != "scheduled":
            line += f"  [{t('mail_kind_' + run.kind)}]"
        print(line)
        if run.status == "failed":
            print(f"    {run.error}\n    {t('mail_retry_at', time=_local(ctx, run.next_try))}")
        elif run.status == "sent":
            print(f"    {t('mail_cli_sent_at', time=_local(ctx, run.sent_at), to=run.recipients or '')}")
        elif run.error:
            print(f"    {run.error}")
    return 1 if (runs.status == "failed").any() else 0
