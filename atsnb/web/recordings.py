"""``GET /atsnb/recordings/<call id>``: the call's recording for the player, with byte ranges (the
browser seeks by asking for ``bytes=N-``), ``?download=1`` for a file saved under a readable name.

The file is found from the store (:class:`atsnb.recordings.library.RecordingLibrary`): the address
names a call, never a path.  A recording that cannot be played answers the library's sentence with
its status (404 missing or empty, 410 no longer on the PBX, 502 PBX unreachable, 415 not
convertible).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from email.utils import formatdate
from urllib.parse import quote

from tornado import iostream

from atsnb.i18n import t
from atsnb.recordings.library import Playable, RecordingLibrary
from atsnb.recordings.problems import RecordingUnavailable
from atsnb.web.handlers import AtsnbHandler, Refusal
from atsnb.web.ranges import RangeNotSatisfiable, byte_range, content_range
from atsnb.web.roles import Role

CHUNK = 256 * 1024


class RecordingHandler(AtsnbHandler):
    """One call's recording, whole or a byte range."""

    def initialize(self, library: Callable[[], RecordingLibrary], viewers: Callable[[], bool]) -> None:
        self.library = library
        self.viewers = viewers  # recordings.viewers: whether the viewer role may listen too

    async def get(self, call_id: str) -> None:
        await self._answer(call_id, body=True)

    async def head(self, call_id: str) -> None:
        await self._answer(call_id, body=False)

    async def _answer(self, call_id: str, *, body: bool) -> None:
        if self.role == Role.VIEWER and not self.viewers():
            raise Refusal(403, t("sec_recordings_editors"))
        try:
            # the store read, a fetch from the PBX or an ffmpeg run must not hold up the other pages
            playable = await asyncio.get_running_loop().run_in_executor(None, self._playable, call_id)
        except RecordingUnavailable as exc:
            raise Refusal(exc.status, exc.message()) from None
        await self._send(playable, body=body)

    def _playable(self, call_id: str) -> Playable:
        return self.library().playable(call_id)

    async def _send(self, playable: Playable, *, body: bool) -> None:
        stat = playable.path.stat()
        size = stat.st_size
        try:
            first_last = byte_range(self.request.headers.get("Range"), size)
        except RangeNotSatisfiable:
            self.set_status(416)
            self.set_header("Content-Range", f"bytes */{size}")
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(t("recording_bad_range") + "\n")
            return
        self.set_header("Accept-Ranges", "bytes")
        self.set_header("Content-Type", playable.content_type)
        self.set_header("Cache-Control", "private, max-age=3600")
        self.set_header("Last-Modified", formatdate(stat.st_mtime, usegmt=True))
        disposition = "attachment" if self.get_argument("download", "") not in ("", "0") else "inline"
        name = playable.download_name
        ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
        self.set_header("Content-Disposition",
                        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}")
        first, last = first_last if first_last is not None else (0, size - 1)
        if first_last is not None:
            self.set_status(206)
            self.set_header("Content-Range", content_range(first, last, size))
        self.set_header("Content-Length", str(max(0, last - first + 1)))
        if not body:
            return
        with playable.path.open("rb") as f:
            f.seek(first)
            left = last - first + 1
            while left > 0:
                chunk = f.read(min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                self.write(chunk)
                try:
                    await self.flush()
                except iostream.StreamClosedError:  # the player moved on (a seek): nothing to do
                    return

