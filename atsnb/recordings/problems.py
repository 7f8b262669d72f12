"""Why a call's recording cannot be played, as one sentence a manager understands.

The endpoint answers with the sentence (and a status code), and the player shows it in place of the
audio control: a missing file, an empty recording or an unreachable PBX never looks like a broken
player.
"""

from __future__ import annotations

from atsnb.errors import AtsnbError
from atsnb.i18n import t

#: reason → HTTP status of the recordings endpoint
STATUS = {
    "none": 404,
    "unknown_call": 404,
    "missing": 404,
    "expired": 410,
    "empty": 404,
    "not_configured": 404,
    "unreachable": 502,
    "unconvertible": 415,
}


class RecordingUnavailable(AtsnbError):
    """A recording that cannot be played: ``reason`` is one of :data:`STATUS`, ``details`` fill the
    sentence (the file name, the oldest day kept, what failed — never a password)."""

    def __init__(self, reason: str, **details: object) -> None:
        if reason not in STATUS:
            raise ValueError(f"unknown recording problem {reason!r}")
        self.reason = reason
        self.details = details
        super().__init__(self.message())

    def message(self) -> str:
        """The sentence in the current language."""
        return t(f"recording_{self.reason}", **self.details)

    @property
    def status(self) -> int:
        return STATUS[self.reason]
