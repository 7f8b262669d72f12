"""Where a recording named in the store can be, relative to the recordings folder or URL.

Asterisk's ``recordingfile`` is a file name (FreePBX: ``<type>-<to>-<from>-<YYYYMMDD>-<HHMMSS>-<uniqueid>.wav``,
stored under ``<monitor>/YYYY/MM/DD/``), sometimes a full path under the monitor folder, and on
plain Asterisk whatever the dialplan's ``MixMonitor`` was given.  Only the file name and an optional
``YYYY/MM/DD`` above it are ever used: a value with ``..``, a drive, a backslash or a control
character names nothing, so no stored value can lead outside the recordings folder.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath

_DATE_IN_NAME = re.compile(r"(?:^|-)((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:-|$)")
_DATED_PARENTS = re.compile(r"^\d{4}/\d{2}/\d{2}$")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\\]")


def file_name(recording: str) -> str | None:
    """The bare file name of a stored ``recordingfile`` value, or None when it names no safe file
    (empty, ``.``/``..``, a backslash or a control character)."""
    value = (recording or "").strip()
    if not value or _UNSAFE.search(value):
        return None
    name = PurePosixPath(value).name
    if name in ("", ".", "..") or name.startswith("."):
        return None
    return name


def dated_folder_of_value(recording: str) -> str | None:
    """``YYYY/MM/DD`` when the stored value is a path ending in ``YYYY/MM/DD/<name>`` (a full path
    under the monitor folder), else None."""
    parents = PurePosixPath(recording.strip()).parent.parts[-3:]
    folder = "/".join(parents)
    return folder if len(parents) == 3 and _DATED_PARENTS.match(folder) else None


def dated_folder_of_name(name: str) -> str | None:
    """``YYYY/MM/DD`` from the date field of a FreePBX-style name, or None if it has none."""
    m = _DATE_IN_NAME.search(name)
    return f"{m.group(1)}/{m.group(2)}/{m.group(3)}" if m else None


#: what a post-recording script may have turned the file into, under the same stem
EXTENSIONS = (".wav", ".WAV", ".mp3", ".gsm", ".ogg", ".wav49", ".ulaw", ".alaw", ".sln", ".g729")


def candidates(recording: str, start: dt.datetime | None) -> list[str]:
    """Relative paths to try, most likely first: the name as stored in the dated folders (from a full
    path in the value, from the date in the name, from the call's local start day) and in the flat
    folder, then the same stem with the other extensions Asterisk or a conversion script leave
    (FreePBX stores ``….wav`` while a cron job has made it ``….mp3``)."""
    name = file_name(recording)
    if name is None:
        return []
    folders = [dated_folder_of_value(recording), dated_folder_of_name(name),
               start.strftime("%Y/%m/%d") if start is not None else None]
    places = list(dict.fromkeys(f"{folder}/" for folder in folders if folder)) + [""]
    stem = PurePosixPath(name).stem
    others = [stem + ext for ext in EXTENSIONS if stem + ext != name]
    return [place + name for place in places] + [place + other for place in places for other in others]
