"""The home page (``/``): what a manager opens first, on a phone as on a desktop.

Today's four headline figures on top — external calls, unanswered incoming calls, those of them
nobody has reached yet, the service level — each a link into the dashboard that explains it, then
a tile per report of the registry, the wall-boards, and the pages of the roles above a viewer (the
directories for editors, the settings for administrators).

The figures are the reports' own: :func:`today_figures` takes the Dashboard's scope of external
calls (:func:`atsnb.reports.scope.load_scope`) and its metrics, and the recovery report's list of
missed calls (:func:`atsnb.reports.recovery.recovery`), so the home page and the dashboards opened
for "today" say the same.  The page is one self-contained HTML document: its style inline, no
script, no font or stylesheet from anywhere — an office without internet sees it at once.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

import pandas as pd

from atsnb.config import Settings
from atsnb.i18n import language, messages, t
from atsnb.metrics import counts, service
from atsnb.metrics.calls import external
from atsnb.reports import recovery
from atsnb.reports.registry import REPORTS
from atsnb.reports.scope import load_scope
from atsnb.store import Store
from atsnb.views.format import number, percent
from atsnb.views.style import FONT

THEME_COLOUR = "#1f4e79"
TODAY = "period=today"


@dataclass(frozen=True)
class TodayFigures:
    """Today's headline figures: external calls, unanswered incoming (missed and dropped), those
    missed calls not reached again yet, and the service level with the counts it is the ratio of."""

    day: pd.Timestamp
    calls: int
    unanswered: int
    not_recovered: int
    service_level_pct: float
    answered_in_time: int
    answered_incoming: int


def today_figures(store: Store, settings: Settings, now: pd.Timestamp) -> TodayFigures:
    """The figures of the day ``now`` is in (PBX zone), as the Dashboard and the recovery report
    compute them for ``period=today``."""
    scope = load_scope("today", direction="external", store=store, settings=settings, now=now)
    calls = scope.calls
    rates = counts.unanswered_rates(calls)
    threshold = settings.thresholds.service_level_s
    within, answered_incoming = service.service_level_counts(calls, threshold)
    missed = recovery.recovery(scope, None)
    return TodayFigures(
        day=scope.start,
        calls=int(external(calls).sum()),
        unanswered=int(rates["unanswered"]),
        not_recovered=int(len(missed) - missed["recovered"].sum()),
        service_level_pct=service.service_level_pct(calls, threshold),
        answered_in_time=within,
        answered_incoming=answered_incoming,
    )


@dataclass(frozen=True)
class Link:
    """One tile: where it goes, its title, and a line under the title (may be empty)."""

    href: str
    title: str
    note: str = ""


def report_links(base: str) -> list[Link]:
    """A tile per report of the registry, in its order, with the report's one-line description
    where there is one."""
    out = []
    for name in REPORTS:
        key = f"home_about_{name}"
        note = t(key) if key in messages() else ""
        out.append(Link(f"{base}/voila/render/{name}.ipynb", t(f"dash_title_{name}"), note))
    return out


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def head_links(base: str) -> str:
    """What makes a page installable on a phone's home screen: the web app manifest, the icons,
    the colour of the browser's bar (the same lines are in the dashboards' Voila template)."""
    prefix = f"{base}/atsnb"
    return (f'<link rel="manifest" href="{prefix}/manifest.webmanifest">'
            f'<meta name="theme-color" content="{THEME_COLOUR}">'
            f'<link rel="icon" type="image/png" sizes="32x32" href="{prefix}/icons/icon-32.png">'
            f'<link rel="apple-touch-icon" href="{prefix}/icons/icon-180.png">'
            '<meta name="mobile-web-app-capable" content="yes">'
            '<meta name="apple-mobile-web-app-capable" content="yes">'
            f'<meta name="apple-mobile-web-app-title" content="{_esc(t("home_app_short_name"))}">')


_STYLE = f"""
*{{box-sizing:border-box}}
html{{-webkit-text-size-adjust:100%}}
body{{margin:0;font-family:{FONT};color:#111827;background:#f3f4f6;line-height:1.35}}
header{{background:{THEME_COLOUR};color:#fff;padding:12px 16px;display:flex;align-items:center;gap:12px;flex-wrap:wrap}}
header h1{{font-size:20px;margin:0;flex:1 1 auto}}
header a{{color:#fff;text-decoration:none;display:inline-flex;align-items:center;min-height:44px;padding:0 12px;
border:1px solid rgba(255,255,255,.5);border-radius:8px;font-size:15px}}
main{{max-width:1200px;margin:0 auto;padding:12px 16px 32px 16px}}
h2{{font-size:17px;margin:20px 0 8px 0;color:#374151}}
.today-day{{font-weight:400;color:#6b7280}}
.figures{{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:10px}}
.figure{{display:block;min-height:44px;padding:12px 14px;background:#fff;border:1px solid #d1d5db;border-radius:10px;
color:inherit;text-decoration:none}}
.figure:hover,.tile:hover{{border-color:{THEME_COLOUR}}}
.figure-value{{display:block;font-size:30px;font-weight:700;font-variant-numeric:tabular-nums;line-height:1.2}}
.figure-label{{display:block;font-size:14px;color:#4b5563}}
.figure-note{{display:block;font-size:12px;color:#6b7280;margin-top:2px}}
.figure.alert .figure-value{{color:#b91c1c}}
.tiles{{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:10px}}
.tile{{display:flex;flex-direction:column;justify-content:center;min-height:64px;padding:12px 14px;background:#fff;
border:1px solid #d1d5db;border-radius:10px;color:inherit;text-decoration:none}}
.tile-title{{font-size:16px;font-weight:600;color:{THEME_COLOUR}}}
.tile-note{{font-size:13px;color:#4b5563;margin-top:2px}}
.message{{background:#fff;border:1px solid #d1d5db;border-radius:10px;padding:12px 14px;color:#4b5563}}
footer{{color:#6b7280;font-size:12px;margin-top:24px}}
@media (max-width:700px){{
.figures{{grid-template-columns:repeat(2,minmax(0,1fr))}}
.tiles{{grid-template-columns:1fr}}
.figure-value{{font-size:26px}}
main{{padding:8px 12px 24px 12px}}
}}
"""


def _figure(value: str, label: str, href: str, note: str = "", *, alert: bool = False, key: str = "") -> str:
    css = "figure alert" if alert else "figure"
    under = f'<span class="figure-note">{_esc(note)}</span>' if note else ""
    return (f'<a class="{css}" data-figure="{_esc(key)}" href="{_esc(href)}"><span class="figure-value">{_esc(value)}'
            f'</span><span class="figure-label">{_esc(label)}</span>{under}</a>')


def figures_html(figures: TodayFigures, base: str, service_level_s: int) -> str:
    """The four figures of the day, each a link into the dashboard that shows it for today."""
    dashboard = f"{base}/voila/render/dashboard.ipynb?{TODAY}"
    missed = f"{base}/voila/render/recovery.ipynb?{TODAY}"
    sl = percent(figures.service_level_pct) or "—"
    sl_note = t("home_of", part=number(figures.answered_in_time), whole=number(figures.answered_incoming)) \
        if figures.answered_incoming else ""
    return '<div class="figures">' + "".join([
        _figure(number(figures.calls), t("home_calls"), dashboard, key="calls"),
        _figure(number(figures.unanswered), t("home_unanswered"), missed, alert=figures.unanswered > 0,
                key="unanswered"),
        _figure(number(figures.not_recovered), t("home_not_recovered"), missed, alert=figures.not_recovered > 0,
                key="not_recovered"),
        _figure(sl, t("home_service_level", threshold=service_level_s), dashboard, sl_note, key="service_level"),
    ]) + "</div>"


def _tiles(links: Iterable[Link], css: str = "") -> str:
    items = "".join(
        f'<a class="tile" href="{_esc(link.href)}"><span class="tile-title">{_esc(link.title)}</span>'
        + (f'<span class="tile-note">{_esc(link.note)}</span>' if link.note else "") + "</a>"
        for link in links)
    return f'<div class="tiles {css}">{items}</div>'


def home_page(*, base: str, figures: TodayFigures | None, problem: str, service_level_s: int,
              monitors: Iterable[tuple[str, str]], more: Iterable[Link], logout: bool, stamp: str) -> str:
    """The whole page.  ``base``: the server's base path without its trailing slash; ``figures``:
    today's, or None with ``problem`` saying why there are none (no store yet); ``monitors``:
    (name, title) of each wall-board; ``more``: the pages the visitor's role opens besides the
    reports (directories, settings); ``logout``: whether the server has a login to leave;
    ``stamp``: when the figures were computed."""
    if figures is not None:
        day = f'{figures.day:%d.%m.%Y}'
        today = (f'<h2>{_esc(t("home_today"))} <span class="today-day">{_esc(day)}</span></h2>'
                 + figures_html(figures, base, service_level_s))
    else:
        today = f'<h2>{_esc(t("home_today"))}</h2><p class="message">{_esc(problem)}</p>'
    boards = [Link(f"{base}/monitor/{quote(name)}", title) for name, title in monitors]
    sections = [today, f'<h2>{_esc(t("home_reports"))}</h2>' + _tiles(report_links(base), "reports")]
    if boards:
        sections.append(f'<h2>{_esc(t("home_monitors"))}</h2>' + _tiles(boards, "monitors"))
    more = list(more)
    if more:
        sections.append(f'<h2>{_esc(t("home_admin"))}</h2>' + _tiles(more, "admin"))
    leave = f'<a href="{_esc(base)}/logout">{_esc(t("home_logout"))}</a>' if logout else ""
    footer = f'<footer>{_esc(t("home_updated", time=stamp))}</footer>' if figures is not None else ""
    return f"""<!DOCTYPE html>
<html lang="{language()}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{_esc(t("home_title"))}</title>{head_links(base)}<style>{_STYLE}</style></head>
<body><header><h1>{_esc(t("home_title"))}</h1>{leave}</header>
<main>{"".join(sections)}{footer}</main></body></html>
"""
