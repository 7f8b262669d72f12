"""Checking whole directory rows before they are written.

The declarations in :data:`atsnb.store.DIRECTORIES` say what each column holds (``kind``), which
are required, and which must name a row of another directory (``ref``).  :func:`check_rows` applies
them to a whole frame and returns the normalised rows together with **every** problem found, so
a CSV import or the dashboard editor can show all mistakes at once and write nothing until they
are fixed.  Problems are located by row label (the CSV line number when the caller passes one).
Single values are parsed by :mod:`atsnb.directory.values`.

Beyond single values it checks what only the whole directory shows: duplicate keys, references
(an employee's department must exist, a department's parent must exist, an efficiency panel's
scope must be a known employee or department) and cycles of department parents.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

from atsnb.directory.values import EXTENSION, BadValue, normalise_value, shown
from atsnb.i18n import t
from atsnb.reference.org import parent_cycles
from atsnb.store.directories import DIRECTORIES, Catalog, Directory, DirectoryColumn, is_missing


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


def title(name: str) -> str:
    """A directory's name as the user reads it («Отделы», "Departments")."""
    return t(f"dir_title_{name}")


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


def _normalise_column(c: DirectoryColumn, values: list[object], labels: list[int]) -> tuple[list[object], list[Problem]]:
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

    def pairs(self, *columns: str) -> Iterator[tuple[object, ...]]:
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
                out.append(Problem(label, c.name, t("dir_unknown_ref", value=shown(str(value)),
                                                    directory=title(c.ref))))
    rule = DIRECTORY_RULES.get(d.name)
    return out + (rule(ctx) if rule else [])


def _panel_scopes(ctx: _Rows) -> list[Problem]:
    """An efficiency panel's scope is an existing employee or department, as its scope_kind says."""
    out = []
    for label, kind, scope in ctx.pairs("scope_kind", "scope"):
        target = {"employee": "employees", "department": "departments"}.get(kind or "")
        if target and scope is not None and scope not in ctx.keys(target):
            out.append(Problem(label, "scope", t("dir_unknown_ref", value=shown(str(scope)),
                                                 directory=title(target))))
    return out


def _red_phone_targets(ctx: _Rows) -> list[Problem]:
    """A red phone of kind extension is an extension number."""
    return [
        Problem(label, "target", t("dir_bad_extension", value=shown(str(target))))
        for label, target, kind in ctx.pairs("target", "kind")
        if kind == "extension" and target is not None and not EXTENSION.match(str(target))
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
                out.append(Problem(label, "participants", t("dir_unknown_participant", value=shown(item))))
    return out


# Rules only a whole directory can break, beyond single values and declared references.
DIRECTORY_RULES: dict[str, Callable[[_Rows], list[Problem]]] = {
    "efficiency_panels": _panel_scopes,
    "red_phones": _red_phone_targets,
    "departments": _department_cycles,
    "monitors": _monitor_participants,
}
