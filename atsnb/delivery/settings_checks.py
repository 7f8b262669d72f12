"""What the settings page's "send a test e-mail" and "check a Telegram token" buttons do, each
answered in one plain sentence.

Both work with the real settings (the server's file, secrets included) inside the page's kernel and
return only words fit to show in the browser: the SMTP password and the bot token are never part of
an answer or of an error (:mod:`atsnb.delivery.mail_smtp` and :mod:`atsnb.delivery.telegram_api`
already keep them out of theirs).
"""

from __future__ import annotations

import email.utils
import re
from email.message import EmailMessage

from atsnb.config import SMTPSettings, TelegramSettings
from atsnb.delivery.mail_smtp import send_mail
from atsnb.delivery.mailings import MailError
from atsnb.delivery.telegram_api import BotApi, TelegramError
from atsnb.i18n import t

ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def send_test_mail(smtp: SMTPSettings, to: str) -> str:
    """Send a short test message to ``to`` through the ``[smtp]`` account; the sentence saying
    where it went.  A bad address or any failure of the server raises :class:`MailError`."""
    address = to.strip()
    if not ADDRESS.match(address):
        raise MailError(t("set_mail_bad_address", address=address or "—"))
    msg = EmailMessage()
    msg["Subject"] = t("set_mail_subject")
    msg["From"] = smtp.sender or smtp.user
    msg["To"] = address
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg["Message-ID"] = email.utils.make_msgid(domain="atsnb.local")
    msg.set_content(t("set_mail_body", server=f"{smtp.host}:{smtp.port}"))
    send_mail(smtp, msg, (address,), mailing=t("set_mail_name"))
    return t("set_mail_sent", address=address, server=f"{smtp.host}:{smtp.port}")


def check_bot_token(telegram: TelegramSettings, token: str) -> str:
    """Ask Telegram's ``getMe`` whose ``token`` this is (``telegram.token`` when none is typed);
    the sentence naming the bot.  A rejected token or an unreachable Bot API raises
    :class:`TelegramError` in plain words."""
    token = token.strip() or telegram.token
    if not token:
        raise TelegramError(t("set_tg_no_token"))
    api = BotApi(telegram.api_url, token, timeout_s=telegram.timeout_s, retries=1)
    try:
        me = api.get_me()
    finally:
        api.close()
    return t("set_tg_ok", username=me.get("username") or "—", name=me.get("first_name") or "—")
