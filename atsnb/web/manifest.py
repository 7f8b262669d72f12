"""The web app manifest and its icons, so that "add to home screen" on a phone gives a launcher
that opens the home page full-screen, like an app:

* ``GET /atsnb/manifest.webmanifest`` — name, start address, colours, icons;
* ``GET /atsnb/icons/icon-<size>.png`` and ``icon-<size>-maskable.png`` — :func:`atsnb.views.icons.icon_png`.

Both are open without a login: browsers fetch a manifest and its icons without the page's cookies,
and neither holds anything but the product's name and picture.
"""

from __future__ import annotations

import json

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import JupyterHandler

from atsnb.i18n import language, t
from atsnb.views.home_page import THEME_COLOUR
from atsnb.views.icons import SIZES, icon_png
from atsnb.web.handlers import AtsnbHandler, Refusal

LAUNCHER_SIZES = (192, 512)
ONE_DAY_S = 86_400


def manifest(base: str) -> dict[str, object]:
    """The manifest of a server whose base path is ``base`` (no trailing slash)."""
    icons: list[dict[str, str]] = []
    for size in LAUNCHER_SIZES:
        icons.append({"src": f"{base}/atsnb/icons/icon-{size}.png", "sizes": f"{size}x{size}", "type": "image/png",
                      "purpose": "any"})
        icons.append({"src": f"{base}/atsnb/icons/icon-{size}-maskable.png", "sizes": f"{size}x{size}",
                      "type": "image/png", "purpose": "maskable"})
    return {
        "name": t("home_app_name"),
        "short_name": t("home_app_short_name"),
        "lang": language(),
        "start_url": f"{base}/",
        "scope": f"{base}/",
        "display": "standalone",
        "background_color": "#f3f4f6",
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }


class PublicHandler(AtsnbHandler):
    """An endpoint that needs no login (module docstring)."""

    async def prepare(self) -> None:  # type: ignore[override]
        await JupyterHandler.prepare(self, _redirect_to_login=False)


class ManifestHandler(PublicHandler):
    """``/atsnb/manifest.webmanifest``."""

    @allow_unauthenticated
    def get(self) -> None:
        self.set_header("Content-Type", "application/manifest+json; charset=utf-8")
        self.set_header("Cache-Control", f"public, max-age={ONE_DAY_S}")
        self.finish(json.dumps(manifest(self.base_url.rstrip("/")), ensure_ascii=False))


class IconHandler(PublicHandler):
    """``/atsnb/icons/icon-<size>[-maskable].png`` for the sizes the pages and the manifest name."""

    @allow_unauthenticated
    def get(self, size: str, maskable: str | None) -> None:
        if int(size) not in SIZES:
            raise Refusal(404, t("home_no_icon", sizes=", ".join(map(str, SIZES))))
        self.set_header("Content-Type", "image/png")
        self.set_header("Cache-Control", f"public, max-age={ONE_DAY_S}")
        self.finish(icon_png(int(size), maskable=bool(maskable)))
