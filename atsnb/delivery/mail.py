"""The mail channel: report mailings, each run sent exactly once.

A mailing (a row of the ``mailings`` directory) names a report, its saved filters, a cron
schedule in the PBX's zone and recipients.  At each tick (``atsnb mail run-due``, from a systemd
timer or cron) the channel, holding the scheduler lock:

1. **plans**: for every active mailing, the newest due time since its last run becomes a run;
   earlier due times missed while nothing ran are only counted (after downtime one mail goes out,
   "(late)" in its subject when it is later than ``mail.late_after_s``);
2. **runs** every open run: papermill executes the report notebook with the saved filters (the
   period fixed to the dates it meant at the due time), the snapshot is rendered and the mail
   built; the state goes ``running`` → ``sending`` → ``sent`` in :class:`MailRuns` and the run is
   recorded in the delivery ledger;
3. a failure is noted with the time of the next try (doubling back-off) and shown by
   ``atsnb mail status``; a newer due time supersedes a run still failing.

The executed notebook of a run is kept in ``<store>/mail-spool`` until the run is sent, so a
retry after an SMTP failure or a crash while sending mails the same figures without running the
report again.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

import nbformat
import pandas as pd

from atsnb.config import Settings
from atsnb.delivery.channels import CHANNELS, Channel, Happenings, Message
from atsnb.delivery.mail_message import build_message, message_id
from atsnb.delivery.mail_notebook import execute_report
from atsnb.delivery.mail_runs import MailRuns, Run, scheduler_lock
from atsnb.delivery.mail_smtp import send_mail
from atsnb.delivery.mailings import MailError, Mailing, find_mailing, read_mailings
from atsnb.errors import AtsnbError
from atsnb.i18n import language, set_language, t
from atsnb.reports.registry import REPORTS, ReportRegistry
from atsnb.reports.saved_filters import dashboard_query, fixed_period
from atsnb.store import Store
from atsnb.views.snapshot import Snapshot, render_snapshot

log = logging.getLogger(__name__)
SPOOL = "mail-spool"


class MailChannel(Channel):
    name = "mail"

    def __init__(self, settings: Settings, store: Store, reports: ReportRegistry = REPORTS):
        super().__init__(settings, store)
        self.reports = reports
        self.runs = MailRuns(store.catalog)
        self.failures: list[str] = []  # what failed in the last deliver, one sentence each

    # -- the mailings ------------------------------------------------------------------------------
    def mailings(self) -> list[tuple[str, Mailing | MailError]]:
        """Every mailing of the directory, or what is wrong with it."""
        return read_mailings(self.store.catalog, self.reports)

    def mailing(self, name: str) -> Mailing:
        return find_mailing(self.store.catalog, self.reports, name)

    # -- the channel's procedure -------------------------------------------------------------------
    def due(self, happenings: Happenings) -> Iterable[Message]:
        """Plan the runs that fell due by ``happenings.now`` and return every run to work on now.
        Mailings go by the clock only: news of calls (``calls_since``) makes none due."""
        if happenings.calls_since is not None:
            return []
        now = happenings.now
        grace = pd.Timedelta(seconds=self.settings.mail.late_after_s)
        for name, mailing in self.mailings():
            if isinstance(mailing, MailError):
                log.warning("%s", mailing)
                continue
            if not mailing.active:
                continue
            newest, earlier = mailing.latest_due(self.settings.tz, self.runs.since(name, now, grace), now)
            if newest is not None:
                self.runs.plan(Run(name, newest, late=now - newest > grace, skipped=earlier), now)
        found = dict(self.mailings())
        return [Message(run.key, ", ".join(found[run.mailing].recipients), run)
                for run in self.runs.ready(now) if isinstance(found.get(run.mailing), Mailing)]

    def deliver(self, happenings: Happenings) -> list[Message]:
        """Send every run that is due, each once (see the module's docstring); nothing when another
        scheduler holds the lock."""
        with scheduler_lock(self.store.root) as mine:
            if not mine:
                log.info("%s", t("mail_scheduler_busy"))
                return []
            sent = []
            self.failures = []
            for message in self.due(happenings):
                run: Run = message.content  # type: ignore[assignment]
                if self.ledger.sent(self.name, message.key, message.recipient):
                    self.runs.sent(run, happenings.now)  # sent, then the process died before noting it
                    continue
                self.runs.start(run, happenings.now, message.recipient)
                try:
                    note = self.send(message)
                except Exception as exc:  # noqa: BLE001 - one mailing's failure must not stop the others
                    error = str(exc) if isinstance(exc, AtsnbError) else f"{type(exc).__name__}: {exc}"
                    retry = self.runs.fail(run, error, happenings.now, self.settings.mail.retry_s,
                                           self.settings.mail.retry_max_s)
                    log.error("%s %s", error, t("mail_retry_at", time=_clock(retry.tz_convert(self.settings.tz))))
                    self.failures.append(error)
                    continue
                self.ledger.record(self.name, message.key, message.recipient, happenings.now, note)
                self.runs.sent(run, happenings.now, note)
                self._clean_spool(run)
                sent.append(message)
            return sent

    def send(self, message: Message) -> str:
        """Run the report (or take the run's executed notebook from the spool), build the mail and
        hand it to the SMTP server; returns the Message-ID (and any refused addresses)."""
        run: Run = message.content  # type: ignore[assignment]
        mailing = self.mailing(run.mailing)
        recipients = tuple(r.strip() for r in message.recipient.split(",") if r.strip())
        msg = self.compose(mailing, run, recipients)
        self.runs.sending(run, msg["Message-ID"], pd.Timestamp.now(tz="UTC"))
        refused = send_mail(self.settings.smtp, msg, recipients, mailing=mailing.name)
        log.info("mailing %s: sent to %d recipients (%s)", mailing.name, len(recipients) - len(refused),
                 msg["Message-ID"])
        if refused:
            log.warning("%s", t("mail_some_refused", mailing=mailing.name, addresses=", ".join(refused)))
            return f"{msg['Message-ID']} refused: {', '.join(refused)}"
        return str(msg["Message-ID"])

    # -- making the mail -----------------------------------------------------------------------------
    def compose(self, mailing: Mailing, run: Run, recipients: tuple[str, ...]):
        """The mail of a run (an :class:`email.message.EmailMessage`)."""
        with self._language(mailing):
            notebook_path = self._executed(mailing, run)
            snapshot = self.snapshot(mailing, run, nbformat.read(notebook_path, as_version=4))
            notebook = None
            if mailing.attach_notebook:
                notebook = (f"{mailing.report}-{run.due.tz_convert(self.settings.tz):%Y-%m-%d-%H%M}.ipynb",
                            notebook_path.read_bytes())
            return build_message(snapshot, key=run.key, sender=self.settings.smtp.sender or self.settings.smtp.user,
                                 recipients=recipients, subject=self.subject(mailing, run, snapshot),
                                 date=pd.Timestamp.now(tz=self.settings.tz), footer=self.footer(mailing, run),
                                 mailing=mailing.name, notebook=notebook)

    def snapshot(self, mailing: Mailing, run: Run, notebook: nbformat.NotebookNode) -> Snapshot:
        return render_snapshot(notebook, max_rows=self.settings.mail.table_rows, link=self.link(mailing, run),
                               footer=self.footer(mailing, run))

    def parameters(self, mailing: Mailing, run: Run) -> dict[str, object]:
        """The notebook's parameters: the saved filters, the period as dates, the store."""
        due = run.due.tz_convert(self.settings.tz)
        return {**fixed_period(mailing.filters, due, self.settings.tz), "store": str(self.store.root)}

    def link(self, mailing: Mailing, run: Run) -> str | None:
        """The live dashboard with the mail's filters, when ``ui.public_url`` is set."""
        base = self.settings.ui.public_url.strip()
        if not base:
            return None
        filters = {k: v for k, v in self.parameters(mailing, run).items() if k != "store"}
        return f"{base.rstrip('/')}/voila/render/{mailing.report}.ipynb?{dashboard_query(filters)}"

    def subject(self, mailing: Mailing, run: Run, snapshot: Snapshot) -> str:
        period = snapshot.filters.get(t("dash_filter_period"), "")
        subject = mailing.subject or (f"{snapshot.title}: {period}" if period else snapshot.title)
        subject = subject.replace("{period}", period).replace("{title}", snapshot.title)
        if run.kind == "test":
            subject += " " + t("mail_subject_test")
        elif run.late:
            subject += " " + t("mail_subject_late")
        return subject

    def footer(self, mailing: Mailing, run: Run) -> str:
        due = _clock(run.due.tz_convert(self.settings.tz))
        if run.kind == "test":
            return t("mail_footer_test", mailing=mailing.name)
        return t("mail_footer", mailing=mailing.name, schedule=mailing.schedule, due=due)

    def _executed(self, mailing: Mailing, run: Run) -> Path:
        """The run's executed notebook: from the spool when an earlier attempt made it."""
        path = self._spool_path(run)
        if not path.exists():
            execute_report(mailing.name, mailing.report, self.parameters(mailing, run), path,
                           language=language(), timeout_s=self.settings.mail.run_timeout_s)
        return path

    def _spool_path(self, run: Run) -> Path:
        digest = hashlib.sha256(run.key.encode("utf-8")).hexdigest()[:16]
        return self.store.root / SPOOL / digest / "report.ipynb"

    def _clean_spool(self, run: Run) -> None:
        shutil.rmtree(self._spool_path(run).parent, ignore_errors=True)

    def _language(self, mailing: Mailing):
        return _Language(mailing.language or self.settings.ui.language)

    # -- by hand -------------------------------------------------------------------------------------
    def send_now(self, name: str, to: tuple[str, ...] = (), now: pd.Timestamp | None = None) -> str:
        """Send a mailing now, outside its schedule — to ``to`` (a test) or to its recipients;
        recorded as a run of its own kind; returns the Message-ID."""
        mailing = self.mailing(name)
        now = now or pd.Timestamp.now(tz=self.settings.tz)
        run = Run(name, now.floor("s"), kind="test" if to else "manual")
        recipients = tuple(to) or mailing.recipients
        message = Message(run.key, ", ".join(recipients), run)
        self.runs.start(run, now, message.recipient)
        try:
            note = self.send(message)
        except AtsnbError as exc:
            self.runs.fail(run, str(exc), now, 0, 0)
            raise
        finally:
            self._clean_spool(run)
        self.ledger.record(self.name, message.key, message.recipient, now, note)
        self.runs.sent(run, now, note)
        return note

    def preview(self, name: str, folder: Path, now: pd.Timestamp | None = None) -> Path:
        """Run a mailing's report as if it fell due now and write its page as one HTML file
        (images inside it) into ``folder``; returns the file."""
        mailing = self.mailing(name)
        now = now or pd.Timestamp.now(tz=self.settings.tz)
        run = Run(name, now.floor("s"), kind="preview")
        try:
            with self._language(mailing):
                snapshot = self.snapshot(mailing, run, nbformat.read(self._executed(mailing, run), as_version=4))
        finally:
            self._clean_spool(run)
        folder.mkdir(parents=True, exist_ok=True)
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        path = folder / f"mail-{stem}.html"
        path.write_text(snapshot.standalone_html(), encoding="utf-8")
        return path

    def message_id(self, run: Run) -> str:
        return message_id(run.key, self.settings.smtp.sender or self.settings.smtp.user)


class _Language:
    """Texts in a mailing's language while its mail is made; the previous language afterwards."""

    def __init__(self, language_: str):
        self.language = language_

    def __enter__(self) -> None:
        self.saved = language()
        set_language(self.language)

    def __exit__(self, *exc: object) -> None:
        set_language(self.saved)


def _clock(moment: pd.Timestamp) -> str:
    return moment.strftime("%d.%m.%Y %H:%M")


CHANNELS.register(MailChannel.name, MailChannel)
