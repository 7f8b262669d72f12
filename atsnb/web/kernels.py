"""Kernel economy of the dashboards server: a kernel lives while somebody looks at its page.

Voila starts one Python kernel per page view and, left alone, keeps it until the idle cull
(10 minutes) — a link preview, an uptime probe or a phone that lost its connection each leave a
~400 MB process behind.  :class:`AtsnbKernelManager` (Voila's ``multi_kernel_manager_class``) knows
for every kernel whether a browser ever opened its websocket and when the last one closed, and
every :attr:`~AtsnbKernelManager.reap_interval` seconds shuts down

* a visitor's kernel whose page never connected, once it has been idle (its page rendered, no
  cell running) for ``unconnected_timeout`` seconds;
* a kernel whose last websocket closed ``disconnected_grace`` seconds ago — a tab closed without
  its shutdown beacon, a locked phone; a page that reconnects within the grace keeps its kernel, a
  reload gets a new kernel (the old page's beacon stops the old one).

Kernels waiting in Voila's preheated pool are never reaped; a pooled kernel becomes a visitor's
when Voila hands it out.  A connected page that is merely idle keeps the usual idle cull.

At most ``max_kernels`` kernels run at once: ``reserved_for_pool`` of them are the preheated pool,
the rest serve visitors; a page asked for when they are all taken answers :func:`busy_page` (503,
refreshing itself) instead of starting one more process and swapping the machine to death.

Every kernel starts with allocator settings (:data:`KERNEL_MEMORY_ENV`) that hand freed memory back
to the system: a report page's kernel holds about 230 MB after its first paint instead of ~400 MB
(``benchmarks/kernels.py``).
"""

from __future__ import annotations

import asyncio
import html
import json
import time
from dataclasses import dataclass
from typing import Any

import tornado.web
from jupyter_server._tz import utcnow
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.ioloop import PeriodicCallback
from traitlets import Float, Int
from voila.tornado.handler import TornadoVoilaHandler

from atsnb.i18n import language, t
from atsnb.web.handlers import AtsnbHandler

# Arrow's own allocator (mimalloc) keeps what a report freed; the system allocator with a low
# trim threshold returns it, and two malloc arenas stop Arrow's threads from each keeping one.
KERNEL_MEMORY_ENV = {
    "ARROW_DEFAULT_MEMORY_POOL": "system",
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_TRIM_THRESHOLD_": "65536",
    "MALLOC_MMAP_THRESHOLD_": "65536",
}
RETRY_S = 10


@dataclass
class Watch:
    """What the manager knows of one kernel (times from :func:`time.monotonic`)."""

    started: float
    pool: bool  # started for Voila's preheated pool
    claimed: float | None = None  # when a pooled kernel was handed to a visitor
    connected_once: bool = False
    disconnected: float | None = None  # when its last websocket closed


class AtsnbKernelManager(AsyncMappingKernelManager):
    """Voila's kernel manager with the policies of the module docstring."""

    unconnected_timeout = Float(45, config=True, help="Seconds a rendered page may stay without its websocket.")
    disconnected_grace = Float(20, config=True, help="Seconds a kernel outlives its page's last websocket.")
    max_kernels = Int(0, config=True, help="Kernels at most, the pool included (0: no cap).")
    reserved_for_pool = Int(0, config=True, help="Of max_kernels, how many the preheated pool may hold.")
    reap_interval = Float(5, config=True, help="Seconds between two looks at the kernels.")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._watches: dict[str, Watch] = {}
        self._pool_tasks: set[asyncio.Task] = set()
        self._reaper: PeriodicCallback | None = None

    # -- what happens to kernels ------------------------------------------------------------------
    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
        env = {**kwargs.get("env", {}), **KERNEL_MEMORY_ENV}
        kwargs["env"] = env
        kernel_id = await super().start_kernel(*args, **kwargs)
        self._watches[kernel_id] = Watch(started=time.monotonic(), pool=env.get("VOILA_PREHEAT") == "True")
        if self._reaper is None:
            self._reaper = PeriodicCallback(self.reap, self.reap_interval * 1000)
            self._reaper.start()
        return kernel_id

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
        try:
            await super().shutdown_kernel(kernel_id, *args, **kwargs)
        finally:
            self._watches.pop(kernel_id, None)

    def notify_connect(self, kernel_id: str) -> None:
        super().notify_connect(kernel_id)
        watch = self._watches.get(kernel_id)
        if watch is not None:
            watch.connected_once, watch.disconnected = True, None

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        watch = self._watches.get(kernel_id)
        if watch is not None and self._kernel_connections.get(kernel_id, 0) <= 0:
            watch.disconnected = time.monotonic()

    # -- who is who ---------------------------------------------------------------------------------
    def _classify(self) -> dict[str, Watch]:
        """The visitors' kernels, pooled ones left out.  A pooled kernel becomes a visitor's when
        Voila takes its pool entry (a task that starts the kernel and renders the page ahead): every
        entry is noted here — each page request looks first (:meth:`full`) — and one that left the
        pool, once its kernel has started, marks that kernel claimed."""
        self._watches = {k: w for k, w in self._watches.items() if k in self._kernels}  # died on their own
        pools = getattr(self, "_pools", {})  # Voila's preheating subclass keeps them
        current = {task for pool in pools.values() for task in pool}
        self._pool_tasks |= current
        now = time.monotonic()
        for task in list(self._pool_tasks - current):
            if not task.done():
                continue  # taken by a visitor while its kernel was still starting
            self._pool_tasks.discard(task)
            if task.cancelled() or task.exception() is not None:
                continue
            watch = self._watches.get(task.result()["kernel_id"])
            if watch is not None and watch.claimed is None:
                watch.claimed = now
        return {k: w for k, w in self._watches.items() if not (w.pool and w.claimed is None)}

    def full(self) -> bool:
        """Whether a new visitor's page would exceed the cap."""
        visitors = len(self._classify())  # also notes the pool's entries before this request takes one
        return self.max_kernels > 0 and visitors >= max(1, self.max_kernels - self.reserved_for_pool)

    def status(self) -> dict[str, Any]:
        visitors = self._classify()
        return {"kernels": len(self._kernels), "visitors": len(visitors),
                "connected": sum(1 for k in visitors if self._kernel_connections.get(k, 0) > 0),
                "pooled": len(self._kernels) - len(visitors), "max_kernels": self.max_kernels,
                "reserved_for_pool": self.reserved_for_pool}

    def due(self) -> list[tuple[str, str]]:
        """(kernel, why) for every visitor's kernel nobody looks at any more (module docstring)."""
        now, out = time.monotonic(), []
        for kernel_id, watch in self._classify().items():
            if self._kernel_connections.get(kernel_id, 0) > 0:
                continue
            if watch.connected_once:
                if watch.disconnected is not None and now - watch.disconnected >= self.disconnected_grace:
                    out.append((kernel_id, f"its page closed {now - watch.disconnected:.0f} s ago"))
                continue
            kernel = self._kernels[kernel_id]
            if getattr(kernel, "execution_state", "") == "busy":
                continue  # still rendering the page
            idle = (utcnow() - kernel.last_activity).total_seconds() if hasattr(kernel, "last_activity") else 0.0
            waited = min(idle, now - (watch.claimed or watch.started))
            if waited >= self.unconnected_timeout:
                out.append((kernel_id, f"its page never connected ({waited:.0f} s)"))
        return out

    async def reap(self) -> None:
        for kernel_id, why in self.due():
            self.log.info("Shutting down kernel %s: %s.", kernel_id, why)
            try:
                await self.shutdown_kernel(kernel_id)
            except Exception:  # already gone, or it died meanwhile: the next look sees it
                self.log.exception("Could not shut down kernel %s", kernel_id)


def busy_page(retry_s: int = RETRY_S) -> str:
    """The page a visitor gets while every kernel is taken: it asks again by itself."""
    title, text = html.escape(t("kern_busy_title")), html.escape(t("kern_busy_text", seconds=retry_s))
    return (f'<!doctype html><html lang="{language()}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="refresh" content="{retry_s}"><title>{title}</title>'
            '<style>body{font:16px system-ui,sans-serif;margin:0;display:flex;min-height:100vh;'
            'align-items:center;justify-content:center;background:#f8fafc;color:#1e293b}'
            'main{max-width:28em;padding:24px;text-align:center}h1{font-size:1.3em}'
            'a{color:#1f77b4}</style></head>'
            f'<body><main><h1>{title}</h1><p>{text}</p>'
            f'<p><a href="">{html.escape(t("kern_busy_now"))}</a></p></main></body></html>')


class CappedVoilaHandler(TornadoVoilaHandler):
    """Voila's page handler that answers :func:`busy_page` instead of starting a kernel over the cap."""

    @tornado.web.authenticated
    async def get(self, path: str | None = None) -> None:
        manager = self.kernel_manager
        if (path or "").endswith(".ipynb") and isinstance(manager, AtsnbKernelManager) and manager.full():
            self.set_status(503)
            self.set_header("Retry-After", str(RETRY_S))
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(busy_page())
            return
        await super().get(path)


class KernelsHandler(AtsnbHandler):
    """``GET /atsnb/kernels.json``: how many kernels run, whose, and the cap (for an administrator
    or a monitoring check; behind the dashboards' login)."""

    async def get(self) -> None:
        manager = self.kernel_manager
        payload = manager.status() if isinstance(manager, AtsnbKernelManager) else {"kernels": len(manager.list_kernel_ids())}
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload))


def with_kernel_cap(handlers: list) -> list:
    """Voila's handler list with its page handler replaced by :class:`CappedVoilaHandler`."""
    return [(spec[0], CappedVoilaHandler, *spec[2:]) if spec[1] is TornadoVoilaHandler else spec
            for spec in handlers]
