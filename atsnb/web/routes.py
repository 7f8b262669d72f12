"""Every endpoint atsnb adds to the dashboards server, in one list: a new one is a handler module
in this package and one line here.  Each handler derives from :class:`atsnb.web.handlers.AtsnbHandler`,
so it has the dashboards' login and plain-text errors."""

from __future__ import annotations

from functools import cache
from typing import Any

from jupyter_server.utils import url_path_join

from atsnb.composition import Context
from atsnb.web.handlers import LoginRedirect
from atsnb.web.home import HomeHandler, Today
from atsnb.web.kernels import KernelsHandler
from atsnb.web.manifest import IconHandler, ManifestHandler
from atsnb.web.monitor import (
    Boards,
    MonitorDataHandler,
    MonitorListHandler,
    MonitorPageHandler,
    MonitorRenderHandler,
)
from atsnb.web.recordings import RecordingHandler
from atsnb.web.view import ReadOnlyViewHandler, Views

PREFIX = "/atsnb"


def routes(base_url: str, context: Context) -> list[tuple[str, type, dict[str, Any]]]:
    """Tornado's ``(pattern, handler, arguments)`` for each endpoint, under the server's base path.
    What an endpoint needs of the context is made at its first request: a server whose store does
    not exist yet does not create one by starting."""
    recordings = cache(lambda: context.recordings)
    boards = {"boards": Boards(context)}
    return [
        (base_url, HomeHandler, {"today": Today(context), **boards}),
        (url_path_join(base_url, r"/voila/tree/?"), LoginRedirect, {"url": base_url}),  # Voila's file list
        (url_path_join(base_url, PREFIX, r"/manifest\.webmanifest"), ManifestHandler, {}),
        (url_path_join(base_url, PREFIX, r"/icons/icon-(\d+)(-maskable)?\.png"), IconHandler, {}),
        (url_path_join(base_url, PREFIX, r"/recordings/([^/]+)"), RecordingHandler,
         {"library": recordings, "viewers": lambda: context.settings.recordings.viewers}),
        (url_path_join(base_url, PREFIX, r"/view/([^/]+)"), ReadOnlyViewHandler, {"views": Views(context)}),
        (url_path_join(base_url, PREFIX, r"/kernels\.json"), KernelsHandler, {}),
        (url_path_join(base_url, r"/monitor/?"), MonitorListHandler, boards),
        (url_path_join(base_url, r"/monitor/([^/]+)"), MonitorPageHandler, boards),
        (url_path_join(base_url, PREFIX, r"/monitor/([^/]+)\.json"), MonitorDataHandler, boards),
        (url_path_join(base_url, r"/voila/render/monitor\.ipynb"), MonitorRenderHandler, {"base_url": base_url}),
    ]
