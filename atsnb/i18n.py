"""The one translation layer: every user-facing text goes through :func:`t`.

Russian is the default; English by the ``ui.language`` setting (``ATSNB_UI_LANGUAGE=en``) or
:func:`set_language`.  Texts live in ``atsnb/locale/<domain>.toml``, one file per area
(``common``, ``reports``, ``dashboards`` …), each key a table with ``ru`` and ``en``::

    [missed]
    ru = "Пропущен"
    en = "Missed"

Keys are unique across all files (a duplicate is an error at load time).
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from importlib import resources

_language: str | None = None


@cache
def messages() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for entry in sorted(resources.files("atsnb.locale").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        for key, texts in tomllib.loads(entry.read_text(encoding="utf-8")).items():
            if key in out:
                raise ValueError(f"translation key {key!r} is defined twice (again in {entry.name})")
            out[key] = texts
    return out


def set_language(language: str) -> None:
    global _language
    if language not in {"ru", "en"}:
        raise ValueError(f"language must be ru or en, got {language!r}")
    _language = language


def language() -> str:
    return _language or os.environ.get("ATSNB_UI_LANGUAGE", "ru")


def t(key: str, **fmt: object) -> str:
    """The text for ``key`` in the current language (the key itself if nobody translated it)."""
    entry = messages().get(key)
    text = entry.get(language(), entry.get("en", key)) if entry else key
    return text.format(**fmt) if fmt else text
