"""The organisation: departments in a tree, employees in departments, efficiency panels.

Reports filter by a department (with everything under it), roll counts up the tree and decide
which calls are *effective* (docs/glossary.md §8) from the panel that applies to an employee.  They all read
the same three directories, so the rules live here once::

    org = Org.from_catalog(store.catalog, settings)
    org.employees_in("Продажи")                 # {"101", "102", "111"}: Sales and its teams
    org.chain("111")                            # ["Продажи 1", "Продажи"]
    org.panel_for("111")                        # Panel(min_talk_s=30, directions=…, daily_target=40)
    calls["department"] = org.department_series(calls["employee"])

Panels resolve **field by field**: each of ``min_talk_s``, ``directions`` and ``daily_target`` comes
from the employee's own panel if it sets it, else from the nearest department up the tree that
sets it, else from the default (``thresholds.effective_talk_s``, both external directions, no
target).  So a department can set the target while one employee gets a shorter talk threshold.

The directories are edited by hand, so the model is forgiving: a department an employee names but
nobody declared is treated as a top-level department, and a cycle of parents is cut where it closes
(import validation refuses both; see :mod:`atsnb.directory.rules`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from atsnb.config import Settings
from atsnb.store.directories import Catalog, is_missing

EXTERNAL_DIRECTIONS: frozenset[str] = frozenset({"incoming", "outgoing"})


@dataclass(frozen=True)
class Panel:
    """The efficiency rule for one employee: effective = answered, direction in ``directions``,
    talk ≥ ``min_talk_s``; ``daily_target`` effective calls a day (None: no target set)."""

    min_talk_s: int
    directions: frozenset[str] = EXTERNAL_DIRECTIONS
    daily_target: int | None = None


def parse_directions(text: object) -> frozenset[str] | None:
    """``"incoming,outgoing"`` → frozenset; empty → None (not set at this level)."""
    if _blank(text):
        return None
    items = {part.strip().lower() for part in str(text).replace(";", ",").split(",") if part.strip()}
    return frozenset(items) or None


def _blank(value: object) -> bool:
    return is_missing(value) or (isinstance(value, str) and not value.strip())


def _int_or_none(value: object) -> int | None:
    """A whole number, or None when blank or not a number (a hand edit must not break reports)."""
    if _blank(value):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@dataclass
class _PanelFields:
    min_talk_s: int | None = None
    directions: frozenset[str] | None = None
    daily_target: int | None = None


@dataclass
class Org:
    """Departments (``name → parent``), employees (``extension → department``) and panels."""

    parents: dict[str, str | None] = field(default_factory=dict)
    employee_department: dict[str, str | None] = field(default_factory=dict)
    employee_names: dict[str, str] = field(default_factory=dict)
    employee_panels: dict[str, _PanelFields] = field(default_factory=dict)
    department_panels: dict[str, _PanelFields] = field(default_factory=dict)
    default_panel: Panel = field(default_factory=lambda: Panel(min_talk_s=60))

    # -- construction --------------------------------------------------------------------------
    @classmethod
    def from_catalog(cls, catalog: Catalog, settings: Settings | None = None) -> Org:
        """The organisation as the directories describe it now."""
        default_talk = (settings or Settings()).thresholds.effective_talk_s
        return cls.from_frames(
            departments=catalog.read("departments"),
            employees=catalog.read("employees"),
            panels=catalog.read("efficiency_panels"),
            default_min_talk_s=default_talk,
        )

    @classmethod
    def from_frames(
        cls,
        departments: pd.DataFrame | None = None,
        employees: pd.DataFrame | None = None,
        panels: pd.DataFrame | None = None,
        *,
        default_min_talk_s: int = 60,
    ) -> Org:
        """Build from directory frames (columns as in :data:`atsnb.store.DIRECTORIES`)."""
        parents: dict[str, str | None] = {}
        for row in _records(departments):
            name = _text(row.get("name"))
            if name:
                parents[name] = _text(row.get("parent"))
        employee_department: dict[str, str | None] = {}
        employee_names: dict[str, str] = {}
        for row in _records(employees):
            ext = _text(row.get("extension"))
            if not ext:
                continue
            employee_department[ext] = _text(row.get("department"))
            name = _text(row.get("name"))
            if name:
                employee_names[ext] = name
        # Departments named by employees or as a parent but not declared: top-level departments.
        for dept in [*employee_department.values(), *parents.values()]:
            if dept and dept not in parents:
                parents[dept] = None
        by_kind: dict[str, dict[str, _PanelFields]] = {"employee": {}, "department": {}}
        for row in _records(panels):
            scope, kind = _text(row.get("scope")), (_text(row.get("scope_kind")) or "").lower()
            if scope and kind in by_kind:
                by_kind[kind][scope] = _PanelFields(
                    min_talk_s=_int_or_none(row.get("min_talk_s")),
                    directions=parse_directions(row.get("directions")),
                    daily_target=_int_or_none(row.get("daily_target")),
                )
        return cls(
            parents=parents,
            employee_department=employee_department,
            employee_names=employee_names,
            employee_panels=by_kind["employee"],
            department_panels=by_kind["department"],
            default_panel=Panel(min_talk_s=default_min_talk_s),
        )

    def __post_init__(self) -> None:
        self._tree_parent = _settled_parents(self.parents)

    # -- the tree ------------------------------------------------------------------------------
    @property
    def departments(self) -> dict[str | None, list[str]]:
        """The tree: department → its direct sub-departments (sorted); top-level ones under ``None``."""
        tree: dict[str | None, list[str]] = {name: [] for name in self._tree_parent}
        tree[None] = []
        for name in sorted(self._tree_parent):
            tree[self._tree_parent[name]].append(name)
        return tree

    def ancestors(self, dept: str) -> list[str]:
        """``dept``'s parent, grandparent, … up to the top (``dept`` itself not included)."""
        out: list[str] = []
        parent = self._tree_parent.get(dept)
        while parent is not None:
            out.append(parent)
            parent = self._tree_parent[parent]
        return out

    def descendants(self, dept: str) -> set[str]:
        """Every department below ``dept`` at any depth (``dept`` itself not included)."""
        tree = self.departments
        out: set[str] = set()
        stack = list(tree.get(dept, []))
        while stack:
            name = stack.pop()
            if name not in out:
                out.add(name)
                stack.extend(tree.get(name, []))
        return out

    def tree_rows(self) -> list[tuple[int, str]]:
        """``(depth, name)`` in tree order, parents before their children: a tree picker's rows."""
        tree = self.departments
        rows: list[tuple[int, str]] = []

        def walk(names: Iterable[str], depth: int) -> None:
            for name in names:
                rows.append((depth, name))
                walk(tree.get(name, []), depth + 1)

        walk(tree[None], 0)
        return rows

    # -- employees -----------------------------------------------------------------------------
    def department_of(self, extension: str) -> str | None:
        """The department an extension belongs to (None when it has none or is unknown)."""
        return self.employee_department.get(str(extension))

    def chain(self, extension: str) -> list[str]:
        """The extension's department, then its parent, … up to the top; [] without a department."""
        dept = self.department_of(extension)
        return [dept, *self.ancestors(dept)] if dept else []

    def employees_in(self, dept: str, recursive: bool = True) -> set[str]:
        """Extensions of ``dept`` (and, with ``recursive``, of every department below it)."""
        depts = {dept} | (self.descendants(dept) if recursive else set())
        return {ext for ext, d in self.employee_department.items() if d in depts}

    def department_series(self, extensions: pd.Series) -> pd.Series:
        """Vectorised ``extension → department`` for a calls column (NaN where none)."""
        return extensions.astype("string").astype(object).map(self.employee_department)

    def membership(self) -> pd.DataFrame:
        """One row per (extension, department it counts for): its own department and every one
        above it, with ``depth`` 0 for its own.  Merge a calls frame on it to roll counts up."""
        rows = [
            (ext, dept, depth)
            for ext in self.employee_department
            for depth, dept in enumerate(self.chain(ext))
        ]
        return pd.DataFrame(rows, columns=["extension", "department", "depth"])

    # -- efficiency panels ---------------------------------------------------------------------
    def panel_for(self, extension: str) -> Panel:
        """The efficiency rule for an extension, resolved field by field (module docstring)."""
        ext = str(extension)
        return self._resolve([self.employee_panels.get(ext)]
                             + [self.department_panels.get(d) for d in self.chain(ext)])

    def panel_for_department(self, dept: str) -> Panel:
        """The rule set by a department's own panel, else by the nearest one above it."""
        return self._resolve([self.department_panels.get(d) for d in [dept, *self.ancestors(dept)]])

    def _resolve(self, levels: list[_PanelFields | None]) -> Panel:
        found = [lv for lv in levels if lv is not None]
        default = self.default_panel
        return Panel(
            min_talk_s=next((lv.min_talk_s for lv in found if lv.min_talk_s is not None), default.min_talk_s),
            directions=next((lv.directions for lv in found if lv.directions), default.directions),
            daily_target=next((lv.daily_target for lv in found if lv.daily_target is not None),
                              default.daily_target),
        )

    def panel_table(self, extensions: Iterable[str] | None = None) -> pd.DataFrame:
        """Panels of many extensions at once, indexed by extension: ``min_talk_s``, ``directions``
        (a frozenset), ``daily_target`` — merge on a calls frame to mark effective calls."""
        exts = sorted(set(self.employee_department) if extensions is None else {str(e) for e in extensions})
        panels = [self.panel_for(ext) for ext in exts]
        return pd.DataFrame(
            {
                "min_talk_s": [p.min_talk_s for p in panels],
                "directions": [p.directions for p in panels],
                "daily_target": pd.array([p.daily_target for p in panels], dtype="Int64"),
            },
            index=pd.Index(exts, name="extension"),
        )


def _records(df: pd.DataFrame | None) -> list[dict[str, object]]:
    return [] if df is None or df.empty else df.to_dict("records")


def _text(value: object) -> str | None:
    if _blank(value):
        return None
    return str(value).strip()


def parent_cycles(parents: Mapping[object, object]) -> dict[object, list[str]]:
    """Departments on a cycle of parents → the cycle as names, from that department back to it.

    Import validation reports these cycles; the tree cuts each one, so both follow parents alike.
    """
    out: dict[object, list[str]] = {}
    for start in parents:
        path: list[object] = []
        node: object = start
        while node is not None and node in parents and node not in path:
            path.append(node)
            node = parents[node]
        if node is not None and node == start:
            out[start] = [str(n) for n in [*path, start]]
    return out


def _settled_parents(parents: dict[str, str | None]) -> dict[str, str | None]:
    """Parents as the tree uses them: an undeclared parent means top level, and in each cycle the
    alphabetically first department is cut loose to the top, so every chain ends."""
    settled = {name: (p if p in parents else None) for name, p in parents.items()}
    for cycle in parent_cycles(settled).values():
        settled[min(cycle)] = None
    return settled
