"""The dashboards server's kernel economy (atsnb.web.kernels) on a real Voila started by
``atsnb.serve.start_dashboards``, with short timeouts: a page that never opens its websocket loses
its kernel, a page whose websocket closed loses it after the grace, the preheated pool is left
alone and refilled, and over the cap a visitor gets the friendly page instead of a new kernel.

Two tiny dashboards keep it fast: ``dashboard.ipynb`` (preheated) and ``records.ipynb`` (never
preheated, see atsnb.web.kernel_budget.COLD_ONLY).  Kernels are counted twice: by the server
(``/atsnb/kernels.json``) and as ipykernel processes under Voila.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import nbformat
import psutil
import pytest
from tornado.websocket import websocket_connect

from atsnb.config import Settings
from atsnb.serve import Server, start_dashboards
from atsnb.web.kernel_budget import default_max_kernels, preheated_pages
from tests.support.browser import run_async

TIMEOUT_S = 2
DEADLINE_S = 60  # what a kernel may take to go, on a busy two-core machine (a deadline, not a timing)


def tiny_dashboard(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('import os\nprint("arena", os.environ.get("MALLOC_ARENA_MAX"))')]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("kernel-dashboards")
    for name in ("dashboard", "records"):
        tiny_dashboard(root / f"{name}.ipynb")
    settings = Settings()
    settings.store.path = str(root / "store")
    settings.serve.unconnected_timeout_s = TIMEOUT_S
    settings.serve.disconnected_grace_s = TIMEOUT_S
    settings.serve.max_kernels = 3  # one preheated (half the cap at most), two for visitors
    running = start_dashboards(settings, root=root)
    try:
        yield running
    finally:
        running.stop()


def status(server: Server) -> dict[str, int]:
    answer = httpx.get(f"{server.url}atsnb/kernels.json", params={"token": server.token}, timeout=30)
    answer.raise_for_status()
    return answer.json()


def kernel_processes(server: Server) -> int:
    children = psutil.Process(server.process.pid).children(recursive=True)
    return sum(1 for p in children if "ipykernel" in " ".join(p.cmdline()))


def until(server: Server, check: Callable[[dict[str, int]], bool], what: str) -> dict[str, int]:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        now = status(server)
        if check(now):
            return now
        time.sleep(0.5)
    raise AssertionError(f"{what}: still {status(server)} after {DEADLINE_S} s")


def render(server: Server, name: str) -> httpx.Response:
    return httpx.get(server.page(name), timeout=180)


def settled(server: Server) -> None:
    """No visitor's kernel left from an earlier test, the pool full."""
    until(server, lambda s: s["visitors"] == 0 and s["pooled"] == 1, "the server did not settle")


def test_a_page_that_never_connects_loses_its_kernel_and_the_pool_is_left_alone(server):
    settled(server)
    page = render(server, "records")
    assert page.status_code == 200 and "arena 2" in page.text  # the kernel got the memory settings
    assert status(server)["visitors"] == 1
    pool_seen = []
    until(server, lambda s: pool_seen.append(s["pooled"]) or s["visitors"] == 0, "the unconnected kernel stayed")
    assert set(pool_seen) == {1}
    assert kernel_processes(server) == 1  # only the preheated one is still a process


def test_over_the_cap_a_visitor_gets_the_friendly_page_not_a_kernel(server):
    settled(server)
    # the first takes the preheated kernel, the second most likely the pool's refill while it still starts
    assert render(server, "dashboard").status_code == 200
    assert render(server, "dashboard").status_code == 200
    assert status(server)["visitors"] == 2
    busy = render(server, "records")
    assert busy.status_code == 503 and busy.headers["Retry-After"] == "10"
    assert "Слишком много открытых дашбордов" in busy.text
    assert re.search(r'<meta http-equiv="refresh" content="10">', busy.text)
    until(server, lambda s: s["visitors"] == 0 and s["pooled"] == 1, "the cap was never freed")
    assert kernel_processes(server) == 1
    assert render(server, "records").status_code == 200  # room again


async def _open_and_close(server: Server, kernel_id: str) -> tuple[dict[str, int], dict[str, int]]:
    host = server.url.removeprefix("http://")
    socket = await websocket_connect(f"ws://{host}api/kernels/{kernel_id}/channels?token={server.token}")
    loop = asyncio.get_running_loop()
    connected = await loop.run_in_executor(None, until, server, lambda s: s["connected"] == 1, "no connection")
    await asyncio.sleep(TIMEOUT_S + 6)  # longer than the timeouts and a look of the reaper
    still = await loop.run_in_executor(None, status, server)
    socket.close()
    return connected, still


def test_a_closed_page_loses_its_kernel_after_the_grace_and_the_pool_refills(server):
    settled(server)
    page = render(server, "dashboard")  # served by the preheated kernel
    kernel_id = re.search(r'"kernelId": "([0-9a-f-]+)"', page.text).group(1)
    connected, still = run_async(_open_and_close(server, kernel_id))
    assert connected["visitors"] == 1
    assert still["connected"] == 1 and still["visitors"] == 1  # an open page keeps its kernel
    after = until(server, lambda s: s["visitors"] == 0 and s["pooled"] == 1, "the closed page's kernel stayed")
    assert after["kernels"] == 1 and kernel_processes(server) == 1


def test_the_cap_follows_the_memory_and_the_pool_fits_in_half_of_it(tmp_path):
    assert default_max_kernels(2 * 2**30) == 4  # a small machine still serves a few pages
    assert default_max_kernels(16 * 2**30) == 32
    assert default_max_kernels(2**40) == 64
    for name in ("dashboard", "employees", "lines", "records", "directories"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    warm = preheated_pages(tmp_path, pages=("directories",), main="dashboard.ipynb", pool_size=1, max_kernels=32)
    assert warm == ["dashboard.ipynb", "employees.ipynb", "lines.ipynb"]
    assert preheated_pages(tmp_path, pages=("directories",), main="dashboard.ipynb", pool_size=1,
                           max_kernels=4) == ["dashboard.ipynb", "employees.ipynb"]
