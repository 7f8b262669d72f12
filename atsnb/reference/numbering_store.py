"""The numbering registry kept in the store: ``atsnb registry load DIR`` reads the regulator's files
once, every report then looks numbers up in the store's copy instead of the shipped DEF-9xx file.

Loading is forgiving row by row and strict file by file.  The regulator's files (ABC-3xx, ABC-4xx,
ABC-8xx, DEF-9xx; about 450,000 ranges together) have a few odd rows — a region of ``-``, a range
written backwards — so a bad row is counted with its reason and the first line it was seen on, and
the rest of the file is kept.  A file that is not a registry at all (the download site's error page
saved as ``DEF-9xx.csv``, a file with another header) or that has no usable row stops the load
before anything is written: the stored registry is replaced only by a complete new one.

The copy is one Parquet file (``<store>/reference/numbering.parquet``: start, end, operator,
region, sorted by start), written next to its final name and renamed over it, so a reader never sees
half a registry; :func:`stored_registry` reads it once per change of the file.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atsnb.errors import InputError
from atsnb.i18n import t
from atsnb.reference.numbering_plan import FILE_PATTERN, HEADER_MARKERS, Registry, default_registry
from atsnb.reference.numbering_plan import _region as region_of
from atsnb.reference.regions import canonical_regions
from atsnb.store import Store

FOLDER = "reference"
FILE = "numbering.parquet"
STATE_KEY = "numbering_registry"  # the catalog's record of the last load (files, rows, when)
# why a row is left out, in the order they are checked (a row is counted under its first reason;
# the words are the locale's ``reg_reason_<reason>``)
REASONS = ("fields", "code", "bounds", "order", "operator")
PROGRESS_EVERY = 50_000  # rows between two progress reports of one file


@dataclass
class FileReport:
    """What one file gave: rows read, ranges kept, rows left out per reason with the first line."""

    name: str
    read: int = 0
    kept: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    first_line: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def lines(self) -> list[str]:
        """The file's summary and one line per reason a row was left out (in the reader's language)."""
        out = [t("reg_file_summary", name=self.name, read=_n(self.read), kept=_n(self.kept),
                 rejected=_n(self.rejected_total))]
        out += [t("reg_rejected_reason", count=_n(count), reason=t(f"reg_reason_{reason}"),
                  line=self.first_line[reason]) for reason, count in self.rejected.items()]
        return out


def _n(value: int) -> str:
    """A count with thin spaces between thousands, as the reports print them: 450 123."""
    return f"{value:,}".replace(",", "\u202f")


@dataclass
class LoadReport:
    """A whole load: the files' reports and the ranges of the registry it made."""

    files: list[FileReport]
    ranges: int
    overlapping: int  # ranges dropped because another file or row starts at the same number

    def lines(self) -> list[str]:
        out = [line for f in self.files for line in f.lines()]
        total = t("reg_total", ranges=_n(self.ranges), files=len(self.files))
        out.append(total + (t("reg_duplicates", count=_n(self.overlapping)) if self.overlapping else ""))
        return out

    def as_state(self) -> str:
        return json.dumps({"ranges": self.ranges, "files": [
            {"name": f.name, "read": f.read, "kept": f.kept, "rejected": f.rejected} for f in self.files]},
            ensure_ascii=False)


Progress = Callable[[str, int], None]  # (file name, rows read so far)


def registry_files(path: str | os.PathLike[str]) -> list[Path]:
    """The registry CSVs of a folder (``ABC-3xx.csv`` … ``DEF-9xx.csv``, gzipped too), or one file."""
    p = Path(os.path.expanduser(os.fspath(path)))
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if FILE_PATTERN.match(f.name))
        if not files:
            raise InputError(f"The folder {p} has no numbering registry files (ABC-3xx.csv, ABC-4xx.csv, "
                             "ABC-8xx.csv, DEF-9xx.csv).")
        return files
    if p.is_file():
        return [p]
    raise InputError(f"The numbering registry folder {p} does not exist.")


def parse_file(data: bytes, name: str, progress: Progress | None = None) -> tuple[pd.DataFrame, FileReport]:
    """One registry CSV → its ranges (start, end, operator, region) and what was left out.  An
    unreadable file or one without the registry's header raises :class:`InputError` naming it."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not UTF-8 text (the registry is published in UTF-8); nothing was loaded.") from None
    rows = csv.reader(io.StringIO(text), delimiter=";")
    header = next(rows, None) or []
    names = [h.strip().lower() for h in header]
    missing = [m for m in HEADER_MARKERS if not any(n.startswith(m) for n in names)]
    if len(names) < 6 or missing:
        shown = ";".join(header)[:80]
        raise InputError(f"{name}, line 1: not a numbering registry header (expected "
                         f"'АВС/ DEF;От;До;Емкость;Оператор;Регион;…', got {shown!r}); nothing was loaded.")
    col = {m: next(i for i, n in enumerate(names) if n.startswith(m)) for m in HEADER_MARKERS}
    territory = next((i for i, n in enumerate(names) if n.startswith("территория")), None)
    report = FileReport(name)
    width = max(col.values()) + 1
    codes, firsts, lasts, operators, regions, lines = [], [], [], [], [], []
    reject_line: list[tuple[str, int]] = []
    for line_no, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip():
            continue
        report.read += 1
        if progress is not None and report.read % PROGRESS_EVERY == 0:
            progress(name, report.read)
        if len(row) < width:
            reject_line.append(("fields", line_no))
            continue
        codes.append(row[0].strip())
        firsts.append(row[col["от"]].strip())
        lasts.append(row[col["до"]].strip())
        operators.append(row[col["оператор"]].strip())
        regions.append(region_of(row[col["регион"]], row[territory] if territory is not None and territory < len(row) else ""))
        lines.append(line_no)
    frame = pd.DataFrame({"code": codes, "from": firsts, "to": lasts, "operator": operators, "region": regions,
                          "line": lines})
    reason = checked(frame)
    for why, line_no in reject_line:  # short rows come first in the counts' order of reasons
        report.rejected[why] = report.rejected.get(why, 0) + 1
        report.first_line.setdefault(why, line_no)
    for why in REASONS:
        bad = reason == why
        if bad.any():
            report.rejected[why] = report.rejected.get(why, 0) + int(bad.sum())
            report.first_line[why] = min(report.first_line.get(why, 1 << 30), int(frame["line"].to_numpy()[bad].min()))
    good = frame[reason == ""]
    base = 70_000_000_000 + good["code"].astype(np.int64).to_numpy() * 10_000_000
    ranges = pd.DataFrame({"start": base + good["from"].astype(np.int64).to_numpy(),
                           "end": base + good["to"].astype(np.int64).to_numpy(),
                           "operator": good["operator"].to_numpy(object),
                           "region": canonical_regions(good["region"].to_numpy(object))})
    report.kept = len(ranges)
    if progress is not None:
        progress(name, report.read)
    return ranges, report


def checked(frame: pd.DataFrame) -> np.ndarray:
    """Per row the first reason of :data:`REASONS` it fails, "" for a good row (whole columns at a time)."""
    reason = np.full(len(frame), "", dtype=object)

    def mark(bad: np.ndarray, why: str) -> None:
        reason[bad & (reason == "")] = why

    code_ok = frame["code"].str.fullmatch(r"\d{3}").to_numpy(dtype=bool)
    mark(~code_ok, "code")
    bounds_ok = (frame["from"].str.fullmatch(r"\d{1,7}") & frame["to"].str.fullmatch(r"\d{1,7}")).to_numpy(dtype=bool)
    mark(~bounds_ok, "bounds")
    first = pd.to_numeric(frame["from"].where(bounds_ok, "0")).to_numpy()
    last = pd.to_numeric(frame["to"].where(bounds_ok, "0")).to_numpy()
    mark(first > last, "order")
    mark(frame["operator"].eq("").to_numpy(dtype=bool), "operator")
    return reason


def read_files(files: Iterable[Path], progress: Progress | None = None) -> tuple[Registry, LoadReport]:
    """Every file parsed (all or nothing: one unreadable file stops the load) into one registry."""
    frames, reports = [], []
    for f in files:
        data = f.read_bytes()
        if f.name.endswith(".gz"):
            data = gzip.decompress(data)
        ranges, report = parse_file(data, f.name, progress)
        if report.kept == 0:
            raise InputError(f"{f.name}: no usable range in {report.read} rows "
                             f"({'; '.join(report.lines()[1:]).strip() or 'the file is empty'}); nothing was loaded.")
        frames.append(ranges)
        reports.append(report)
    every = sum(len(f) for f in frames)
    registry = Registry.from_frames(frames)
    return registry, LoadReport(reports, len(registry), every - len(registry))


def registry_path(store: Store) -> Path:
    return store.root / FOLDER / FILE


def save_registry(store: Store, registry: Registry, report: LoadReport) -> Path:
    """Write ``registry`` as the store's registry (atomically: a temporary file renamed over it)."""
    path = registry_path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table({
        "start": pa.array(registry.starts, pa.int64()), "end": pa.array(registry.ends, pa.int64()),
        "operator": pa.array(registry.operators, pa.string()).dictionary_encode(),
        "region": pa.array(registry.regions, pa.string()).dictionary_encode(),
    })
    temporary = path.with_suffix(".parquet.tmp")
    with store.writing():
        pq.write_table(table, temporary)
        os.replace(temporary, path)
        store.catalog.set_state(STATE_KEY, report.as_state())
    _cache.clear()
    return path


def load_into_store(store: Store, path: str | os.PathLike[str], progress: Progress | None = None) -> LoadReport:
    """``atsnb registry load``: read the folder's registry files and make them the store's registry."""
    registry, report = read_files(registry_files(path), progress)
    save_registry(store, registry, report)
    return report


_cache: dict[Path, tuple[tuple[int, int], Registry]] = {}


def stored_registry(store: Store | None) -> Registry:
    """The store's registry when one was loaded, else the shipped DEF-9xx one; read once per change.
    Either way its region names are in one spelling (:mod:`atsnb.reference.regions`), also for a
    registry file saved before they were."""
    if store is None:
        return shipped_registry()
    path = registry_path(store)
    try:
        st = path.stat()
    except FileNotFoundError:
        return shipped_registry()
    stamp = (st.st_size, st.st_mtime_ns)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    table = pq.read_table(path)
    registry = Registry(
        starts=table["start"].to_numpy(), ends=table["end"].to_numpy(),
        operators=np.asarray(table["operator"].cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object),
        regions=canonical_regions(np.asarray(table["region"].cast(pa.string()).to_numpy(zero_copy_only=False),
                                             dtype=object)),
    )
    _cache[path] = (stamp, registry)
    return registry


@functools.cache
def shipped_registry() -> Registry:
    """The shipped registry with its region names in one spelling, made once per process."""
    shipped = default_registry()
    return replace(shipped, regions=canonical_regions(shipped.regions))


def registry_status(store: Store) -> dict[str, object]:
    """Where the store's lookups come from: ``source`` (``store`` or ``shipped``), ranges, the files
    of the last load with their counts."""
    state = store.catalog.get_state(STATE_KEY)
    if not registry_path(store).is_file() or not state:
        return {"source": "shipped", "ranges": len(default_registry()), "files": []}
    return {"source": "store", **json.loads(state)}
