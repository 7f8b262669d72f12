"""Phone-number normalisation and the numbering-plan registry: the shipped file, regulator CSV folders, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atsnb.directory.values import normalise_value
from atsnb.errors import InputError
from atsnb.phone_numbers import normalize_number, normalize_numbers
from atsnb.reference.numbering_plan import Registry, default_registry
from atsnb.store.directories import DIRECTORIES

HEADER = "\ufeffАВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН\n"


@pytest.fixture(scope="module")
def shipped() -> Registry:
    return default_registry()


def test_the_shipped_registry_is_loaded_once():
    assert default_registry() is default_registry()
    assert len(Registry.load()) == len(default_registry())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (912) 345-67-89", "79123456789"),
        ("+7 912 345 67 89", "79123456789"),
        ("79123456789", "79123456789"),
        ("9123456789", "79123456789"),
        ("4951234567", "74951234567"),
        ("8001234567", "78001234567"),
        ("81044201234567", "44201234567"),
        ("0044201234567", "44201234567"),
        ("+44 20 1234 5678", "442012345678"),
        ("+81 3 1234 5678", "81312345678"),  # Japan: 11 digits starting with 8, but written with +
        ("2125551234", "2125551234"),  # ten digits outside the Russian zones stay foreign
        ("201", "201"),
        ("112", "112"),
        ("anonymous", ""),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_numbers_are_normalised_to_eleven_digits(raw, expected):
    assert normalize_number(raw) == expected


def test_the_column_normaliser_matches_the_scalar_one_and_keeps_the_index():
    raw = pd.Series(["8 (912) 345-67-89", "+7 912 345 67 89", "201", None, "9161234567", "201"], index=list("abcdef"))
    out = normalize_numbers(raw)
    assert list(out.index) == list("abcdef")
    assert list(out) == [normalize_number(x) for x in raw]
    assert normalize_numbers(pd.Series([], dtype=object)).empty


def test_directories_use_the_same_rule():
    assert normalise_value(DIRECTORIES["partners"].column("number"), "8 (912) 345-67-89") == "79123456789"


def test_the_shipped_registry_knows_a_moscow_mts_number(shipped):
    assert len(shipped) > 15_000
    operator, region = shipped.lookup("8 (916) 123-45-67")
    assert "Мобильные ТелеСистемы" in operator
    assert "Москва" in region


def test_a_region_listing_several_places_gives_the_enclosing_subject(shipped):
    # 958 5145500..5146999 is "г. Норильск|Красноярский край" in the registry.
    assert shipped.lookup("79585145600") == ('ПАО "Ростелеком"', "Красноярский край")


def test_a_dash_region_falls_back_to_the_territory(shipped):
    # 901 8490000..8499999 has region "-" and territory "Краснодарский край".
    assert shipped.lookup("79018490001")[1] == "Краснодарский край"


def test_unknown_and_internal_numbers_have_no_operator(shipped):
    assert shipped.lookup("201") is None
    assert shipped.lookup("74951234567") is None  # a landline: not in the DEF file


def test_lookup_many_agrees_with_lookup(shipped):
    numbers = pd.Series(["79161234567", "201", "89585145600", "", "+7 (901) 849-00-01"], index=[5, 6, 7, 8, 9])
    out = shipped.lookup_many(numbers)
    assert list(out.index) == [5, 6, 7, 8, 9]
    for number, (operator, region) in zip(numbers, out.itertuples(index=False), strict=True):
        expected = shipped.lookup(number) or ("", "")
        assert (operator, region) == expected


def test_sampled_numbers_are_valid_and_mostly_local(shipped):
    numbers = shipped.sample(np.random.default_rng(3), 400, prefer_region="Москва", prefer_share=0.7)
    assert len(numbers) == 400
    found = shipped.lookup_many(pd.Series(numbers))
    assert (found["operator"] != "").all()
    assert all(len(n) == 11 and n.startswith("79") for n in numbers)
    assert (found["region"].str.contains("Москва")).mean() >= 0.6


def test_a_folder_of_regulator_files_is_loaded_together(tmp_path):
    (tmp_path / "ABC-4xx.csv").write_text(HEADER + '495;1230000;1239999;10000;ПАО "МГТС";г. Москва;г. Москва;1\n',
                                          encoding="utf-8")
    (tmp_path / "DEF-9xx.csv").write_text(HEADER + '916;0000000;0999999;1000000;ПАО "МТС";г. Москва;;2\n',
                                          encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a registry", encoding="utf-8")
    reg = Registry.load(tmp_path)
    assert reg.lookup("84951234567") == ('ПАО "МГТС"', "г. Москва")
    assert reg.lookup("79160000000") == ('ПАО "МТС"', "г. Москва")


def test_a_malformed_row_is_reported_with_file_and_line(tmp_path):
    bad = tmp_path / "DEF-9xx.csv"
    bad.write_text(HEADER + '916;0000000;0999999;1000000;ПАО "МТС";г. Москва;;2\n916;abc;0999999;1;X;Y;;3\n',
                   encoding="utf-8")
    with pytest.raises(InputError, match=r"DEF-9xx\.csv, line 3"):
        Registry.load(bad)


def test_a_file_without_the_registry_header_is_refused(tmp_path):
    bad = tmp_path / "DEF-9xx.csv"
    bad.write_text("code,from,to\n916,0,1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"DEF-9xx\.csv, line 1: not a numbering registry header"):
        Registry.load(bad)


def test_an_empty_folder_says_so(tmp_path):
    with pytest.raises(InputError, match="no numbering registry files"):
        Registry.load(tmp_path)
