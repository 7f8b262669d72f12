"""Directories to and from CSV files, the way people keep them in spreadsheets.

Reading accepts what spreadsheets write: UTF-8 with or without a BOM (Windows-1251 when the file
is not UTF-8, as Russian Excel saves "CSV"), ``;``, ``,`` or tab as the separator (guessed from
the header line), header names equal to the column names or to their Russian aliases
(«Добавочный», «ФИО», «Отдел» …, declared in :data:`atsnb.store.DIRECTORIES`).

An import is all or nothing: every row is checked (:mod:`atsnb.directory.rules`), all problems
of the file are reported together in one :class:`~atsnb.errors.InputError` naming file, line and
field, and nothing is written unless there are none.  Columns the file does not have keep their
stored values, so a file with only extensions and names does not erase departments.

Writing produces UTF-8 with a BOM and ``;``: it opens correctly in Excel with Russian settings,
and it reads back unchanged.  Secrets (bot tokens) are left empty.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from atsnb.directory.rules import Problem, check_rows
from atsnb.errors import InputError
from atsnb.i18n import t
from atsnb.store.directories import DIRECTORIES, Catalog, Directory

MAX_REPORTED = 100


@dataclass(frozen=True)
class ImportResult:
    """What an import changed: rows added, rows updated, rows removed (only with ``replace``)."""

    added: int
    updated: int
    removed: int


@dataclass(frozen=True)
class ParsedFile:
    """A CSV file mapped onto a directory: raw text cells, the file line of each row, and which
    directory columns the file has."""

    rows: pd.DataFrame
    lines: list[int]
    present: list[str]


def decode(data: bytes) -> str:
    """File bytes as text: UTF-8 (a BOM is dropped), else Windows-1251."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")


def sniff_delimiter(header_line: str) -> str:
    """The separator the header uses most: ``;``, ``,`` or tab (``;`` when there is a single column)."""
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ";"


def _header_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("ё", "е"))


def header_names(d: Directory) -> dict[str, str]:
    """Every accepted header (normalised: lower case, ё→е, single spaces) → column name."""
    out: dict[str, str] = {}
    for c in d.columns:
        for alias in (c.name, *c.aliases):
            out[_header_key(alias)] = c.name
    return out


def parse_csv(text: str, name: str, source: str) -> ParsedFile:
    """Map CSV text onto directory ``name``; raises :class:`InputError` for a bad header or row shape."""
    d = DIRECTORIES[name]
    first_line = text.split("\n", 1)[0].rstrip("\r")
    stream = io.StringIO(text, newline="")
    skipped = 0
    if first_line.lower().startswith("sep=") and len(first_line) == 5:  # Excel's separator hint
        delimiter, skipped = first_line[4], 1
        stream.readline()
    else:
        delimiter = sniff_delimiter(first_line)
    reader = csv.reader(stream, delimiter=delimiter)
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise InputError(t("dir_csv_empty", source=source))
    known, header_line = header_names(d), 1 + skipped
    problems: list[Problem] = []
    columns: list[str | None] = []
    for cell in header:
        column = known.get(_header_key(cell))
        if column is None and cell.strip():
            problems.append(Problem(header_line, None, t("dir_csv_unknown_column", value=cell.strip(),
                                                         known=", ".join(d.column_names))))
        elif column is not None and column in columns:
            problems.append(Problem(header_line, None, t("dir_csv_double_column", value=cell.strip(),
                                                         column=column)))
            column = None
        columns.append(column)
    missing = [c.name for c in d.columns if c.required and c.name not in columns]
    problems += [Problem(header_line, None, t("dir_csv_missing_column", column=c)) for c in missing]
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    line = reader.line_num + 1 + skipped
    for cells in reader:
        if any(cell.strip() for cell in cells):
            if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns):]):
                problems.append(Problem(line, None, t("dir_csv_extra_cells", count=len(cells),
                                                      columns=len(columns))))
            rows.append({col: cell for col, cell in zip(columns, cells, strict=False) if col is not None})
            lines.append(line)
        line = reader.line_num + 1 + skipped
    if problems:
        raise InputError(report(problems, source))
    present = [c for c in columns if c is not None]
    return ParsedFile(pd.DataFrame(rows, columns=present, dtype=object), lines, present)


def report(problems: list[Problem], source: str) -> str:
    """All problems of one file as one message: a summary sentence, then one line each."""
    shown = [p.describe(source) for p in problems[:MAX_REPORTED]]
    if len(problems) > MAX_REPORTED:
        shown.append(t("dir_csv_more", count=len(problems) - MAX_REPORTED))
    return "\n".join([t("dir_csv_rejected", source=source, count=len(problems)), *shown])


def import_csv(catalog: Catalog, name: str, path: str | Path, *, replace: bool = False) -> ImportResult:
    """Check every row of the CSV file and write it into directory ``name``.

    With ``replace`` the directory becomes exactly the file (rows not in it are removed); without,
    the file's rows are added or update the rows with the same key.  Raises :class:`InputError`
    listing every problem, and then writes nothing.
    """
    path = Path(path)
    if name not in DIRECTORIES:
        raise InputError(t("dir_unknown", name=name, known=", ".join(DIRECTORIES)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(t("dir_csv_unreadable", source=str(path), reason=exc.strerror or str(exc))) from None
    return import_text(catalog, name, decode(data), source=path.name, replace=replace)


def import_text(catalog: Catalog, name: str, text: str, *, source: str, replace: bool = False) -> ImportResult:
    """:func:`import_csv` for text already in memory (an upload in the dashboard); ``source`` names it."""
    d = DIRECTORIES[name]
    parsed = parse_csv(text, name, source)
    absent = [c for c in d.column_names if c not in parsed.present]
    result, problems = import_rows(catalog, name, parsed.rows, lines=parsed.lines, replace=replace, absent=absent)
    if problems or result is None:
        raise InputError(report(problems, source))
    return result


def import_rows(catalog: Catalog, name: str, rows: pd.DataFrame, *, lines: list[int] | None = None,
                replace: bool = False, absent: list[str] | None = None) -> tuple[ImportResult | None, list[Problem]]:
    """Check ``rows`` (text cells) and write them only when none has a problem: the one write path
    of a CSV import and of the editor's Save.  Returns what changed, or ``None`` and every problem
    (rows labelled by ``lines``) with nothing written."""
    d = DIRECTORIES[name]
    clean, problems = check_rows(catalog, name, rows, lines=lines, replace_all=replace, absent=absent or ())
    if problems:
        return None, problems
    stored = catalog.read(name)
    before = set(stored[list(d.key)].itertuples(index=False, name=None))
    after = set(clean[list(d.key)].itertuples(index=False, name=None))
    catalog.upsert(name, clean, replace_all=replace)
    return ImportResult(
        added=len(after - before),
        updated=len(after & before),
        removed=len(before - after) if replace else 0,
    ), []


def export_text(catalog: Catalog, name: str, *, delimiter: str = ";") -> str:
    """Directory ``name`` as CSV text: header = column names, secrets empty."""
    return _export(catalog, name, delimiter)[0]


def export_csv(catalog: Catalog, name: str, path: str | Path, *, delimiter: str = ";") -> int:
    """Write directory ``name`` to a CSV file (UTF-8 with BOM); returns the number of rows."""
    text, count = _export(catalog, name, delimiter)
    Path(path).write_text(text, encoding="utf-8-sig", newline="")
    return count


def _export(catalog: Catalog, name: str, delimiter: str) -> tuple[str, int]:
    if name not in DIRECTORIES:
        raise InputError(t("dir_unknown", name=name, known=", ".join(DIRECTORIES)))
    d = DIRECTORIES[name]
    df = catalog.read(name)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(d.column_names)
    for row in df.itertuples(index=False):
        writer.writerow(
            "" if c.kind == "secret" or pd.isna(value) else str(value)
            for c, value in zip(d.columns, row, strict=True)
        )
    return buf.getvalue(), len(df)
