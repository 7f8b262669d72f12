"""The words of the Telegram alerts: a missed call, a digest of several, the follow-up when the
client was reached again, the answer to ``/status``.  HTML (Telegram's ``parse_mode``), so only
``<``, ``>`` and ``&`` of the values are escaped; every label goes through :func:`atsnb.i18n.t`.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import pandas as pd

from atsnb.i18n import t
from atsnb.reference.numbering_plan import default_registry
from atsnb.reports.links import call_address

MAX_DIGEST_LINES = 40


@dataclass(frozen=True)
class Names:
    """What turns numbers into names: partners (clients), lines, employees."""

    partners: dict[str, str] = field(default_factory=dict)
    lines: dict[str, str] = field(default_factory=dict)
    employees: dict[str, str] = field(default_factory=dict)

    def target(self, value: str) -> str:
        """A last number/group as people know it: ``101 Иванова Анна`` or just ``600``."""
        name = self.employees.get(value, "")
        return f"{value} {name}" if name else value


def phone(number: str) -> str:
    """``79161234567`` → ``+7 916 123-45-67``; other numbers as they are."""
    if len(number) == 11 and number.isdigit() and number[0] == "7":
        return f"+7 {number[1:4]} {number[4:7]}-{number[7:9]}-{number[9:]}"
    return number


def duration(seconds: float) -> str:
    """``h:mm:ss`` (``0:42`` under an hour: ``m:ss``)."""
    total = int(round(seconds)) if seconds == seconds else 0
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def minutes(seconds: float) -> str:
    """A delay in whole minutes (at least one), or hours and minutes."""
    total = max(1, math.ceil(seconds / 60))
    return t("tg.minutes", n=total) if total < 60 else t("tg.hours", h=total // 60, m=total % 60)


def call_link(public_url: str, call_id: str) -> str:
    """The call's page among the dashboards, or empty without ``ui.public_url``."""
    return call_address(call_id, public_url) if public_url else ""


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _who(call: pd.Series, names: Names) -> str:
    number = _text(call["external_number"])
    who = f"<b>{html.escape(phone(number))}</b>"
    partner = names.partners.get(number)
    if partner:
        who += f" — {html.escape(partner)}"
    return who


def _line(call: pd.Series, names: Names) -> str:
    line = _text(call["line"])
    name = names.lines.get(line)
    return f"{html.escape(name)} ({html.escape(phone(line))})" if name else html.escape(phone(line) or "—")


def _last(call: pd.Series) -> str:
    return _text(call.get("last_target")) or _text(call.get("group"))


def alert(call: pd.Series, names: Names, public_url: str) -> str:
    """One missed call: who, operator and region, line, when, wait, last number/group, first call, link."""
    title = t("tg.alert_dropped") if call["status"] == "dropped" else t("tg.alert_missed")
    lines = [f"<b>{title}</b>", t("tg.who", who=_who(call, names))]
    known = default_registry().lookup(_text(call["external_number"]))
    if known and any(known):
        lines.append(html.escape(", ".join(part for part in known if part)))
    lines.append(t("tg.line", line=_line(call, names)))
    end = pd.Timestamp(call["end"])
    lines.append(t("tg.when", when=pd.Timestamp(call["start"]).strftime("%d.%m.%Y %H:%M:%S"),
                   wait=duration(float(call["wait_s"] if pd.notna(call["wait_s"]) else
                                       (end - pd.Timestamp(call["start"])).total_seconds()))))
    last = _last(call)
    if last:
        lines.append(t("tg.last_target", target=html.escape(names.target(last))))
    if bool(call.get("primary")):
        lines.append(t("tg.first_call"))
    link = call_link(public_url, _text(call["call_id"]))
    if link:
        lines.append(f'<a href="{html.escape(link, quote=True)}">{t("tg.open_call")}</a>')
    return "\n".join(lines)


def digest(calls: pd.DataFrame, names: Names, public_url: str, window_min: int) -> str:
    """Several missed calls in one message: one line each, the first :data:`MAX_DIGEST_LINES`."""
    head = t("tg.digest", n=len(calls), minutes=window_min)
    lines = [f"<b>{head}</b>"]
    for _, call in calls.head(MAX_DIGEST_LINES).iterrows():
        row = (f"{pd.Timestamp(call['start']).strftime('%H:%M')} {_who(call, names)} → {_line(call, names)}, "
               f"{t('tg.waited', wait=duration(float(call['wait_s']) if pd.notna(call['wait_s']) else 0))}")
        last = _last(call)
        if last:
            row += f", {html.escape(names.target(last))}"
        if bool(call.get("primary")):
            row += f", {t('tg.first_call_short')}"
        link = call_link(public_url, _text(call["call_id"]))
        if link:
            row += f' <a href="{html.escape(link, quote=True)}">»</a>'
        lines.append(row)
    if len(calls) > MAX_DIGEST_LINES:
        lines.append(t("tg.digest_more", n=len(calls) - MAX_DIGEST_LINES))
    return "\n".join(lines)


def recovered(row: pd.Series, names: Names) -> str:
    """The follow-up: who reached the client again and after how long."""
    by = _text(row.get("by"))
    who = html.escape(names.employees.get(by) or by or t("tg.someone"))
    after = minutes(float(row["delay_s"]))
    if row["how"] == "callback":
        return t("tg.called_back", who=who, after=after)
    return t("tg.called_again", who=who, after=after)


def answered_after_all(call: pd.Series, names: Names) -> str:
    """The follow-up of an alert whose call, with all its records in, was answered."""
    by = _text(call.get("answered_by")) or _text(call.get("employee"))
    return t("tg.answered_after_all", who=html.escape(names.employees.get(by) or by or t("tg.someone")))


def status(missed: int, recovered_calls: int, day: pd.Timestamp) -> str:
    return t("tg.status", day=day.strftime("%d.%m.%Y"), missed=missed, recovered=recovered_calls)
