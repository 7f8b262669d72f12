"""Where the recording files are: a folder (the PBX's monitor folder mounted here, in FreePBX's
``YYYY/MM/DD`` layout or flat) or the PBX's web server (``recordings.base_url``).

Both take the stored ``recordingfile`` value and try the relative paths of
:func:`atsnb.recordings.names.candidates`; a folder additionally refuses whatever resolves outside
it (a symbolic link pointing elsewhere).  A URL's user and password (``https://user:pw@pbx/…``)
authenticate this server to the PBX; they never appear in a message or reach the browser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from atsnb.recordings.names import candidates
from atsnb.recordings.problems import RecordingUnavailable

log = logging.getLogger(__name__)
OLDEST_CACHE_S = 300
HTTP_TIMEOUT_S = 10.0
CHUNK = 1 << 16
_DAY_PART = re.compile(r"^\d{2}$")


class FolderSource:
    """Recordings in a folder of this machine (a mount of the PBX's monitor folder)."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root).expanduser()
        self._oldest: tuple[float, dt.date | None] = (0.0, None)

    def locate(self, recording: str, start: dt.datetime | None) -> Path:
        """The file of a stored recording value: an existing regular file inside the folder."""
        try:
            root = self.root.resolve(strict=True)
        except OSError:
            raise RecordingUnavailable("unreachable", why=f"{self.root}: no such folder (not mounted?)") from None
        for relative in candidates(recording, start):
            found = self._inside(root, root / relative)
            if found is not None:
                return found
        oldest = self.oldest_day()
        if start is not None and oldest is not None and start.date() < oldest:
            raise RecordingUnavailable("expired", oldest=oldest.strftime("%d.%m.%Y"))
        raise RecordingUnavailable("missing", name=Path(recording).name or recording)

    @staticmethod
    def _inside(root: Path, path: Path) -> Path | None:
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):  # missing, a loop of links
            return None
        if not real.is_relative_to(root):
            log.warning("recording %s points outside the recordings folder; refused", path.name)
            return None
        return real if real.is_file() else None

    def oldest_day(self) -> dt.date | None:
        """The first day the folder still keeps (its oldest ``YYYY/MM/DD``), None for a flat folder;
        looked up at most every few minutes."""
        at, day = self._oldest
        if time.monotonic() - at < OLDEST_CACHE_S and at:
            return day
        day = None
        for year in sorted(p for p in _dirs(self.root) if len(p.name) == 4 and p.name.isdigit()):
            for month in sorted(p for p in _dirs(year) if _DAY_PART.match(p.name)):
                days = sorted(p.name for p in _dirs(month) if _DAY_PART.match(p.name))
                if days:
                    try:
                        day = dt.date(int(year.name), int(month.name), int(days[0]))
                    except ValueError:
                        continue
                    break
            if day:
                break
        self._oldest = (time.monotonic(), day)
        return day


def _dirs(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_dir()]
    except OSError:
        return []


class UrlSource:
    """Recordings on the PBX's web server, ``<base_url>/YYYY/MM/DD/<name>`` or ``<base_url>/<name>``;
    each is fetched once into ``cache`` and served from there."""

    def __init__(self, base_url: str, cache: Path):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RecordingUnavailable("unreachable", why="recordings.base_url must start with http:// or https://")
        self.auth = (parts.username or "", parts.password or "") if parts.username else None
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.base = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))  # without the credentials
        self.host = host
        self.cache = cache
        self._lock = threading.Lock()

    def urls(self, recording: str, start: dt.datetime | None) -> list[str]:
        return [f"{self.base}/{quote(relative)}" for relative in candidates(recording, start)]

    def locate(self, recording: str, start: dt.datetime | None) -> Path:
        """The fetched copy of a stored recording value (fetched now unless it already was)."""
        for url in self.urls(recording, start):
            target = self.cache / (hashlib.sha256(url.encode()).hexdigest()[:32] + Path(url).suffix.lower())
            if target.exists():
                os.utime(target)
                return target
            if self._fetch(url, target):
                return target
        raise RecordingUnavailable("missing", name=Path(recording).name or recording)

    def check(self, recording: str, start: dt.datetime | None) -> RecordingUnavailable | None:
        """Whether the server has the recording, without fetching it: None when it has (or when it
        asks for credentials this process was not given — the dashboards server has them)."""
        with self._client() as client:
            for url in self.urls(recording, start):
                try:
                    status = client.head(url).status_code
                except httpx.HTTPError as exc:
                    return RecordingUnavailable("unreachable", why=f"{self.host}: {type(exc).__name__}")
                if status in (401, 403) and self.auth is None:
                    return None
                if status < 400:
                    return None
        return RecordingUnavailable("missing", name=Path(recording).name or recording)

    def _client(self) -> httpx.Client:
        return httpx.Client(auth=self.auth, timeout=HTTP_TIMEOUT_S, follow_redirects=True)

    def _fetch(self, url: str, target: Path) -> bool:
        """Stream ``url`` into ``target``; False on 404, the reason on any other failure."""
        self.cache.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with self._client() as client, client.stream("GET", url) as response:
                if response.status_code in (404, 410):
                    return False
                if response.status_code >= 400:
                    raise RecordingUnavailable("unreachable", why=f"{self.host}: HTTP {response.status_code}")
                with tmp.open("wb") as out:
                    for chunk in response.iter_bytes(CHUNK):
                        out.write(chunk)
        except httpx.HTTPError as exc:
            tmp.unlink(missing_ok=True)
            raise RecordingUnavailable("unreachable", why=f"{self.host}: {type(exc).__name__}") from None
        tmp.replace(target)
        return True
