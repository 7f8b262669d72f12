"""The Russian numbering-plan registry: which operator and region a phone number belongs to.

The telecom regulator publishes the plan as open-data CSV files (ABC-3xx, ABC-4xx, ABC-8xx for
landlines, DEF-9xx for mobiles): ``;``-separated, UTF-8 with a byte-order mark, one row per range::

    АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН
    916;0000000;0999999;1000000;ПАО "МТС";г. Москва и Московская область;...;7740000076

The package ships the DEF-9xx file (gzipped); a user points :meth:`Registry.load` at a folder with
the current files to cover landlines too.  Lookups are vectorised: range starts are kept sorted as
11-digit integers and :func:`numpy.searchsorted` finds the range of many numbers at once, so a year of
calls is annotated in milliseconds.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from atsnb.errors import InputError
from atsnb.phone_numbers import normalize_number, normalize_numbers

#: Header markers that identify a registry file (the first column's name varies: "АВС/ DEF", "ABC/DEF").
HEADER_MARKERS = ("от", "до", "емкость", "оператор", "регион")
FILE_PATTERN = re.compile(r"^(ABC|АВС|DEF)-\d[x0-9]{2}.*\.csv(\.gz)?$", re.IGNORECASE)
SHIPPED = "DEF-9xx.csv.gz"


def _region(region: str, territory: str) -> str:
    """The federal subject of a range: the last ``|`` part; a ``-`` region falls back to the territory."""
    value = region.strip()
    if not value or value == "-":
        value = territory.strip()
    parts = [p.strip() for p in value.split("|") if p.strip() and p.strip() != "-"]
    return parts[-1] if parts else ""


@dataclass
class Registry:
    """Sorted, non-overlapping number ranges with their operator and region."""

    starts: np.ndarray  # int64, 11-digit first number of each range, sorted
    ends: np.ndarray  # int64, last number of each range (inclusive)
    operators: np.ndarray  # object (str)
    regions: np.ndarray  # object (str)

    # -- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path | None = None) -> Registry:
        """The shipped DEF-9xx registry, or every registry CSV in ``path`` (a folder or one file)."""
        if path is None:
            shipped = resources.files("atsnb").joinpath("data", "numbering", SHIPPED)
            with shipped.open("rb") as fh:
                return cls.from_frames([_parse(gzip.decompress(fh.read()), SHIPPED)])
        p = Path(path).expanduser()
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if FILE_PATTERN.match(f.name))
            if not files:
                raise InputError(f"The folder {p} has no numbering registry files (ABC-3xx.csv … DEF-9xx.csv).")
        elif p.exists():
            files = [p]
        else:
            raise InputError(f"The numbering registry {p} does not exist.")
        frames = []
        for f in files:
            data = f.read_bytes()
            if f.suffix == ".gz":
                data = gzip.decompress(data)
            frames.append(_parse(data, f.name))
        return cls.from_frames(frames)

    @classmethod
    def from_frames(cls, frames: Iterable[pd.DataFrame]) -> Registry:
        df = pd.concat(list(frames), ignore_index=True).sort_values("start", kind="stable")
        df = df.drop_duplicates("start", keep="last")
        return cls(
            starts=df["start"].to_numpy(np.int64),
            ends=df["end"].to_numpy(np.int64),
            operators=df["operator"].to_numpy(object),
            regions=df["region"].to_numpy(object),
        )

    def __len__(self) -> int:
        return len(self.starts)

    # -- lookup --------------------------------------------------------------------------------
    def _index(self, numbers: np.ndarray) -> np.ndarray:
        """Range index of each 11-digit number, -1 where no range holds it."""
        idx = np.searchsorted(self.starts, numbers, side="right") - 1
        ok = (idx >= 0) & (numbers <= self.ends[np.clip(idx, 0, None)])
        return np.where(ok, idx, -1)

    def lookup(self, number: object) -> tuple[str, str] | None:
        """``(operator, region)`` of one number in any common spelling, or None if it is not Russian/known."""
        digits = normalize_number(number)
        if len(digits) != 11 or digits[0] != "7":
            return None
        i = int(self._index(np.array([int(digits)], dtype=np.int64))[0])
        return None if i < 0 else (self.operators[i], self.regions[i])

    def lookup_many(self, numbers: pd.Series) -> pd.DataFrame:
        """Operator and region for a column of numbers (empty strings where unknown), same index."""
        norm = normalize_numbers(pd.Series(numbers))
        valid = (norm.str.len() == 11) & norm.str.startswith("7")
        values = np.zeros(len(norm), dtype=np.int64)
        values[valid.to_numpy()] = norm[valid].astype(np.int64).to_numpy()
        idx = np.where(valid.to_numpy(), self._index(values), -1)
        found = idx >= 0
        operator = np.full(len(norm), "", dtype=object)
        region = np.full(len(norm), "", dtype=object)
        operator[found] = self.operators[idx[found]]
        region[found] = self.regions[idx[found]]
        return pd.DataFrame({"operator": operator, "region": region}, index=norm.index)

    # -- sampling ------------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, n: int, *, prefer_region: str = "", prefer_share: float = 0.0,
               ) -> np.ndarray:
        """``n`` random valid numbers (11-digit strings) drawn from real ranges, weighted by capacity.

        ``prefer_share`` of them come from ranges whose region contains ``prefer_region`` (a company's
        clients are mostly local); the rest from anywhere in the country.
        """
        capacity = (self.ends - self.starts + 1).astype(float)
        local = np.array([prefer_region.lower() in r.lower() for r in self.regions]) if prefer_region else None
        n_local = int(round(n * prefer_share)) if local is not None and local.any() else 0
        picks = []
        for count, mask in ((n_local, local), (n - n_local, None)):
            if count <= 0:
                continue
            weights = capacity if mask is None else np.where(mask, capacity, 0.0)
            ranges = rng.choice(len(capacity), size=count, p=weights / weights.sum())
            offset = (rng.random(count) * capacity[ranges]).astype(np.int64)
            picks.append(self.starts[ranges] + offset)
        numbers = np.concatenate(picks) if picks else np.empty(0, dtype=np.int64)
        rng.shuffle(numbers)
        return numbers.astype(str).astype(object)


@cache
def default_registry() -> Registry:
    """The shipped registry, loaded once per process (reports and the simulator share it)."""
    return Registry.load()


def _parse(data: bytes, name: str) -> pd.DataFrame:
    """One registry CSV → ``start, end, operator, region``; a bad header or row names file and line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name}: the file is not UTF-8 text (the registry is published in UTF-8).") from None
    rows = csv.reader(io.StringIO(text), delimiter=";")
    header = next(rows, None)
    names = [h.strip().lower() for h in header or []]
    missing = [m for m in HEADER_MARKERS if not any(n.startswith(m) for n in names)]
    if header is None or len(names) < 7 or missing:
        raise InputError(
            f"{name}, line 1: not a numbering registry header (expected columns "
            f"'АВС/ DEF;От;До;Емкость;Оператор;Регион;…', missing: {', '.join(missing) or 'columns'})."
        )
    col = {m: next(i for i, n in enumerate(names) if n.startswith(m)) for m in HEADER_MARKERS}
    territory_col = next((i for i, n in enumerate(names) if n.startswith("территория")), None)
    starts, ends, operators, regions = [], [], [], []
    for line_no, row in enumerate(rows, start=2):
        if not row or not "".join(row).strip():
            continue
        try:
            code = int(row[0])
            first, last = int(row[col["от"]]), int(row[col["до"]])
            if not (100 <= code <= 999 and 0 <= first <= last <= 9_999_999):
                raise ValueError
            operator, region = row[col["оператор"]], row[col["регион"]]
            territory = row[territory_col] if territory_col is not None else ""
        except (ValueError, IndexError):
            raise InputError(
                f"{name}, line {line_no}: expected code;from;to;capacity;operator;region;… with numbers "
                f"in the first three fields, got {';'.join(row)[:80]!r}."
            ) from None
        base = 70_000_000_000 + code * 10_000_000
        starts.append(base + first)
        ends.append(base + last)
        operators.append(operator.strip())
        regions.append(_region(region, territory))
    return pd.DataFrame({"start": starts, "end": ends, "operator": operators, "region": regions})
