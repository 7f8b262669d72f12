"""Handing a mail to the SMTP server of the ``[smtp]`` settings: SSL from the start (``ssl``,
port 465) or STARTTLS (``starttls``, port 587), login when a user is set, a timeout on every
step, and every failure as one sentence naming the mailing — never the password.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from atsnb.config import SMTPSettings
from atsnb.delivery.mailings import MailError
from atsnb.i18n import t


def send_mail(smtp: SMTPSettings, msg: EmailMessage, recipients: tuple[str, ...], *, mailing: str) -> list[str]:
    """Send ``msg`` to ``recipients``; returns the addresses the server refused while taking the
    others (all refused, or any other failure, raises :class:`MailError`)."""
    if not smtp.host:
        raise MailError(t("mail_err_no_smtp", mailing=mailing))
    where = f"{smtp.host}:{smtp.port}"
    sender = smtp.sender or smtp.user
    if not sender:
        raise MailError(t("mail_err_no_sender", mailing=mailing))
    context = ssl.create_default_context()
    try:
        if smtp.ssl:
            server: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
        else:
            server = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
        with server:
            if smtp.starttls and not smtp.ssl:
                try:
                    server.starttls(context=context)
                except (smtplib.SMTPNotSupportedError, smtplib.SMTPResponseException, ssl.SSLError) as exc:
                    raise MailError(t("mail_err_tls", mailing=mailing, server=where, reason=_reason(exc))) from None
            if smtp.user:
                try:
                    server.login(smtp.user, smtp.password)
                except smtplib.SMTPAuthenticationError:
                    raise MailError(t("mail_err_login", mailing=mailing, server=where, user=smtp.user)) from None
                except smtplib.SMTPNotSupportedError:
                    raise MailError(t("mail_err_no_auth", mailing=mailing, server=where)) from None
            refused = server.send_message(msg, from_addr=sender, to_addrs=list(recipients))
    except MailError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(t("mail_err_recipients_refused", mailing=mailing, server=where,
                          addresses=", ".join(exc.recipients))) from None
    except smtplib.SMTPSenderRefused as exc:
        raise MailError(t("mail_err_sender_refused", mailing=mailing, server=where, sender=sender,
                          reason=_reason(exc))) from None
    except ssl.SSLError as exc:
        raise MailError(t("mail_err_tls", mailing=mailing, server=where, reason=_reason(exc))) from None
    except TimeoutError:
        raise MailError(t("mail_err_smtp_timeout", mailing=mailing, server=where, seconds=smtp.timeout_s)) from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(t("mail_err_smtp", mailing=mailing, server=where, reason=_reason(exc))) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(t("mail_err_connect", mailing=mailing, server=where,
                          reason=str(exc) or type(exc).__name__)) from None
    return sorted(refused)


def _reason(exc: Exception) -> str:
    """What the server or the TLS layer said, as one line."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {' '.join(text.split())}".rstrip(".")
    return " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
