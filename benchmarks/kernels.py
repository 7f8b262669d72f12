"""Kernels of the dashboards server on the demo store: how many live, how much each holds, how the
server copes with many managers (atsnb.web.kernels, docs/reliability.md "Kernels").

One ``atsnb serve`` (``start_dashboards``, default settings: every report preheated, the cap from
the machine's memory) over a simulated 90-day store, then:

1. **memory per kernel**: a report page built in a fresh Python process the way a kernel builds
   it (``atsnb.context().dashboard(name)``), with Python's and Arrow's default allocators and with
   the kernels' memory settings (``KERNEL_MEMORY_ENV``) — RSS and USS (memory no other process
   shares) after the first paint; and the preheated kernels of the running server;
2. **non-connecting loads**: N plain GETs of a report page that never open the websocket (a link
   preview, an uptime checker, a phone that lost its connection) — kernels at the peak, and after
   60 s against the target: the preheated pool + 2;
3. **browser visits closed**: N pages opened in Chromium until painted, then closed — half with
   the page's unload (its shutdown beacon), half by dropping the browser context (a phone killed
   in the background: only the websocket closes) — kernels after 60 s against the same target;
4. **managers**: M Chromium contexts opening the main dashboard spread over one minute, each
   reading it for a few seconds: pages shown (a page over the cap waits on the friendly page,
   which retries by itself), p50/p95 request → figures painted, the whole server's peak memory
   (Voila + kernels, RSS and USS);
5. with ``--reliability``: 100 loads without websocket and 100 browser visits, then the kernels
   back to the pool within 60 s.

    .venv/bin/python benchmarks/kernels.py [--store DIR] [--loads 30] [--visits 30] [--managers 50] [--reliability]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures as futures
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAINTED = ".atsnb-status:has-text('Обновлено'), .atsnb-error, .voila-error"
SETTLE_S = 60
PAGE_BUILD = """
import json, sys, time, psutil, atsnb
t = time.perf_counter(); page = atsnb.context().dashboard(sys.argv[1]); built = time.perf_counter() - t
m = psutil.Process().memory_full_info()
print(json.dumps({"rss": m.rss >> 20, "uss": m.uss >> 20, "built_s": built, "modules": sorted(
    n for n in ("pandas", "pyarrow", "numpy", "bqplot", "ipywidgets", "matplotlib", "pymysql", "openpyxl", "duckdb")
    if n in sys.modules)}))
"""


def build_store(folder: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")} | {"ATSNB_STORE": str(folder)}
    subprocess.run([sys.executable, "-m", "atsnb.cli", "simulate", "--days", "90", "--no-progress"],
                   env=env, check=True, cwd=REPO, stdout=subprocess.DEVNULL)


def page_memory(store: Path, name: str, env_extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATSNB_")} | {"ATSNB_STORE": str(store)} | env_extra
    out = subprocess.run([sys.executable, "-c", PAGE_BUILD, name], env=env, check=True, capture_output=True,
                         text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


class Watcher:
    """The server's kernels (its status endpoint) and memory (its process tree), sampled each second."""

    def __init__(self, server):
        self.server = server
        self.peak_kernels = 0
        self.peak_rss = self.peak_uss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def status(self) -> dict:
        answer = httpx.get(f"{self.server.url}atsnb/kernels.json", params={"token": self.server.token}, timeout=60)
        answer.raise_for_status()
        return answer.json()

    def memory(self) -> tuple[int, int, list[tuple[int, int]]]:
        """(RSS, USS) of Voila and its kernels in MB, and (RSS, USS) of each kernel."""
        root = psutil.Process(self.server.process.pid)
        rss = uss = 0
        kernels = []
        for proc in [root, *root.children(recursive=True)]:
            try:
                info = proc.memory_full_info()
                is_kernel = "ipykernel" in " ".join(proc.cmdline())
            except psutil.Error:
                continue
            rss, uss = rss + info.rss, uss + info.uss
            if is_kernel:
                kernels.append((info.rss >> 20, info.uss >> 20))
        return rss >> 20, uss >> 20, kernels

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_kernels = max(self.peak_kernels, self.status()["kernels"])
                rss, uss, _ = self.memory()
                self.peak_rss, self.peak_uss = max(self.peak_rss, rss), max(self.peak_uss, uss)
            except (httpx.HTTPError, psutil.Error):
                pass
            self._stop.wait(1)

    def __enter__(self) -> Watcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def kernel_cpu_s(self) -> float:
        total = 0.0
        for proc in psutil.Process(self.server.process.pid).children(recursive=True):
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def until_pool_full(self, reserved: int, limit_s: float = 900) -> float:
        """Until the pool holds its kernels and they have computed their reports (their CPU time
        stops growing: less than 0.2 s in 3 s)."""
        start = time.monotonic()
        last = self.kernel_cpu_s()
        while time.monotonic() - start < limit_s:
            time.sleep(3)
            now = self.kernel_cpu_s()
            if self.status()["pooled"] >= reserved and now - last < 0.2:
                return time.monotonic() - start
            last = now
        raise SystemExit(f"the preheated pool did not fill within {limit_s:.0f} s: {self.status()}")

    def after(self, seconds: float) -> dict:
        time.sleep(seconds)
        return self.status()


def plain_loads(server, name: str, n: int, parallel: int = 5) -> list[int]:
    """``n`` GETs of a page that never open its websocket, ``parallel`` at a time: their statuses."""
    def one(_: int) -> int:
        return httpx.get(server.page(name), timeout=600).status_code
    with futures.ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(one, range(n)))


def browser_visits(server, name: str, n: int, *, parallel: int = 3, read_s: float = 0.0,
                   spread_s: float = 0.0) -> list[float | None]:
    """``n`` visits of a page in one Chromium, each in a context of its own: seconds from the request
    to the figures painted (None: not shown within 10 minutes).  The even ones then close the page
    (its unload beacon), the odd ones drop their context (only the websocket closes, as when a phone
    kills the browser).  ``spread_s``: start them evenly over that time, all at once if need be;
    otherwise ``parallel`` at a time."""
    return asyncio.run(_visits(server, name, n, parallel=parallel, read_s=read_s, spread_s=spread_s))


async def _visits(server, name: str, n: int, *, parallel: int, read_s: float, spread_s: float) -> list[float | None]:
    from playwright.async_api import async_playwright

    gate = asyncio.Semaphore(n if spread_s else parallel)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                          headless=True, args=CHROMIUM_ARGS)
        start = time.monotonic()

        async def one(i: int) -> float | None:
            await asyncio.sleep(i * spread_s / n)
            async with gate:
                context = await browser.new_context(viewport={"width": 1366, "height": 900})
                page = await context.new_page()
                t0, shown = time.monotonic(), None
                try:
                    await page.goto(server.page(name), timeout=600_000, wait_until="commit")
                    await page.wait_for_selector(PAINTED, timeout=600_000)  # the busy page refreshes into it
                    shown = time.monotonic() - t0
                    await asyncio.sleep(read_s)
                except Exception as exc:  # noqa: BLE001 — a page never shown is a result, counted by the caller
                    print(f"  visit {i}: {type(exc).__name__}: {str(exc).splitlines()[0]}", flush=True)
                if i % 2 == 0:
                    await page.close(run_before_unload=True)
                    await asyncio.sleep(0.5)
                await context.close()
                return shown

        try:
            results = await asyncio.gather(*(one(i) for i in range(n)))
        finally:
            await browser.close()
        print(f"   ({n} visits took {time.monotonic() - start:.0f} s)", flush=True)
        return list(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, help="a demo store to reuse (default: simulate 90 days into a temporary one)")
    parser.add_argument("--loads", type=int, default=30)
    parser.add_argument("--visits", type=int, default=30)
    parser.add_argument("--managers", type=int, default=50)
    parser.add_argument("--reliability", action="store_true", help="also 100 loads + 100 visits")
    args = parser.parse_args()

    from atsnb.config import Settings
    from atsnb.serve import start_dashboards
    from atsnb.web.kernels import KERNEL_MEMORY_ENV

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # a stop still stops the server below
    print(f"load average at start: {os.getloadavg()}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="atsnb-kernels-"))
    store = args.store or tmp / "store"
    if not args.store:
        build_store(store)

    print("1. memory of a report page's kernel after its first paint (MB)", flush=True)
    for name in ("dashboard", "employees"):
        before = page_memory(store, name, {})
        after = page_memory(store, name, KERNEL_MEMORY_ENV)
        print(f"   {name}: default allocators RSS {before['rss']} USS {before['uss']}  →  kernel settings "
              f"RSS {after['rss']} USS {after['uss']}  (USS ×{after['uss'] / before['uss']:.2f}; imports: "
              f"{', '.join(after['modules'])})", flush=True)

    settings = Settings()
    settings.store.path = str(store)
    t0 = time.monotonic()
    server = start_dashboards(settings)
    try:
        with Watcher(server) as watch:
            first = watch.status()
            reserved, cap = first["reserved_for_pool"], first["max_kernels"]
            filled = watch.until_pool_full(reserved)
            rss, uss, kernels = watch.memory()
            print(f"   server up with a full pool of {reserved} preheated kernels in {time.monotonic() - t0:.0f} s "
                  f"(pool {filled:.0f} s); cap {cap}; whole server RSS {rss} MB, USS {uss} MB; preheated kernels "
                  f"RSS {statistics.median(k[0] for k in kernels):.0f} MB, USS {statistics.median(k[1] for k in kernels):.0f} MB "
                  "(median)", flush=True)
            target = reserved + 2

            def settle(label: str) -> bool:
                after = watch.after(SETTLE_S)
                ok = after["kernels"] <= target
                print(f"   {label}: peak {watch.peak_kernels} kernels; after {SETTLE_S} s {after['kernels']} "
                      f"(pool {after['pooled']}, target ≤ {target}) {'OK' if ok else 'MISSED'}", flush=True)
                watch.peak_kernels = 0
                return ok

            print(f"2. {args.loads} page loads that never connect", flush=True)
            statuses = plain_loads(server, "employees", args.loads)
            print(f"   answers: {sorted(set(statuses))}", flush=True)
            settle("non-connecting loads")

            print(f"3. {args.visits} browser visits, closed", flush=True)
            shown = browser_visits(server, "employees", args.visits)
            print(f"   shown {sum(s is not None for s in shown)}/{args.visits}", flush=True)
            settle("visits closed")

            print(f"4. {args.managers} managers open the dashboard within one minute", flush=True)
            watch.peak_rss = watch.peak_uss = 0
            times = browser_visits(server, "dashboard", args.managers, parallel=args.managers, read_s=5,
                                   spread_s=60)
            painted = sorted(t for t in times if t is not None)
            q = statistics.quantiles(painted, n=20) if len(painted) >= 2 else painted * 19
            timing = (f"request → figures p50 {statistics.median(painted):.1f} s, p95 {q[18]:.1f} s, "
                      f"max {painted[-1]:.1f} s" if painted else "no page painted")
            print(f"   shown {len(painted)}/{args.managers}; {timing}; whole server peak RSS {watch.peak_rss} MB, "
                  f"USS {watch.peak_uss} MB; peak kernels {watch.peak_kernels}", flush=True)
            settle("managers gone")

            if args.reliability:
                print("5. reliability: 100 loads without websocket + 100 with", flush=True)
                plain_loads(server, "employees", 100)
                shown = browser_visits(server, "employees", 100)
                print(f"   shown {sum(s is not None for s in shown)}/100", flush=True)
                settle("after 200 loads")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
