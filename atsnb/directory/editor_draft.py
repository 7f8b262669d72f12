"""A directory being edited in the browser: the rows as typed, kept apart from the store until Save.

The editor's tables show and change a :class:`Draft`; nothing reaches the store before
:meth:`Draft.save`, which writes the whole directory through the CSV import's write path
(:func:`atsnb.directory.csv_io.import_rows`: the same checks, the same messages, all or nothing).
A rejected save leaves every row in the draft with its problems attached, so a bad row is never
lost; :meth:`Draft.discard` (undo) goes back to what is stored.

Cells are kept as the text a person typed (``None`` for an empty cell).  Secret columns (a bot's
token) are never read into a draft: an empty secret keeps the stored one on save.  Columns the
sync fills from the call records (``calls``, ``first_seen``, ``last_seen``, ``seen_as``) are carried
along unchanged and shown read-only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from atsnb.directory.csv_io import ImportResult, import_rows
from atsnb.directory.rules import Problem, check_rows
from atsnb.directory.values import BadValue, normalise_value
from atsnb.i18n import t
from atsnb.store.directories import DIRECTORIES, Catalog, Directory, DirectoryColumn, is_missing

# filled from the call records by "Fill from the PBX": shown, never typed over
FILLED = frozenset({"calls", "first_seen", "last_seen", "seen_as"})


def editable(column: DirectoryColumn) -> bool:
    """Whether the editor offers the column for typing (not a secret, not filled from the records)."""
    return column.kind != "secret" and column.name not in FILLED


def shown_columns(d: Directory) -> list[DirectoryColumn]:
    """The columns a table shows: every one but secrets."""
    return [c for c in d.columns if c.kind != "secret"]


def as_text(value: object) -> str | None:
    """A stored cell as the editor shows it: ``None`` when empty, whole numbers without ``.0``."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def cell_problem(column: DirectoryColumn, text: str | None) -> str | None:
    """What is wrong with one typed cell on its own (the import's message), ``None`` when fine."""
    try:
        value = normalise_value(column, text)
    except BadValue as exc:
        return str(exc)
    if value is None and column.required:
        return t("dir_required")
    return None


@dataclass
class Draft:
    """The rows of directory ``name`` as edited, and the problems of the last check."""

    catalog: Catalog
    name: str
    rows: list[dict[str, str | None]] = field(default_factory=list)
    problems: dict[int, list[Problem]] = field(default_factory=dict)  # by row index
    dirty: bool = False

    def __post_init__(self) -> None:
        self.discard()

    @property
    def directory(self) -> Directory:
        return DIRECTORIES[self.name]

    def discard(self) -> None:
        """Undo: the rows as stored, every edit since the last save dropped."""
        stored = self.catalog.read(self.name)
        columns = [c.name for c in shown_columns(self.directory)]
        self.rows = [{c: as_text(v) for c, v in zip(columns, row, strict=True)}
                     for row in stored[columns].itertuples(index=False, name=None)]
        self.problems = {}
        self.dirty = False

    def set(self, row: int, column: str, text: str | None) -> str | None:
        """Type ``text`` into a cell; returns the cell's own problem (``None`` when it is fine)."""
        text = None if text is None or not str(text).strip() else str(text)
        if self.rows[row].get(column) != text:
            self.rows[row][column] = text
            self.dirty = True
        return cell_problem(self.directory.column(column), text)

    def add(self, values: dict[str, str | None] | None = None) -> int:
        """A new row at the end (empty, or with ``values``); returns its index."""
        row: dict[str, str | None] = dict.fromkeys((c.name for c in shown_columns(self.directory)), None)
        row.update(values or {})
        self.rows.append(row)
        self.dirty = True
        return len(self.rows) - 1

    def delete(self, row: int) -> None:
        """Remove a row from the draft (from the store on save; undo brings it back)."""
        del self.rows[row]
        self.problems = {(i if i < row else i - 1): p for i, p in self.problems.items() if i != row}
        self.dirty = True

    def frame(self) -> pd.DataFrame:
        """The draft as text cells, one column per shown column."""
        columns = [c.name for c in shown_columns(self.directory)]
        return pd.DataFrame([[r.get(c) for c in columns] for r in self.rows], columns=columns, dtype=object)

    def check(self) -> list[Problem]:
        """Every problem of the draft as a whole (keys, references, cycles), without writing."""
        _, found = check_rows(self.catalog, self.name, self.frame(), replace_all=True)
        self._file(found)
        return found

    def save(self) -> ImportResult | None:
        """Write the whole directory as the draft has it (rows not in it are removed), through the
        CSV import's checks; ``None`` when a problem stopped it (then nothing is written and
        :attr:`problems` says which rows)."""
        result, found = import_rows(self.catalog, self.name, self.frame(), replace=True)
        self._file(found)
        if result is None:
            return None
        self.discard()
        return result

    def _file(self, found: list[Problem]) -> None:
        """Problems by row index (the check labels rows 1, 2, …); one without a row goes to row 0."""
        by_row: dict[int, list[Problem]] = defaultdict(list)
        for problem in found:
            by_row[max((problem.line or 1) - 1, 0)].append(problem)
        self.problems = dict(by_row)
