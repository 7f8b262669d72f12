"""A mailing as the mail channel uses it: one row of the ``mailings`` directory, checked against
the report registry, with its cron schedule read in the PBX's time zone.

The directory's own checks (``atsnb directory import``, the editor) make sure each value has its
form; here a row is checked as a whole — the report exists, it takes the saved filters, there is
someone to send to — and every problem names the mailing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
from croniter import croniter

from atsnb.errors import AtsnbError
from atsnb.i18n import t
from atsnb.reports.registry import ReportRegistry
from atsnb.reports.saved_filters import BadFilters, parse_filters
from atsnb.store.directories import Catalog, is_missing

COUNT_CAP = 100_000  # missed runs counted at most (a per-minute mailing after months of downtime)


class MailError(AtsnbError):
    """A mailing that cannot run or be sent; the sentence names the mailing."""


@dataclass(frozen=True)
class Mailing:
    name: str
    report: str
    filters: dict[str, str]
    schedule: str
    recipients: tuple[str, ...]
    active: bool = True
    subject: str = ""
    language: str | None = None  # None: the settings' ui.language
    attach_notebook: bool = False

    @classmethod
    def from_row(cls, row: dict, reports: ReportRegistry) -> Mailing:
        """The mailing of a directory row, or :class:`MailError` saying what is missing or wrong."""
        def text(column: str) -> str:
            value = row.get(column)
            return "" if is_missing(value) else str(value).strip()

        name = text("name")
        report = text("report")
        if report not in reports:
            raise MailError(t("mail_err_report", mailing=name, report=report or "—", known=", ".join(reports)))
        try:
            filters = parse_filters(text("parameters"))
        except BadFilters as exc:
            raise MailError(t("mail_err_row", mailing=name, problem=str(exc))) from None
        extra = sorted(set(filters) - set(reports[report].filters))
        if extra:
            raise MailError(t("mail_err_filters", mailing=name, report=report, filters=", ".join(extra),
                              known=", ".join(reports[report].filters)))
        schedule = " ".join(text("schedule").split())
        if not croniter.is_valid(schedule):
            raise MailError(t("mail_err_schedule", mailing=name, schedule=schedule or "—"))
        recipients = tuple(r for r in (p.strip() for p in text("recipients").replace(";", ",").split(",")) if r)
        if not recipients:
            raise MailError(t("mail_err_recipients", mailing=name))
        active = row.get("active")
        return cls(name=name, report=report, filters=filters, schedule=schedule, recipients=recipients,
                   active=bool(active) if not is_missing(active) else True, subject=text("subject"),
                   language=text("language") or None,
                   attach_notebook=bool(row.get("attach_notebook")) if not is_missing(row.get("attach_notebook"))
                   else False)

    # -- the schedule, in the PBX's zone -------------------------------------------------------------
    def next_times(self, tz: ZoneInfo, after: pd.Timestamp, count: int = 3) -> list[pd.Timestamp]:
        """The next ``count`` times the mailing falls due after ``after``."""
        it = croniter(self.schedule, _local(after, tz))
        return [pd.Timestamp(it.get_next(dt.datetime)) for _ in range(count)]

    def latest_due(self, tz: ZoneInfo, after: pd.Timestamp, until: pd.Timestamp) -> tuple[pd.Timestamp | None, int]:
        """The newest due time in ``(after, until]`` and how many earlier ones that interval holds
        (runs missed while nothing ran; counted up to :data:`COUNT_CAP`)."""
        newest = pd.Timestamp(croniter(self.schedule, _local(until, tz) + dt.timedelta(seconds=1))
                              .get_prev(dt.datetime))
        if newest <= after:
            return None, 0
        it = croniter(self.schedule, _local(after, tz))
        earlier = 0
        while earlier < COUNT_CAP and pd.Timestamp(it.get_next(dt.datetime)) < newest:
            earlier += 1
        return newest, earlier


def _local(moment: pd.Timestamp, tz: ZoneInfo) -> dt.datetime:
    stamp = moment.tz_localize(tz) if moment.tzinfo is None else moment.tz_convert(tz)
    return stamp.to_pydatetime()


def read_mailings(catalog: Catalog, reports: ReportRegistry) -> list[tuple[str, Mailing | MailError]]:
    """Every row of the ``mailings`` directory: its name and the mailing, or what is wrong with it."""
    out: list[tuple[str, Mailing | MailError]] = []
    for row in catalog.read("mailings").to_dict("records"):
        try:
            out.append((str(row["name"]), Mailing.from_row(row, reports)))
        except MailError as exc:
            out.append((str(row["name"]), exc))
    return out


def find_mailing(catalog: Catalog, reports: ReportRegistry, name: str) -> Mailing:
    """The mailing ``name`` (active or not), or a :class:`MailError` naming the ones there are."""
    found = dict(read_mailings(catalog, reports))
    if name not in found:
        raise MailError(t("mail_err_no_mailing", mailing=name, known=", ".join(found) or "—"))
    mailing = found[name]
    if isinstance(mailing, MailError):
        raise mailing
    return mailing
