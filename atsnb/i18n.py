"""The one translation layer: every user-facing text goes through :func:`t`.

Russian is the default; English by the ``ui.language`` setting (``ATSNB_UI_LANGUAGE=en``).
Messages are keyed by a short English identifier; modules add theirs to :data:`MESSAGES`
in one place (this file) so translators find everything together.
"""

from __future__ import annotations

import os

MESSAGES: dict[str, dict[str, str]] = {
    # key: {"ru": ..., "en": ...}
    "incoming": {"ru": "Входящий", "en": "Incoming"},
    "outgoing": {"ru": "Исходящий", "en": "Outgoing"},
    "internal": {"ru": "Внутренний", "en": "Internal"},
    "mixed": {"ru": "Смешанный", "en": "Mixed"},
    "answered": {"ru": "Отвечен", "en": "Answered"},
    "unanswered": {"ru": "Не отвечен", "en": "Unanswered"},
    "missed": {"ru": "Пропущен", "en": "Missed"},
    "dropped": {"ru": "Сорвавшийся", "en": "Dropped"},
}

_language: str | None = None


def set_language(language: str) -> None:
    global _language
    if language not in {"ru", "en"}:
        raise ValueError(f"language must be ru or en, got {language!r}")
    _language = language


def language() -> str:
    return _language or os.environ.get("ATSNB_UI_LANGUAGE", "ru")


def t(key: str, **fmt: object) -> str:
    """The text for ``key`` in the current language (the key itself if nobody translated it)."""
    entry = MESSAGES.get(key)
    text = entry.get(language(), entry.get("en", key)) if entry else key
    return text.format(**fmt) if fmt else text
