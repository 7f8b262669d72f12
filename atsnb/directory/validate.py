"""Checking and normalising directory rows before they are written.

The declarations in :data:`atsnb.store.DIRECTORIES` say what each column holds (``kind``), which
are required, and which must name a row of another directory (``ref``).  :func:`check_rows` applies
them to a whole frame and returns the normalised rows together with **every** problem found, so
a CSV import or the dashboard editor can show all mistakes at once and write nothing until they
are fixed.  Problems are located by row label (the CSV line number when the caller passes one).

Beyond single values it checks what only the whole directory shows: duplicate keys, references
(an employee's department must exist, a department's parent must exist, an efficiency panel's
scope must be a known employee or department) and cycles of department parents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import pandas as pd
from croniter import croniter

from atsnb.i18n import t
from atsnb.numbers import normalize_number
from atsnb.reference.org import parent_cycles
from atsnb.store.directories import DIRECTORIES, Catalog, Column, Directory, is_missing


@dataclass(frozen=True)
class Problem:
    """One thing wrong: where (``line``: a CSV line or row label; ``field``: a column) and what."""

    line: int | None
    field: str | None
    message: str

    def describe(self, source: str) -> str:
        """``employees.csv, line 7, field "extension": "10a" is not an extension number``."""
        parts = [source]
        if self.line is not None:
            parts.append(t("dir_at_line", line=self.line))
        if self.field is not None:
            parts.append(t("dir_at_field", field=self.field))
        return f"{', '.join(parts)}: {self.message}"


class BadValue(ValueError):
    """A value a column of this kind cannot hold; ``str()`` is the translated reason."""


def title(name: str) -> str:
    """A directory's name as the user reads it («Отделы», "Departments")."""
    return t(f"dir_title_{name}")


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:39] + "…"


_EXTENSION = re.compile(r"^\d{2,6}$")
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
_SEEN_AS = {"did": "did", "входящая": "did", "outbound": "outbound", "исходящая": "outbound",
            "both": "both", "обе": "both"}


def _extension(v: str) -> str:
    if not _EXTENSION.match(v):
        raise BadValue(t("dir_bad_extension", value=_shown(v)))
    return v


def _number(v: str) -> str:
    digits = normalize_number(v)
    if not _PHONE_CHARS.match(v) or not 2 <= len(digits) <= 15:
        raise BadValue(t("dir_bad_number", value=_shown(v)))
    return digits


def _flag(v: str) -> int:
    try:
        return _FLAGS[v.lower()]
    except KeyError:
        raise BadValue(t("dir_bad_flag", value=_shown(v))) from None


def _count(v: str) -> int:
    if not v.isdigit():
        raise BadValue(t("dir_bad_count", value=_shown(v)))
    return int(v)


def _chat_id(v: str) -> str:
    if not re.fullmatch(r"-?\d{1,20}", v):
        raise BadValue(t("dir_bad_chat_id", value=_shown(v)))
    return v


def _choice(table: dict[str, str], key: str) -> Callable[[str], str]:
    def check(v: str) -> str:
        try:
            return table[v.lower()]
        except KeyError:
            allowed = ", ".join(sorted(set(table.values())))
            raise BadValue(t(key, value=_shown(v), allowed=allowed)) from None
    return check


def _directions(v: str) -> str:
    items = [i.lower() for i in re.split(r"[\s,;/]+", v) if i]
    if any(i in _BOTH for i in items):
        return "incoming,outgoing"
    bad = [i for i in items if i not in _DIRECTIONS]
    if bad or not items:
        raise BadValue(t("dir_bad_directions", value=_shown(v)))
    found = {_DIRECTIONS[i] for i in items}
    return ",".join(d for d in ("incoming", "outgoing") if d in found)


def _latin(v: str) -> str:
    if not _LATIN.match(v.lower()):
        raise BadValue(t("dir_bad_latin", value=_shown(v)))
    return v.lower()


def _json(v: str) -> str:
    try:
        data = json.loads(v)
    except json.JSONDecodeError:
        raise BadValue(t("dir_bad_json", value=_shown(v))) from None
    if not isinstance(data, dict):
        raise BadValue(t("dir_bad_json", value=_shown(v)))
    return json.dumps(data, ensure_ascii=False)


def _cron(v: str) -> str:
    if not croniter.is_valid(v):
        raise BadValue(t("dir_bad_cron", value=_shown(v)))
    return " ".join(v.split())


def _emails(v: str) -> str:
    items = [i for i in re.split(r"[\s,;]+", v) if i]
    bad = [i for i in items if not _EMAIL.match(i)]
    if bad:
        raise BadValue(t("dir_bad_email", value=_shown(bad[0])))
    return ", ".join(items)


def _list(v: str) -> str:
    return ",".join(i for i in _SPLIT.split(v) if i)


def _numbers(v: str) -> str:
    return ",".join(_number(i) for i in _SPLIT.split(v) if i)


# kind -> how a non-empty value (stripped text) becomes the stored one; see Column.kind.
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
    "cron": _cron,
    "emails": _emails,
    "list": _list,
    "numbers": _numbers,
}


def normalise_value(column: Column, raw: object) -> object:
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


def check_rows(
    catalog: Catalog,
    name: str,
    rows: pd.DataFrame,
    *,
    lines: Sequence[int] | None = None,
    replace_all: bool = False,
    absent: Collection[str] = (),
) -> tuple[pd.DataFrame, list[Problem]]:
    """Normalise ``rows`` for directory ``name`` and find every problem.

    ``lines`` labels each row in the messages (CSV line numbers; default 1, 2, …).  References are
    checked against the directories as they would be after the write: the stored rows merged with
    ``rows`` (or ``rows`` alone with ``replace_all``).  Columns named in ``absent`` (not in the
    file) and empty secrets keep the stored value of a row with the same key, so a partial file
    or an exported one (tokens blanked) never wipes what it does not mention.  Returns the
    normalised frame (directory columns only) and the problems, empty when the rows may be written.
    """
    d = DIRECTORIES[name]
    labels = list(lines) if lines is not None else list(range(1, len(rows) + 1))
    problems: list[Problem] = []
    clean: dict[str, list[object]] = {}
    for c in d.columns:
        values = rows[c.name].tolist() if c.name in rows.columns else [None] * len(rows)
        clean[c.name], found = _normalise_column(c, values, labels)
        problems += found
    out = pd.DataFrame(clean, columns=d.column_names, dtype=object)
    _keep_stored(catalog, d, out, set(absent))
    for c in d.columns:
        if c.type == "INTEGER":
            out[c.name] = pd.array(out[c.name].tolist(), dtype="Int64")
    problems += _duplicate_keys(d, out, labels)
    problems += _references(catalog, d, out, labels, replace_all)
    order = {c: i for i, c in enumerate(d.column_names)}
    problems.sort(key=lambda p: (p.line if p.line is not None else -1, order.get(p.field or "", -1)))
    return out, problems


def check_stored(catalog: Catalog, name: str) -> list[Problem]:
    """Problems of a directory as stored (rows numbered as ``atsnb directory show`` lists them):
    for rows written without a check, e.g. straight into the SQLite file."""
    _, problems = check_rows(catalog, name, catalog.read(name), replace_all=True)
    return problems


def _normalise_column(c: Column, values: list[object], labels: list[int]) -> tuple[list[object], list[Problem]]:
    """One column's values normalised, each distinct value checked once (columns repeat a lot)."""
    seen: dict[object, object] = {}
    out: list[object] = []
    problems: list[Problem] = []
    for label, raw in zip(labels, values, strict=True):
        key = raw if isinstance(raw, str) or raw is None else repr(raw)
        if key not in seen:
            try:
                seen[key] = normalise_value(c, raw)
            except BadValue as exc:
                seen[key] = exc
        value = seen[key]
        if isinstance(value, BadValue):
            problems.append(Problem(label, c.name, str(value)))
            value = None
        elif value is None and c.required:
            problems.append(Problem(label, c.name, t("dir_required")))
        out.append(value)
    return out, problems


def _keep_stored(catalog: Catalog, d: Directory, out: pd.DataFrame, absent: set[str]) -> None:
    """Fill ``absent`` columns and empty secrets of already stored rows from the store, in place."""
    keep = [c.name for c in d.columns if c.name in absent or c.kind == "secret"]
    stored = catalog.read(d.name)
    if not keep or stored.empty:
        return
    by_key = {key: row for key, row in zip(_key_tuples(d, stored), stored[keep].to_dict("records"), strict=True)}
    for i, key in enumerate(_key_tuples(d, out)):
        row = by_key.get(key)
        if row is None:
            continue
        for col in keep:
            if col in absent or out.iat[i, out.columns.get_loc(col)] is None:
                value = row[col]
                out.iat[i, out.columns.get_loc(col)] = None if is_missing(value) else value


def _key_tuples(d: Directory, df: pd.DataFrame) -> list[tuple[object, ...]]:
    return [tuple(r) for r in df[list(d.key)].itertuples(index=False)]


def _duplicate_keys(d: Directory, df: pd.DataFrame, labels: list[int]) -> list[Problem]:
    first: dict[tuple[object, ...], int] = {}
    out = []
    for label, key in zip(labels, _key_tuples(d, df), strict=True):
        if any(k is None or k is pd.NA for k in key):
            continue
        if key in first:
            shown = " / ".join(str(k) for k in key)
            out.append(Problem(label, d.key[-1], t("dir_duplicate", value=shown, line=first[key])))
        else:
            first[key] = label
    return out


def _after_write(catalog: Catalog, d: Directory, rows: pd.DataFrame, replace_all: bool) -> pd.DataFrame:
    """The directory as it would read once ``rows`` are written."""
    if replace_all:
        return rows
    stored = catalog.read(d.name)
    return pd.concat([stored, rows], ignore_index=True).drop_duplicates(list(d.key), keep="last")


@dataclass
class _Rows:
    """What the whole-directory rules look at: the checked rows, their labels, and the keys of any
    directory as it would read after the write."""

    rows: pd.DataFrame
    labels: list[int]
    result: pd.DataFrame
    catalog: Catalog
    directory: Directory
    _keys: dict[str, set[object]]

    def keys(self, name: str) -> set[object]:
        if name not in self._keys:
            source = self.result if name == self.directory.name else self.catalog.read(name)
            self._keys[name] = set(source[DIRECTORIES[name].key[0]].dropna())
        return self._keys[name]

    def pairs(self, *columns: str):
        return zip(self.labels, *(self.rows[c] for c in columns), strict=True)


def _references(catalog: Catalog, d: Directory, rows: pd.DataFrame, labels: list[int],
                replace_all: bool) -> list[Problem]:
    ctx = _Rows(rows, labels, _after_write(catalog, d, rows, replace_all), catalog, d, {})
    out: list[Problem] = []
    for c in d.columns:
        if c.ref is None:
            continue
        for label, value in ctx.pairs(c.name):
            if value is not None and value not in ctx.keys(c.ref):
                out.append(Problem(label, c.name, t("dir_unknown_ref", value=_shown(str(value)),
                                                    directory=title(c.ref))))
    rule = DIRECTORY_RULES.get(d.name)
    return out + (rule(ctx) if rule else [])


def _panel_scopes(ctx: _Rows) -> list[Problem]:
    """An efficiency panel's scope is an existing employee or department, as its scope_kind says."""
    out = []
    for label, kind, scope in ctx.pairs("scope_kind", "scope"):
        target = {"employee": "employees", "department": "departments"}.get(kind or "")
        if target and scope is not None and scope not in ctx.keys(target):
            out.append(Problem(label, "scope", t("dir_unknown_ref", value=_shown(str(scope)),
                                                 directory=title(target))))
    return out


def _red_phone_targets(ctx: _Rows) -> list[Problem]:
    """A red phone of kind extension is an extension number."""
    return [
        Problem(label, "target", t("dir_bad_extension", value=_shown(str(target))))
        for label, target, kind in ctx.pairs("target", "kind")
        if kind == "extension" and target is not None and not _EXTENSION.match(str(target))
    ]


def _department_cycles(ctx: _Rows) -> list[Problem]:
    """No department ends up inside itself through its parents."""
    cyclic = parent_cycles(dict(zip(ctx.result["name"], ctx.result["parent"], strict=True)))
    return [
        Problem(label, "parent", t("dir_cycle", value=name, chain=" → ".join(cyclic[name])))
        for label, name in ctx.pairs("name")
        if name in cyclic
    ]


def _monitor_participants(ctx: _Rows) -> list[Problem]:
    """A monitor's participants are known extensions or department names."""
    out = []
    for label, participants in ctx.pairs("participants"):
        for item in (participants or "").split(","):
            if item and item not in ctx.keys("employees") and item not in ctx.keys("departments"):
                out.append(Problem(label, "participants", t("dir_unknown_participant", value=_shown(item))))
    return out


# Rules only a whole directory can break, beyond single values and declared references.
DIRECTORY_RULES: dict[str, Callable[[_Rows], list[Problem]]] = {
    "efficiency_panels": _panel_scopes,
    "red_phones": _red_phone_targets,
    "departments": _department_cycles,
    "monitors": _monitor_participants,
}
