"""The home page's pieces without a server: today's figures are the dashboards' own, the page
loads nothing from elsewhere and offers what the role opens, the icons and the manifest are what
a phone's "add to home screen" needs."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from PIL import Image

from atsnb.reports import REPORTS
from atsnb.store import Store
from atsnb.views.home_page import THEME_COLOUR, Link, home_page, today_figures
from atsnb.views.icons import SIZES, icon_png
from atsnb.web.manifest import manifest

DAY = "2025-03-14"  # a Friday of the demo store's fortnight


@pytest.fixture(scope="module")
def figures(demo):
    path, settings = demo
    return today_figures(Store.open(path), settings, pd.Timestamp(f"{DAY} 15:00", tz=settings.tz))


def test_todays_figures_are_those_the_dashboard_and_the_recovery_report_show_for_today(demo, figures):
    path, settings = demo
    now = pd.Timestamp(f"{DAY} 15:00", tz=settings.tz)
    kpis = REPORTS["dashboard"].build(period="today", store=path, settings=settings, now=now)["kpis"]
    recovery = REPORTS["recovery"].build(period="today", store=path, settings=settings, now=now)["kpis"]
    threshold = settings.thresholds.service_level_s
    dashboard = kpis.data.iloc[0]
    assert figures.calls == dashboard["Внешних звонков"] > 100
    assert figures.unanswered == kpis.counts["Непринятых входящих"][0] > 0
    assert figures.service_level_pct == pytest.approx(dashboard[f"Уровень сервиса (≤\u00a0{threshold}\u00a0с)"])
    assert (figures.answered_in_time, figures.answered_incoming) == \
        kpis.counts[f"Уровень сервиса (≤\u00a0{threshold}\u00a0с)"]
    assert figures.not_recovered == recovery.data.iloc[0]["Не дозвонились"] > 0
    assert figures.day == pd.Timestamp(DAY, tz=settings.tz)


def test_the_page_loads_nothing_from_elsewhere_and_links_every_report(figures):
    page = home_page(base="/base", figures=figures, problem="", service_level_s=20,
                     monitors=[("sales", "Отдел продаж")], more=[], logout=True, stamp="15:00")
    addresses = re.findall(r'(?:href|src|content)="([^"]*)"', page)
    assert addresses and not [a for a in addresses if re.match(r"(?i)(https?:)?//", a)], addresses
    assert "<script" not in page and "@import" not in page and "url(" not in page
    for name in REPORTS:
        assert f'href="/base/voila/render/{name}.ipynb"' in page, name
    assert 'href="/base/monitor/sales"' in page and 'href="/base/logout"' in page
    assert 'href="/base/atsnb/manifest.webmanifest"' in page and f'content="{THEME_COLOUR}"' in page
    assert 'rel="apple-touch-icon"' in page
    assert "settings.ipynb" not in page and "Управление" not in page
    assert f'data-figure="calls" href="/base/voila/render/dashboard.ipynb?period=today"><span class="figure-value">' \
           f'{figures.calls}<' in page


def test_without_figures_the_page_says_why_and_offers_the_role_pages():
    page = home_page(base="", figures=None, problem="Хранилище пусто.", service_level_s=20, monitors=[],
                     more=[Link("/voila/render/settings.ipynb", "Настройки")], logout=False, stamp="")
    assert "Хранилище пусто." in page and 'href="/voila/render/settings.ipynb"' in page
    assert "Мониторы" not in page and "logout" not in page and "data-figure" not in page


def test_the_page_speaks_english_by_setting(figures):
    from atsnb import i18n

    i18n.set_language("en")
    page = home_page(base="", figures=figures, problem="", service_level_s=20, monitors=[], more=[], logout=True,
                     stamp="15:00")
    assert '<html lang="en">' in page and "Not yet called back" in page and "Reports" in page
    assert "Отчёты" not in page


def test_icons_are_pngs_of_every_size_the_pages_and_the_manifest_name():
    for size in SIZES:
        image = Image.open(io.BytesIO(icon_png(size)))
        assert image.format == "PNG" and image.size == (size, size)
        assert image.getpixel((0, 0))[3] == 0  # rounded corners: transparent
        assert image.getpixel((size // 2, size // 8))[:3] == (0x1F, 0x4E, 0x79)  # the theme colour above the bars
        maskable = Image.open(io.BytesIO(icon_png(size, maskable=True)))
        assert maskable.getpixel((0, 0))[3] == 255  # fills the square: the launcher cuts its own shape
    with pytest.raises(ValueError, match="16..1024"):
        icon_png(4000)


def test_the_manifest_opens_the_home_page_standalone():
    found = manifest("/calls")
    assert found["start_url"] == "/calls/" and found["scope"] == "/calls/" and found["display"] == "standalone"
    assert found["theme_color"] == THEME_COLOUR and found["short_name"] == "Звонки"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in found["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= sizes
    assert all(icon["src"].startswith("/calls/atsnb/icons/") for icon in found["icons"])
