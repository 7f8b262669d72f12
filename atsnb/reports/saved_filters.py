"""Report filters saved as text: ``period=yesterday&department=Отдел продаж``.

The same ``key=value&…`` form as a dashboard address's query, so a mailing's saved parameters can
be copied from the address bar (the whole address is accepted too) and its link to the live
dashboard is the text put back.  Stored readable: only the characters that would break the form
(``%``, ``&``, ``=``, ``#``, ``+``) are escaped.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl, quote, urlsplit

import pandas as pd

from atsnb.i18n import t
from atsnb.reports.period import PRESETS, period_range
from atsnb.reports.registry import REPORTS


def filter_names() -> tuple[str, ...]:
    """Every filter some report takes, in the registry's order."""
    return tuple(dict.fromkeys(f for spec in REPORTS.values() for f in spec.filters))

_ESCAPE = {c: f"%{ord(c):02X}" for c in "%&=#+"}


class BadFilters(ValueError):
    """Saved filters that cannot be read; ``str()`` is the translated reason."""


def parse_filters(text: str | None) -> dict[str, str]:
    """``"period=yesterday&line=74951112233"`` (or a dashboard address, or a JSON object) → the
    filters as a dict; unknown names and unreadable text raise :class:`BadFilters`."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise BadFilters(t("mail_bad_filters", value=text)) from None
        if not isinstance(data, dict):
            raise BadFilters(t("mail_bad_filters", value=text))
        pairs = [(str(k), "" if v is None else str(v)) for k, v in data.items()]
    else:
        if "://" in text or text.startswith(("/", "?")):
            text = urlsplit(text).query if "://" in text or text.startswith("/") else text[1:]
        if any("=" not in part for part in text.split("&") if part):
            raise BadFilters(t("mail_bad_filters", value=text))
        pairs = parse_qsl(text, keep_blank_values=True)
    out = {}
    for key, value in pairs:
        if key == "token":  # an address copied with its access token: never saved
            continue
        if key not in filter_names():
            raise BadFilters(t("mail_unknown_filter", name=key, known=", ".join(filter_names())))
        if value.strip():
            out[key] = value.strip()
    if "period" in out and out["period"] not in PRESETS:
        raise BadFilters(t("mail_bad_period", value=out["period"], known=", ".join(PRESETS)))
    return out


def filters_text(filters: dict[str, object]) -> str:
    """The filters as stored and as a dashboard address's query (the inverse of :func:`parse_filters`)."""
    return "&".join(f"{k}={_escaped(str(v))}" for k, v in filters.items() if v not in (None, ""))


def dashboard_query(filters: dict[str, object]) -> str:
    """The filters as a dashboard address's query, every value percent-encoded (a mail's link)."""
    return "&".join(f"{k}={quote(str(v), safe='')}" for k, v in filters.items() if v not in (None, ""))


def _escaped(value: str) -> str:
    return "".join(_ESCAPE.get(c, c) for c in value)


def fixed_period(filters: dict[str, str], now: pd.Timestamp, tz) -> dict[str, str]:
    """The filters with a preset period ("yesterday") turned into the dates it means at ``now``:
    a mailing due at 09:00 reports the day before 09:00 even when it is sent late, and its link
    opens the very days the mail shows."""
    if "start" in filters or "end" in filters:
        return {**filters, "period": "custom"}
    lo, hi = period_range(filters.get("period", "last_30_days"), tz=tz, now=now)
    last = (hi - pd.Timedelta(days=1)).date() if hi == hi.normalize() else hi.date()
    return {"period": "custom", "start": lo.date().isoformat(), "end": last.isoformat(),
            **{k: v for k, v in filters.items() if k != "period"}}
