"""Call recordings of the simulated company: short, real, playable WAV files.

FreePBX names a recording ``<type>-<to>-<from>-<YYYYMMDD>-<HHMMSS>-<uniqueid>.wav`` and stores it
under ``<monitor>/YYYY/MM/DD/`` (docs/pbx-data.md).  A simulated clip is 3 seconds of 8 kHz 16-bit PCM
(the FreePBX default ``wav`` format): the Russian ring-back tone (425 Hz), then two voices taking
turns — buzzy vowel-like sounds at a low and a high pitch with syllable rhythm — so a player shows
and plays something that sounds like a phone call.  Each file is derived from its name alone, so a
clip can be rendered on first request (:func:`render_recording`) instead of filling the disk with
thousands of files nobody opens; only the most recent days are written up front.
"""

from __future__ import annotations

import wave
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from atsnb.store import Store

RATE = 8000
SECONDS = 3.0
SIMULATION_DIR = "simulation"  # <store>/simulation marks a simulated store (and holds the truth)
RECORDINGS_DIR = "recordings"


def folder_of(name: str) -> str | None:
    """``YYYY/MM/DD`` from a FreePBX recording name (the date field), or None if it has none."""
    parts = name.split("-")
    for part in parts[1:]:
        if len(part) == 8 and part.isdigit() and part[:2] in ("19", "20"):
            return f"{part[:4]}/{part[4:6]}/{part[6:]}"
    return None


def clip(name: str) -> np.ndarray:
    """The audio of one recording as int16 samples, the same for the same name."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    n = int(RATE * SECONDS)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    ring = t < 1.0
    out[ring] = 0.25 * np.sin(2 * np.pi * 425.0 * t[ring]) * (t[ring] < 0.8)
    speech = ~ring
    ts = t[speech] - 1.0
    turn = (ts // 0.7).astype(int) % 2  # speakers alternate every 0.7 s
    f0 = np.where(turn == 0, rng.uniform(105, 135), rng.uniform(190, 230))
    syllables = np.clip(np.sin(2 * np.pi * rng.uniform(3.5, 5.0) * ts) + 0.3, 0, None)
    voice = np.zeros_like(ts)
    for k in range(1, 18):
        freq = k * f0
        gain = np.exp(-((freq - 700) / 250) ** 2) + 0.6 * np.exp(-((freq - 1200) / 300) ** 2) + 0.05
        voice += gain * np.sin(2 * np.pi * freq * ts + k)
    voice = voice / np.abs(voice).max() * syllables * 0.5
    out[speech] = voice + rng.normal(0, 0.01, size=voice.size)
    return (np.clip(out, -1, 1) * 32000).astype("<i2")


def write_clip(path: Path, name: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(clip(name).tobytes())
    tmp.replace(path)
    return path


def render_all(root: Path, names: Iterable[str]) -> int:
    """Write the clips for ``names`` under ``root/YYYY/MM/DD/`` (existing files are kept)."""
    count = 0
    for name in names:
        folder = folder_of(name)
        if folder is None:
            continue
        path = root / folder / name
        if not path.exists():
            write_clip(path, name)
            count += 1
    return count


def render_recording(store: Store | str | Path, name: str) -> Path | None:
    """The file of a simulated recording, rendered now if it was left for later; None if not simulated.

    ``store`` is a :class:`~atsnb.store.Store` or its folder.  Dashboards call this when a recording
    of a simulated store is not on disk yet.
    """
    root = Path(store if isinstance(store, str | Path) else store.root).expanduser()
    folder = folder_of(name)
    if folder is None or "/" in name or not (root / SIMULATION_DIR).is_dir():
        return None
    path = root / RECORDINGS_DIR / folder / name
    return path if path.exists() else write_clip(path, name)
