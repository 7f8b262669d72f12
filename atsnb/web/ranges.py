"""HTTP byte ranges (RFC 9110 §14): what part of a file a ``Range`` header asks for.

A browser's ``<audio>`` asks ``bytes=0-`` first and ``bytes=N-`` when the listener seeks; the answer
is ``206`` with ``Content-Range``.  A header this server does not use (several ranges, another unit,
bad syntax) is ignored — the whole file, ``200``, as the RFC allows; a range that starts past the
end is ``416``.
"""

from __future__ import annotations

import re

_SINGLE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class RangeNotSatisfiable(ValueError):
    """The range starts at or past the end of the file (``416``, ``Content-Range: bytes */size``)."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` inclusive for a single satisfiable range, None to send the whole file."""
    if not header:
        return None
    m = _SINGLE.match(header)
    if m is None:
        return None
    first, last = m.group(1), m.group(2)
    if not first and not last:
        return None
    if not first:  # the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # invalid syntax: ignored
    if start >= size:
        raise RangeNotSatisfiable(header)
    return start, min(end, size - 1)


def content_range(first: int, last: int, size: int) -> str:
    return f"bytes {first}-{last}/{size}"
