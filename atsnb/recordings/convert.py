"""A copy of a recording that a browser plays: what is not PCM WAV, MP3 or Ogg is converted once by
``ffmpeg`` (Debian package ``ffmpeg``) into 16-bit PCM WAV and kept in the store's cache folder.

PCM WAV seeks exactly in every browser (a byte range is a time range), which is what the player's
seek bar needs; the copy is keyed by the original's path, size and modification time, so a file
the PBX rewrites is converted again.  Copies unused for :data:`KEEP_DAYS` are removed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from atsnb.i18n import t
from atsnb.recordings.formats import RAW_FORMATS, Format
from atsnb.recordings.problems import RecordingUnavailable

CACHE_DIR = "recordings-cache"  # inside the store folder
KEEP_DAYS = 7
TIMEOUT_S = 120
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def cache_key(path: Path, *salt: str) -> str:
    st = path.stat()
    text = "|".join([str(path.resolve()), str(st.st_size), str(st.st_mtime_ns), *salt])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def ffmpeg() -> str:
    """The ffmpeg program, or the reason there is none."""
    program = shutil.which("ffmpeg")
    if program is None:
        raise RecordingUnavailable("unconvertible", why=t("recording_no_ffmpeg"))
    return program


def playable_copy(path: Path, fmt: Format, cache: Path) -> Path:
    """``path`` itself when a browser plays it, else its converted copy in ``cache`` (made now if
    missing; two requests for the same file wait for one conversion)."""
    if fmt.playable:
        return path
    key = cache_key(path)
    target = cache / f"{key}.wav"
    with _lock(key):
        if target.exists():
            os.utime(target)  # used: kept another KEEP_DAYS
            return target
        cache.mkdir(parents=True, exist_ok=True)
        _convert(path, fmt, target)
    prune(cache)
    return target


def _convert(path: Path, fmt: Format, target: Path) -> None:
    source: list[str] = []
    if fmt.container == "raw":
        demuxer, options = next(v for k, v in RAW_FORMATS.items() if v[0] == fmt.codec)
        source = ["-f", demuxer, *options]
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    cmd = [ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *source, "-i", str(path),
           "-vn", "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav", str(tmp)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        tmp.unlink(missing_ok=True)
        raise RecordingUnavailable("unconvertible", why=f"ffmpeg took longer than {TIMEOUT_S} s") from None
    if done.returncode != 0 or not tmp.exists():
        tmp.unlink(missing_ok=True)
        last = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        raise RecordingUnavailable("unconvertible", why=f"{fmt.container}/{fmt.codec}: {last}")
    tmp.replace(target)


def prune(cache: Path, keep_days: float = KEEP_DAYS) -> int:
    """Remove converted copies unused for ``keep_days``; returns how many went."""
    cutoff = time.time() - keep_days * 86400
    removed = 0
    for entry in cache.glob("*"):
        try:
            if entry.is_file() and entry.stat().st_mtime < cutoff:
                entry.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())
