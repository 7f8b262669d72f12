"""A small store whose calls point at recordings in every form Asterisk leaves them: PCM WAV in
FreePBX's dated folders and in a flat folder, wav49 (GSM in a WAV), raw GSM, MP3, an empty 44-byte
WAV, files that are gone, and stored values that try to lead outside the folder.

The audio is made by ffmpeg (Debian's ``ffmpeg``, which the product needs to convert GSM anyway):
three seconds of a tone at 8 kHz, as a PBX records.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from atsnb.config import Settings
from atsnb.store import Store
from tests.support.calls_frame import calls_frame

DAY = "2026/12/01"
SECONDS = 3.0


@dataclass(frozen=True)
class RecordingsCase:
    root: Path          # everything of the case
    store: Path         # the store (calls table)
    folder: Path        # recordings.folder
    secret: Path        # a file outside the folder that no request may reach
    settings: Settings
    calls: dict[str, str]  # case name → call id


def ffmpeg(*args: str) -> None:
    program = shutil.which("ffmpeg")
    assert program, "ffmpeg is not installed (apt-get install ffmpeg; ./dev.sh test installs it)"
    subprocess.run([program, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def tone_wav(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg("-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}:sample_rate=8000", "-ac", "1",
           "-c:a", "pcm_s16le", str(path))
    return path


def build(root: Path) -> RecordingsCase:
    """The store, the folder and the settings (``recordings.folder`` set, English texts untouched)."""
    folder = root / "monitor"
    pcm = tone_wav(root / "tone.wav")
    files = {
        f"{DAY}/in-79104698494-101-20261201-081300-1764566000.1.wav": pcm,
        "flat-79104698494-20261201-090000-1764569600.2.wav": pcm,
        f"{DAY}/abs-20261201-100000-1764572000.9.wav": pcm,
        "2026/11/30/in-79000000000-102-20261130-120000-1764493200.3.wav": pcm,
    }
    for relative, source in files.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, folder / relative)
    ffmpeg("-i", str(pcm), "-c:a", "gsm_ms", "-ar", "8000", str(folder / DAY / "wav49-20261201-081500-1764566100.4.WAV"))
    ffmpeg("-i", str(pcm), "-c:a", "gsm", "-f", "gsm", str(folder / DAY / "raw-20261201-081600-1764566160.5.gsm"))
    ffmpeg("-i", str(pcm), "-c:a", "libmp3lame", str(folder / DAY / "mp3-20261201-081700-1764566220.6.mp3"))
    shutil.copy(folder / DAY / "mp3-20261201-081700-1764566220.6.mp3", folder / DAY / "conv-20261201-082500-1764566700.15.mp3")
    (folder / DAY / "empty-20261201-081800-1764566280.7.wav").write_bytes(pcm.read_bytes()[:44])
    secret = root / "secret.wav"
    shutil.copy(pcm, secret)
    (folder / "link.wav").symlink_to(secret)

    rows = {  # case → (call id, start, recording value)
        "pcm": ("1764566000.1", "2026-12-01 08:13", "in-79104698494-101-20261201-081300-1764566000.1.wav"),
        "flat": ("1764569600.2", "2026-12-01 09:00", "flat-79104698494-20261201-090000-1764569600.2.wav"),
        "full_path": ("1764572000.9", "2026-12-01 10:00",
                      "/var/spool/asterisk/monitor/2026/12/01/abs-20261201-100000-1764572000.9.wav"),
        "wav49": ("1764566100.4", "2026-12-01 08:15", "wav49-20261201-081500-1764566100.4.WAV"),
        "gsm": ("1764566160.5", "2026-12-01 08:16", "raw-20261201-081600-1764566160.5.gsm"),
        "mp3": ("1764566220.6", "2026-12-01 08:17", "mp3-20261201-081700-1764566220.6.mp3"),
        "empty": ("1764566280.7", "2026-12-01 08:18", "empty-20261201-081800-1764566280.7.wav"),
        "missing": ("1764566340.8", "2026-12-01 08:19", "gone-20261201-081900-1764566340.8.wav"),
        "expired": ("1759309200.10", "2026-10-01 12:00", "old-20261001-120000-1759309200.10.wav"),
        "none": ("1764566400.11", "2026-12-01 08:20", ""),
        "traversal": ("1764566460.12", "2026-12-01 08:21", "../secret.wav"),
        "absolute": ("1764566520.13", "2026-12-01 08:22", str(secret)),
        "symlink": ("1764566580.14", "2026-12-01 08:23", "link.wav"),
        "stem_mp3": ("1764566700.15", "2026-12-01 08:25", "conv-20261201-082500-1764566700.15.wav"),
        "not_epoch": ("call-without-time", "2026-12-01 08:24", "in-79104698494-101-20261201-081300-1764566000.1.wav"),
    }
    frame = calls_frame([
        {"call_id": call_id, "start": start, "direction": "incoming", "status": "answered", "talk_s": SECONDS,
         "caller": "79104698494", "external_number": "79104698494", "employee": "101", "answered_by": "101",
         "recording": recording}
        for call_id, start, recording in rows.values()
    ])
    store_path = root / "store"
    store = Store.open(store_path)
    with store.writing():
        store.table("calls").upsert(frame)
    settings = Settings()
    settings.store.path = str(store_path)
    settings.recordings.folder = str(folder)
    return RecordingsCase(root, store_path, folder, secret, settings,
                          {name: row[0] for name, row in rows.items()})


PBX_WEB_PASSWORD = "s3cret-Pa55"


class _MonitorFolder(http.server.SimpleHTTPRequestHandler):
    """The PBX's web server: the monitor folder behind basic authentication."""

    def do_GET(self):  # noqa: N802 (the standard library's name)
        expected = "Basic " + base64.b64encode(f"pbx:{PBX_WEB_PASSWORD}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="monitor"')
            self.end_headers()
            return
        super().do_GET()

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def pbx_web_server(folder: Path) -> Iterator[str]:
    """``folder`` served over HTTP on loopback behind basic authentication; yields its base URL with
    the user and password in it (``http://pbx:…@127.0.0.1:port``)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_MonitorFolder, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://pbx:{PBX_WEB_PASSWORD}@127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
