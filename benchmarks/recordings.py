"""The recordings endpoint (``/atsnb/recordings/<call id>`` in the dashboards server): how fast a
recording reaches the player, against reading the same file from disk in the same run.

1. ceilings: reading the recording from disk (page cache warm, 256 KiB chunks) — what any server
   of this file must do at least — and the same file from a bare Tornado ``StaticFileHandler`` in a
   process of its own over loopback (the same client), which is what HTTP itself costs here;
2. the endpoint, whole file (``GET``, what the download link asks): the store lookup of the call,
   the file found in the dated folder, the bytes sent over loopback HTTP;
3. the endpoint, a seek: one ``Range: bytes=N-N+65535`` request (what ``<audio>`` asks when the
   listener drags the bar) — latency per request;
4. a GSM (``wav49``) recording: the first request (ffmpeg converts it) against ffmpeg alone on the
   same file, and the next request (the cached copy).

    .venv/bin/python benchmarks/recordings.py [--minutes 10] [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pandas as pd

NAME = "in-79104698494-101-20261201-081300-1764566000.1.wav"
GSM_NAME = "in-79104698494-102-20261201-091300-1764569600.2.WAV"
CALL, GSM_CALL = "1764566000.1", "1764569600.2"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def build(root: Path, minutes: float):
    """A store with two recorded calls: PCM and GSM-in-WAV recordings of ``minutes`` each."""
    from atsnb.config import Settings
    from atsnb.store import Store

    day = root / "monitor" / "2026" / "12" / "01"
    day.mkdir(parents=True)
    source = f"anoisesrc=color=pink:duration={minutes * 60}:sample_rate=8000:amplitude=0.3"
    ffmpeg("-f", "lavfi", "-i", source, "-ac", "1", "-c:a", "pcm_s16le", str(day / NAME))
    ffmpeg("-i", str(day / NAME), "-c:a", "gsm_ms", "-ar", "8000", str(day / GSM_NAME))
    tz = "Europe/Moscow"
    rows = [(CALL, "2026-12-01 08:13", NAME), (GSM_CALL, "2026-12-01 09:13", GSM_NAME)]
    calls = pd.DataFrame({
        "call_id": [r[0] for r in rows], "start": [pd.Timestamp(r[1], tz=tz) for r in rows],
        "caller": "79104698494", "external_number": "79104698494", "employee": "101", "answered_by": "101",
        "recording": [r[2] for r in rows], "direction": "incoming", "status": "answered",
    })
    store = Store.open(root / "store")
    with store.writing():
        store.table("calls").upsert(calls)
    settings = Settings()
    settings.store.path = str(root / "store")
    settings.recordings.folder = str(root / "monitor")
    return settings, day / NAME, day / GSM_NAME


STATIC_SERVER = """
import sys, tornado.ioloop, tornado.web
app = tornado.web.Application([(r"/(.*)", tornado.web.StaticFileHandler, {"path": sys.argv[1]})])
app.listen(int(sys.argv[2]), "127.0.0.1")
tornado.ioloop.IOLoop.current().start()
"""


def static_server(folder: Path) -> tuple[subprocess.Popen, str]:
    """A bare Tornado serving ``folder`` on a free loopback port."""
    import socket
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-c", STATIC_SERVER, str(folder), str(port)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return process, url


def disk_read(path: Path) -> float:
    t0 = time.perf_counter()
    with path.open("rb") as f:
        while f.read(256 * 1024):
            pass
    return time.perf_counter() - t0


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def med(times: list[float]) -> float:
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the recordings (default 10)")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is needed (apt-get install ffmpeg)")
    from atsnb.serve import start_dashboards

    with tempfile.TemporaryDirectory(prefix="atsnb-bench-rec-") as tmp:
        settings, pcm, gsm = build(Path(tmp), args.minutes)
        size = pcm.stat().st_size
        server = start_dashboards(settings, preheat=False)
        try:
            client = httpx.Client(headers={"Authorization": f"token {server.token}"}, timeout=120)
            url = f"{server.url}atsnb/recordings/"
            client.get(url + CALL).raise_for_status()  # warm: imports, page cache
            disk = timed(lambda: disk_read(pcm), args.runs)
            bare, bare_url = static_server(pcm.parent)
            try:
                client.get(bare_url + pcm.name).raise_for_status()
                static = timed(lambda: client.get(bare_url + pcm.name).raise_for_status(), args.runs)
            finally:
                bare.terminate()
                bare.wait()
            whole = timed(lambda: client.get(url + CALL).raise_for_status(), args.runs)
            step = max(1, (size - 65536) // args.runs)
            offsets = iter(range(0, size - 65536, step))

            def seek() -> None:
                at = next(offsets)
                answer = client.get(url + CALL, headers={"Range": f"bytes={at}-{at + 65535}"})
                assert answer.status_code == 206 and len(answer.content) == 65536

            seeks = timed(seek, args.runs)
            alone = timed(lambda: ffmpeg("-i", str(gsm), "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav",
                                         os.devnull), 3)
            first = timed(lambda: client.get(url + GSM_CALL).raise_for_status(), 1)
            cached = timed(lambda: client.get(url + GSM_CALL).raise_for_status(), args.runs)
        finally:
            server.stop()
    mb = size / 1e6
    print(f"recording: {args.minutes:g} min of 8 kHz 16-bit PCM = {mb:.1f} MB; load average {os.getloadavg()[0]:.1f}")
    print(f"ceiling, read from disk:   {med(disk) * 1000:7.1f} ms  {mb / med(disk):8.0f} MB/s")
    print(f"ceiling, bare Tornado:     {med(static) * 1000:7.1f} ms  {mb / med(static):8.0f} MB/s")
    print(f"endpoint, whole file:      {med(whole) * 1000:7.1f} ms  {mb / med(whole):8.0f} MB/s  "
          f"= {med(disk) / med(whole):.3f}× the disk read, {med(static) / med(whole):.2f}× bare Tornado")
    print(f"endpoint, 64 KiB seek:     {med(seeks) * 1000:7.1f} ms per request")
    print(f"wav49 first request:       {first[0] * 1000:7.1f} ms  (ffmpeg alone {med(alone) * 1000:.1f} ms, "
          f"{med(alone) / first[0]:.2f}× of it)")
    print(f"wav49 cached:              {med(cached) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
