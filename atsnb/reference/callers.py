"""Who the caller is: for a column of phone numbers, the partner's name (the partners directory), the
operator and the region (the numbering registry: the store's, else the shipped DEF-9xx file).

Every table that shows a client's number adds these three columns through :meth:`Callers.identify`,
so a partner's name and a number's region read the same in the clients, red-phone and detail tables
and in the records.  The work is done once per distinct number (a year of a million calls has a few
hundred thousand clients): numbers are normalised as the call records are, turned into 11-digit
integers and looked up in the registry's sorted ranges by binary search (:mod:`numpy.searchsorted`).

The region is the one the regulator assigned the number's range; a number moved to another operator
(number portability, within the same region) still shows the operator it was issued by.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.phone_numbers import normalize_numbers
from atsnb.reference.numbering_plan import Registry
from atsnb.reference.numbering_store import stored_registry
from atsnb.store import Store
from atsnb.vectors import object_frame, text_codes

IDENTITY_COLUMNS = ["partner", "operator", "region"]
RUSSIAN_LOW, RUSSIAN_HIGH = 70_000_000_000, 79_999_999_999


@dataclass
class Callers:
    """The partners' names by normalised number and the numbering registry, ready for lookups."""

    partners: dict[str, str]
    registry: Registry

    @classmethod
    def from_store(cls, store: Store | None) -> Callers:
        """The store's partners directory and registry (the shipped one without a store of its own)."""
        if store is None:
            return cls({}, stored_registry(None))
        directory = store.catalog.read("partners")
        numbers = normalize_numbers(directory["number"].astype(object)) if len(directory) else pd.Series(dtype=object)
        names = directory["name"].astype(object).fillna("").astype(str).str.strip() if len(directory) else numbers
        partners = {n: m for n, m in zip(numbers, names, strict=True) if n and m}
        return cls(partners, stored_registry(store))

    def identify(self, numbers: pd.Series) -> pd.DataFrame:
        """``partner``, ``operator``, ``region`` of every number ("" where unknown), same index."""
        codes, uniques = text_codes(numbers)
        found = self.identify_distinct(uniques)
        at = pa.array(np.where(codes < 0, len(uniques), codes))  # a row without a number: the "" after the last
        return pd.DataFrame({c: pd.Series(pa.array(np.append(found[c].to_numpy(dtype=object), ""), pa.large_string())
                                          .take(at).to_pandas().array, index=numbers.index)
                             for c in IDENTITY_COLUMNS}, index=numbers.index)

    def identify_distinct(self, numbers: np.ndarray) -> pd.DataFrame:
        """:meth:`identify` of distinct numbers, for a report that has factorized its column already."""
        distinct = normalized(numbers)
        operator, region = self.places(distinct)
        return object_frame({"partner": self.partner_names(distinct), "operator": operator, "region": region})

    def regions_of(self, numbers: np.ndarray) -> np.ndarray:
        """The region of each of distinct ``numbers`` ("" unknown): what a chart by region needs."""
        return self.places(normalized(numbers))[1]

    def partner_names(self, numbers: np.ndarray) -> np.ndarray:
        """The partner's name of each (normalised) number, "" for numbers nobody named."""
        out = np.full(len(numbers), "", dtype=object)
        if self.partners and len(numbers):
            known = pc.index_in(pa.array(numbers, pa.large_string()),
                                value_set=pa.array(list(self.partners), pa.large_string()))
            known = known.fill_null(-1).to_numpy(zero_copy_only=False)
            names = np.asarray(list(self.partners.values()), dtype=object)
            out[known >= 0] = names[known[known >= 0]]
        return out

    def places(self, numbers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Operator and region of each normalised number: Russian 11-digit numbers found in a range."""
        operator = np.full(len(numbers), "", dtype=object)
        region = np.full(len(numbers), "", dtype=object)
        if not len(numbers) or not len(self.registry):
            return operator, region
        value = as_integers(numbers)
        at = np.flatnonzero(value > 0)
        if not len(at):
            return operator, region
        index = np.searchsorted(self.registry.starts, value[at], side="right") - 1
        inside = (index >= 0) & (value[at] <= self.registry.ends[np.maximum(index, 0)])
        found, rows = at[inside], index[inside]
        operator[found] = self.registry.operators[rows]
        region[found] = self.registry.regions[rows]
        return operator, region


def normalized(numbers: np.ndarray) -> np.ndarray:
    """:func:`~atsnb.phone_numbers.normalize_numbers` of distinct numbers, rewriting only those not
    in the canonical form already: the store's numbers were normalised when the calls were derived,
    and a year's 200,000 clients are checked by their length and first digits alone."""
    text = pa.array(numbers, pa.large_string())
    if not len(text):
        return np.asarray(numbers, dtype=object)
    length, first = pc.binary_length(text), pc.utf8_slice_codeunits(text, 0, 1)
    rewritten = pc.or_kleene(pc.invert(pc.ascii_is_decimal(text)), pc.or_(
        pc.or_(pc.and_(pc.equal(length, 11), pc.equal(first, "8")),
               pc.and_(pc.equal(length, 10), pc.is_in(first, value_set=pa.array(list("3489"))))),
        pc.or_(pc.and_(pc.starts_with(text, "810"), pc.greater(length, 11)),
               pc.and_(pc.starts_with(text, "00"), pc.greater(length, 10)))))
    out = text.to_numpy(zero_copy_only=False).astype(object)
    redo = np.flatnonzero(np.asarray(rewritten.fill_null(True), dtype=bool))
    if len(redo):
        out[redo] = normalize_numbers(pd.Series(out[redo], dtype=object)).to_numpy(dtype=object)
    return out


def as_integers(numbers: np.ndarray) -> np.ndarray:
    """Each 11-digit number starting with 7 as an integer, 0 for anything else (foreign, internal)."""
    text = pa.array(numbers, pa.large_string())
    russian = pc.and_(pc.equal(pc.binary_length(text), 11), pc.starts_with(text, "7"))
    russian = pc.and_(russian, pc.match_substring_regex(text, r"^\d+$"))
    kept = pc.if_else(russian, text, pa.scalar("0", pa.large_string()))
    return kept.cast(pa.int64()).to_numpy()
