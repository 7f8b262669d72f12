"""A call's recording, from the call id alone: the store says which file (the ``recording`` column),
the configured source says where it is, and the format says whether it must be converted first.

The dashboards server answers ``/atsnb/recordings/<call id>`` with :meth:`RecordingLibrary.playable`;
the player asks :meth:`RecordingLibrary.problem` before it shows a control.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from atsnb.config import Settings
from atsnb.recordings.convert import CACHE_DIR, ffmpeg, playable_copy
from atsnb.recordings.formats import Format, sniff
from atsnb.recordings.problems import RecordingUnavailable
from atsnb.recordings.sources import FolderSource, UrlSource
from atsnb.store import Store

CALL_COLUMNS = ["call_id", "start", "caller", "external_number", "employee", "answered_by", "recording"]
MAX_CALL_ID = 128
_CALL_ID = re.compile(r"^[\w.\-:@]+$")
_EPOCH_PREFIX = re.compile(r"^(\d{9,11})(?:\.|$)")
_UNSAFE_IN_NAME = re.compile(r"[^\w.+-]+")
#: renders a recording that is not on disk yet (the simulated company's), or None
Render = Callable[[str], Path | None]


@dataclass(frozen=True)
class RecordedCall:
    """What the endpoint needs of a call: its recording value and what names the download."""

    call_id: str
    start: pd.Timestamp
    recording: str
    client: str
    employee: str

    def download_name(self, extension: str) -> str:
        """``2026-12-01_08-13_79104698494_101.wav``: start, client number, employee."""
        parts = [self.start.strftime("%Y-%m-%d_%H-%M"), self.client, self.employee]
        stem = "_".join(_UNSAFE_IN_NAME.sub("-", p).strip("-") for p in parts if p)
        return stem + (extension or Path(self.recording).suffix.lower())


@dataclass(frozen=True)
class Playable:
    """A file to send: what the browser gets and under which name it is saved."""

    path: Path
    content_type: str
    download_name: str


class RecordingLibrary:
    """The recordings of one store, from ``recordings.folder`` or ``recordings.base_url``; ``render``
    makes a missing one (the simulated company renders its older recordings on request)."""

    def __init__(self, settings: Settings, store: Store, *, render: Render | None = None):
        self.settings = settings
        self.store = store
        self.render = render
        self.cache = store.root / CACHE_DIR
        rec = settings.recordings
        self.folder = FolderSource(rec.folder) if rec.folder else None
        self.url = UrlSource(rec.base_url, self.cache / "fetched") if rec.base_url else None

    def call(self, call_id: str) -> RecordedCall:
        """The call and its recording value from the store (never from the request)."""
        call_id = str(call_id)
        if len(call_id) > MAX_CALL_ID or not _CALL_ID.match(call_id):
            raise RecordingUnavailable("unknown_call", call_id=call_id[:40])
        row = self._find(call_id)
        if row is None:
            raise RecordingUnavailable("unknown_call", call_id=call_id)
        recording = str(row["recording"] or "")
        if not recording:
            raise RecordingUnavailable("none")
        start = pd.Timestamp(row["start"]).tz_convert(self.settings.pbx.timezone)
        return RecordedCall(call_id, start, recording, str(row["external_number"] or row["caller"] or ""),
                            str(row["employee"] or row["answered_by"] or ""))

    def _find(self, call_id: str) -> pd.Series | None:
        table = self.store.table("calls")
        where = [("call_id", "==", call_id)]
        epoch = _EPOCH_PREFIX.match(call_id)
        windows: list[tuple[pd.Timestamp | None, pd.Timestamp | None]] = []
        if epoch:  # Asterisk's linkedid starts with the call's Unix time: read only that month or two
            at = pd.Timestamp(int(epoch.group(1)), unit="s", tz="UTC").tz_convert(self.settings.pbx.timezone)
            windows.append((at - pd.Timedelta(days=1), at + pd.Timedelta(days=1)))
        windows.append((None, None))
        for start, end in windows:
            frame = table.read(start, end, columns=CALL_COLUMNS, where=where)
            if not frame.empty:
                return frame.iloc[0]
        return None

    def original(self, call: RecordedCall) -> Path:
        """The recording file as the PBX wrote it (fetched, for a URL source)."""
        start = call.start.to_pydatetime()
        problem: RecordingUnavailable | None = None
        for source in (self.folder, self.url):
            if source is None:
                continue
            try:
                return source.locate(call.recording, start)
            except RecordingUnavailable as exc:
                problem = problem or exc
        rendered = self.render(call.recording) if self.render is not None else None
        if rendered is not None:
            return rendered
        raise problem or RecordingUnavailable("not_configured")

    def playable(self, call_id: str) -> Playable:
        """The file to send for ``call_id``: the original, or its converted copy."""
        call = self.call(call_id)
        path = self.original(call)
        fmt = self._format(path)
        copy = playable_copy(path, fmt, self.cache)
        extension = fmt.extension if copy == path else ".wav"
        content_type = fmt.content_type if copy == path else "audio/wav"
        return Playable(copy, content_type, call.download_name(extension))

    def problem(self, call_id: str) -> RecordingUnavailable | None:
        """Why ``call_id``'s recording cannot be played, None when it can — without converting or
        fetching it (a URL source is asked whether it has the file)."""
        try:
            call = self.call(call_id)
            if self.folder is None and self.url is not None:  # presence only: the kernel has no credentials
                return self.url.check(call.recording, call.start.to_pydatetime())
            fmt = self._format(self.original(call))
            if not fmt.playable:
                ffmpeg()
        except RecordingUnavailable as exc:
            return exc
        return None

    @staticmethod
    def _format(path: Path) -> Format:
        fmt = sniff(path)
        if fmt.sound_bytes <= 0:
            raise RecordingUnavailable("empty")
        return fmt
