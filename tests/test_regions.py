"""Region names in one spelling: the registry's several spellings of one region become one, so a
chart by region never shows a region twice; the store's numbers are looked up as they were before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atsnb.metrics.clients import calls_by_region
from atsnb.phone_numbers import normalize_numbers
from atsnb.reference.callers import Callers, normalized
from atsnb.reference.numbering_plan import Registry, default_registry
from atsnb.reference.numbering_store import shipped_registry
from atsnb.reference.regions import canonical_region, canonical_regions


@pytest.mark.parametrize(("spellings", "one"), [
    (["г. Москва и Московская область", "Москва и Московская область", "Город Москва, Московская область",
      "Московская область * Москва", "Московская область, Город Москва"], "Москва и Московская область"),
    (["Курская обл.", "Курская область"], "Курская область"),
    (["Республика Удмуртская", "Удмуртская Республика"], "Удмуртская Республика"),
    (["Республика Донецкая Народная", "Донецкая Народная Республика"], "Донецкая Народная Республика"),
    (["Республика Саха /Якутия/", "Республика Саха (Якутия)"], "Республика Саха (Якутия)"),
    (["Ханты - Мансийский - Югра АО", "Ханты-Мансийский АО - Югра", "Ханты-Мансийский Автономный округ - Югра АО",
      "Ханты-Мансийский автономный округ - Югра"], "Ханты-Мансийский автономный округ - Югра"),
    (["Кемеровская обл.", "Кемеровская область - Кузбасс обл.", "Кемеровская область - Кузбасс"],
     "Кемеровская область - Кузбасс"),
    (["Республика Крым и г. Севастополь", "Республика Крым * г. Севастополь", "Республика Крым, Город Севастополь"],
     "Республика Крым и Севастополь"),
    (["Ненецкий АО"], "Ненецкий автономный округ"),
])
def test_the_spellings_of_one_region_become_one(spellings, one):
    assert {canonical_region(s) for s in spellings} == {one}


def test_names_already_in_one_spelling_stay_as_they_are():
    for name in ["Республика Татарстан", "Алтайский край", "Республика Марий Эл", "Чукотский автономный округ",
                 "Республика Северная Осетия - Алания", "Еврейская автономная область", ""]:
        assert canonical_region(name) == name
    assert canonical_region("  Тверская   обл. ") == "Тверская область"


def test_the_shipped_registry_names_each_region_once():
    raw = default_registry().regions
    one = shipped_registry().regions
    assert len(set(one)) < len(set(raw))
    assert not [r for r in set(one) if r.endswith("обл.") or r.startswith(("г. ", "Город "))]
    assert (canonical_regions(raw) == one).all()


def test_a_chart_by_region_counts_one_region_once():
    registry = Registry(starts=np.array([79160000000, 79170000000]), ends=np.array([79169999999, 79179999999]),
                        operators=np.array(["МТС", "МТС"], dtype=object),
                        regions=canonical_regions(np.array(["г. Москва и Московская область",
                                                            "Москва и Московская область"], dtype=object)))
    numbers = np.array(["79161234567", "79171234567", "79175550000"], dtype=object)
    regions = Callers({}, registry).regions_of(numbers)
    table = calls_by_region(np.append(regions, ""), np.array([3, 2, 1, 0]), 12, "other", "unknown")
    assert table.to_dict("records") == [{"region": "Москва и Московская область", "calls": 6}]


def test_numbers_already_normalised_are_not_rewritten_and_the_others_are():
    rng = np.random.default_rng(5)
    raw = ["79161234567", "89161234567", "9161234567", "4951234567", "201", "", None, "+44 20 1234 5678",
           "0044201234567", "810441234567", " 7916 123 ", "12345678901", "٣٤٥", "00123", "8 (916) 123-45-67"]
    raw += [str(x) for x in rng.integers(10 ** 9, 10 ** 12, 500)]
    values = np.array(raw, dtype=object)
    expected = normalize_numbers(pd.Series(values, dtype=object)).to_numpy(dtype=object)
    assert (normalized(values) == expected).all()
