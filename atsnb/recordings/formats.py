"""What a recording file is, from its first bytes (names lie: Asterisk's ``wav49`` is GSM inside a
``.WAV``), and whether a browser plays it as it is.

Asterisk writes ``wav`` (16-bit PCM, plays everywhere), ``wav49``/``WAV`` (GSM 6.10 inside a WAV
container, which no browser decodes), raw ``gsm``, ``ulaw``/``alaw``/``sln`` without any header,
``g729``, and ``mp3`` through a post-processing script.  What a browser cannot play is converted
(:mod:`atsnb.recordings.convert`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

WAV_HEADER_BYTES = 44  # an Asterisk WAV with no sound is exactly its header
_WAV_CODECS = {1: "pcm", 3: "float", 6: "alaw", 7: "ulaw", 0x31: "gsm", 0xFFFE: "extensible"}
# raw formats by extension: ffmpeg's demuxer name and the options that describe the samples
RAW_FORMATS = {
    ".gsm": ("gsm", ["-ar", "8000"]),
    ".ulaw": ("mulaw", ["-ar", "8000", "-ac", "1"]),
    ".alaw": ("alaw", ["-ar", "8000", "-ac", "1"]),
    ".sln": ("s16le", ["-ar", "8000", "-ac", "1"]),
    ".g729": ("g729", []),
}


@dataclass(frozen=True)
class Format:
    """``container``: wav, mp3, ogg, raw or unknown; ``codec``: pcm, gsm, … (raw: the ffmpeg demuxer);
    ``sound_bytes``: the audio after the header (0 = nothing was recorded)."""

    container: str
    codec: str
    sound_bytes: int

    @property
    def playable(self) -> bool:
        """Whether Chromium, Firefox and Safari play the file as it is."""
        return (self.container == "wav" and self.codec in ("pcm", "float")) or self.container in ("mp3", "ogg")

    @property
    def content_type(self) -> str:
        return {"wav": "audio/wav", "mp3": "audio/mpeg", "ogg": "audio/ogg"}.get(self.container,
                                                                                "application/octet-stream")

    @property
    def extension(self) -> str:
        return {"wav": ".wav", "mp3": ".mp3", "ogg": ".ogg"}.get(self.container, "")


def sniff(path: Path) -> Format:
    """The format of ``path`` from its header (raw formats, which have none, from the extension)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(4096)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return _wav(head, size)
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return Format("mp3", "mp3", size)
    if head[:4] == b"OggS":
        return Format("ogg", "ogg", size)
    raw = RAW_FORMATS.get(path.suffix.lower())
    if raw is not None:
        return Format("raw", raw[0], size)
    return Format("unknown", "", size)


def _wav(head: bytes, size: int) -> Format:
    """Walk the RIFF chunks for the codec (``fmt``) and where the sound starts (``data``)."""
    codec, pos = "", 12
    while pos + 8 <= len(head):
        chunk, length = head[pos:pos + 4], struct.unpack("<I", head[pos + 4:pos + 8])[0]
        if chunk == b"fmt " and pos + 10 <= len(head):
            code = struct.unpack("<H", head[pos + 8:pos + 10])[0]
            codec = _WAV_CODECS.get(code, f"0x{code:04x}")
        elif chunk == b"data":
            # Asterisk leaves the data length at 0 while it still writes; the file size is what counts
            return Format("wav", codec, max(0, size - (pos + 8)))
        pos += 8 + length + (length & 1)
    return Format("wav", codec, max(0, size - WAV_HEADER_BYTES))
