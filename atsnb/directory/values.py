"""Single directory values: how a cell of each column ``kind`` is checked and normalised.

The declarations in :data:`atsnb.store.DIRECTORIES` say what each column holds (``kind``);
:data:`KINDS` maps every kind to the function that turns the typed text into the stored value or
raises :class:`BadValue` with a translated reason.  People type these values by hand in Russian
or English, in a spreadsheet or the editor, so the parsers accept the usual spellings ("да",
"yes", "вх", "in"…) and store one form.  Whole rows and directories are checked in
:mod:`atsnb.directory.rules`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from croniter import croniter

from atsnb.i18n import t
from atsnb.phone_numbers import normalize_number
from atsnb.reports.saved_filters import BadFilters, filters_text, parse_filters
from atsnb.store.directories import DirectoryColumn, is_missing


class BadValue(ValueError):
    """A value a column of this kind cannot hold; ``str()`` is the translated reason."""


def shown(value: str) -> str:
    """``value`` as quoted in a message: long ones are cut to 40 characters."""
    return value if len(value) <= 40 else value[:39] + "…"


EXTENSION = re.compile(r"^\d{2,6}$")
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-]+$")
_LATIN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_SPLIT = re.compile(r"\s*[,;]\s*")

_FLAGS = {"1": 1, "0": 0, "yes": 1, "no": 0, "y": 1, "n": 0, "true": 1, "false": 0,
          "да": 1, "нет": 0, "д": 1, "н": 0, "+": 1, "-": 0, "вкл": 1, "выкл": 0}
_DIRECTIONS = {"incoming": "incoming", "in": "incoming", "входящие": "incoming", "входящий": "incoming",
               "вх": "incoming", "outgoing": "outgoing", "out": "outgoing", "исходящие": "outgoing",
               "исходящий": "outgoing", "исх": "outgoing"}
_BOTH = {"all", "both", "все", "оба"}
_SCOPE_KINDS = {"employee": "employee", "сотрудник": "employee", "department": "department",
                "отдел": "department", "подразделение": "department"}
_TARGET_KINDS = {"extension": "extension", "добавочный": "extension", "внутренний": "extension",
                 "group": "group", "группа": "group", "queue": "queue", "очередь": "queue"}
_LANGUAGES = {"ru": "ru", "русский": "ru", "рус": "ru", "russian": "ru", "en": "en", "english": "en",
              "английский": "en", "англ": "en"}
_SEEN_AS = {"did": "did", "входящая": "did", "outbound": "outbound", "исходящая": "outbound",
            "both": "both", "обе": "both"}


def _extension(v: str) -> str:
    if not EXTENSION.match(v):
        raise BadValue(t("dir_bad_extension", value=shown(v)))
    return v


def _number(v: str) -> str:
    digits = normalize_number(v)
    if not _PHONE_CHARS.match(v) or not 2 <= len(digits) <= 15:
        raise BadValue(t("dir_bad_number", value=shown(v)))
    return digits


def _flag(v: str) -> int:
    try:
        return _FLAGS[v.lower()]
    except KeyError:
        raise BadValue(t("dir_bad_flag", value=shown(v))) from None


def _count(v: str) -> int:
    if not v.isdigit():
        raise BadValue(t("dir_bad_count", value=shown(v)))
    return int(v)


def _chat_id(v: str) -> str:
    if not re.fullmatch(r"-?\d{1,20}", v):
        raise BadValue(t("dir_bad_chat_id", value=shown(v)))
    return v


def _choice(table: dict[str, str], key: str) -> Callable[[str], str]:
    def check(v: str) -> str:
        try:
            return table[v.lower()]
        except KeyError:
            allowed = ", ".join(sorted(set(table.values())))
            raise BadValue(t(key, value=shown(v), allowed=allowed)) from None
    return check


def _directions(v: str) -> str:
    items = [i.lower() for i in re.split(r"[\s,;/]+", v) if i]
    if any(i in _BOTH for i in items):
        return "incoming,outgoing"
    bad = [i for i in items if i not in _DIRECTIONS]
    if bad or not items:
        raise BadValue(t("dir_bad_directions", value=shown(v)))
    found = {_DIRECTIONS[i] for i in items}
    return ",".join(d for d in ("incoming", "outgoing") if d in found)


def _latin(v: str) -> str:
    if not _LATIN.match(v.lower()):
        raise BadValue(t("dir_bad_latin", value=shown(v)))
    return v.lower()


def _json(v: str) -> str:
    try:
        data = json.loads(v)
    except json.JSONDecodeError:
        raise BadValue(t("dir_bad_json", value=shown(v))) from None
    if not isinstance(data, dict):
        raise BadValue(t("dir_bad_json", value=shown(v)))
    return json.dumps(data, ensure_ascii=False)


def _filters(v: str) -> str:
    try:
        return filters_text(parse_filters(v))
    except BadFilters as exc:
        raise BadValue(str(exc)) from None


def _cron(v: str) -> str:
    if not croniter.is_valid(v):
        raise BadValue(t("dir_bad_cron", value=shown(v)))
    return " ".join(v.split())


def _emails(v: str) -> str:
    items = [i for i in re.split(r"[\s,;]+", v) if i]
    bad = [i for i in items if not _EMAIL.match(i)]
    if bad:
        raise BadValue(t("dir_bad_email", value=shown(bad[0])))
    return ", ".join(items)


def _list(v: str) -> str:
    return ",".join(i for i in _SPLIT.split(v) if i)


def _numbers(v: str) -> str:
    return ",".join(_number(i) for i in _SPLIT.split(v) if i)


# kind -> how a non-empty value (stripped text) becomes the stored one; see DirectoryColumn.kind.
KINDS: dict[str, Callable[[str], object]] = {
    "text": str,
    "secret": str,
    "extension": _extension,
    "number": _number,
    "flag": _flag,
    "count": _count,
    "chat_id": _chat_id,
    "directions": _directions,
    "scope_kind": _choice(_SCOPE_KINDS, "dir_bad_choice"),
    "target_kind": _choice(_TARGET_KINDS, "dir_bad_choice"),
    "seen_as": _choice(_SEEN_AS, "dir_bad_choice"),
    "latin": _latin,
    "json": _json,
    "filters": _filters,
    "language": _choice(_LANGUAGES, "dir_bad_choice"),
    "cron": _cron,
    "emails": _emails,
    "list": _list,
    "numbers": _numbers,
}


def normalise_value(column: DirectoryColumn, raw: object) -> object:
    """The stored form of one cell (None when empty); raises :class:`BadValue` when it cannot be."""
    if is_missing(raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # 101.0 from a numeric column with gaps
    text = str(raw).strip()
    if text == "":
        return None
    if column.type == "INTEGER" and column.kind == "count" and re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]  # 30.0 from a spreadsheet
    return KINDS[column.kind](text)
