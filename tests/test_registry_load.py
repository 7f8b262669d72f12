"""``atsnb registry load``: the regulator's files read into the store with every rejected row counted
by reason, the store's registry replacing the shipped one in lookups and reports, and a file that is
no registry leaving the registry in use untouched."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from atsnb.cli import main
from atsnb.errors import InputError
from atsnb.reference.callers import Callers
from atsnb.reference.numbering_plan import default_registry
from atsnb.reference.numbering_store import load_into_store, parse_file, registry_status, stored_registry
from atsnb.store import Store

HEADER = "\ufeffАВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН\n"
OLD_HEADER = "\ufeffАВС/ DEF;От;До;Емкость;Оператор;Регион\n"  # an older export: six columns


def write(folder, name: str, rows: list[str], header: str = HEADER) -> None:
    (folder / name).write_text(header + "".join(f"{r}\n" for r in rows), encoding="utf-8")


@pytest.fixture
def regulator(tmp_path):
    """A folder like the regulator's download: four files, a few odd rows among the good ones."""
    folder = tmp_path / "registry"
    folder.mkdir()
    write(folder, "ABC-3xx.csv", [
        '343;2000000;2999999;1000000;ПАО "Ростелеком";г. Екатеринбург|Свердловская обл.',
        '343;3000000;2999999;1;ПАО "Ростелеком";Свердловская обл.',  # from after to
    ], header=OLD_HEADER)
    write(folder, "ABC-4xx.csv", [
        '495;1230000;1239999;10000;ПАО "МГТС";г. Москва;г. Москва;2',
        '495;12x0000;1249999;10000;ПАО "МГТС";г. Москва;г. Москва;2',  # not a number
        '495;1250000;1259999;10000;ПАО "МГТС"',  # cut short
        '49;1260000;1269999;10000;ПАО "МГТС";г. Москва;г. Москва;2',  # two-digit code
    ])
    write(folder, "ABC-8xx.csv", [
        '812;7000000;7999999;1000000;ПАО "Ростелеком";-;г. Санкт-Петербург;3',  # "-": the territory
        '800;5550000;5559999;10000;;Российская Федерация;;4',  # no operator
    ])
    with gzip.open(folder / "DEF-9xx.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write(HEADER + '916;0000000;0999999;1000000;ПАО "МТС";г. Москва и Московская область;;5\n')
    (folder / "readme.txt").write_text("not a registry", encoding="utf-8")
    return folder


def test_loading_counts_read_and_rejected_rows_per_file_with_reasons(regulator, store_path):
    store = Store.open(store_path)
    report = load_into_store(store, regulator)
    files = {f.name: f for f in report.files}
    assert set(files) == {"ABC-3xx.csv", "ABC-4xx.csv", "ABC-8xx.csv", "DEF-9xx.csv.gz"}
    assert (files["ABC-3xx.csv"].read, files["ABC-3xx.csv"].kept, files["ABC-3xx.csv"].rejected) == (2, 1, {"order": 1})
    assert files["ABC-4xx.csv"].rejected == {"fields": 1, "code": 1, "bounds": 1}
    assert files["ABC-4xx.csv"].first_line == {"fields": 4, "code": 5, "bounds": 3}
    assert files["ABC-8xx.csv"].rejected == {"operator": 1} and files["ABC-8xx.csv"].kept == 1
    assert report.ranges == 4
    text = "\n".join(report.lines())
    assert "ABC-4xx.csv: прочитано строк 4, диапазонов принято 1, отклонено 3" in text
    assert "1 × «От» или «До» — не число до семи цифр (впервые в строке 3)" in text
    assert "Реестр: 4 диапазонов из файлов: 4" in text


def test_the_stored_registry_replaces_the_shipped_one_in_lookups(regulator, store_path):
    store = Store.open(store_path)
    numbers = pd.Series(["8 (343) 250-00-00", "74951234567", "78127000001", "79160000001", "79031234567"])
    before = Callers.from_store(store).identify(numbers)
    assert before["region"].iloc[:3].eq("").all()  # the shipped file has mobiles only
    load_into_store(store, regulator)
    after = Callers.from_store(store).identify(numbers)
    # region names in one spelling (atsnb.reference.regions)
    assert after["region"].tolist() == ["Свердловская область", "Москва", "Санкт-Петербург",
                                        "Москва и Московская область", ""]
    assert after["operator"].iloc[1] == 'ПАО "МГТС"'
    assert stored_registry(store) is stored_registry(store)  # read once per change of the file
    assert registry_status(store)["source"] == "store" and registry_status(store)["ranges"] == 4


def test_a_file_that_is_no_registry_leaves_the_registry_in_use(regulator, store_path):
    store = Store.open(store_path)
    load_into_store(store, regulator)
    (regulator / "DEF-9xx.csv.gz").unlink()
    (regulator / "DEF-9xx.csv").write_text("<html><body>Доступ запрещён</body></html>\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"DEF-9xx\.csv, line 1: not a numbering registry header.*nothing was loaded"):
        load_into_store(store, regulator)
    assert len(stored_registry(store)) == 4  # the earlier load stays in use
    write(regulator, "DEF-9xx.csv", ['9xx;a;b;c;d;e;f;g'])
    with pytest.raises(InputError, match=r"DEF-9xx\.csv: no usable range in 1 rows"):
        load_into_store(store, regulator)
    (regulator.parent / "empty").mkdir()
    with pytest.raises(InputError, match="no numbering registry files"):
        load_into_store(store, regulator.parent / "empty")


def test_the_shipped_file_loads_as_a_registry_without_rejects():
    from importlib import resources

    data = gzip.decompress(resources.files("atsnb").joinpath("data", "numbering", "DEF-9xx.csv.gz").read_bytes())
    ranges, report = parse_file(data, "DEF-9xx.csv")
    assert report.rejected == {} and report.kept == report.read == len(ranges) > 15_000
    assert len(default_registry()) == len(ranges.drop_duplicates("start"))


def test_the_command_loads_reports_and_looks_up(regulator, store_path, monkeypatch, capsys):
    monkeypatch.setenv("ATSNB_STORE", str(store_path))
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    Store.open(store_path).catalog.upsert("partners", pd.DataFrame({"number": ["84951230001"],
                                                                     "name": ["ООО «Ромашка»"]}))
    assert main(["registry", "status"]) == 0
    assert "the built-in DEF-9xx" in capsys.readouterr().out
    assert main(["registry", "load", str(regulator)]) == 0
    out = capsys.readouterr()
    assert "ABC-4xx.csv: 4 rows read, 1 ranges kept, 3 rejected" in out.out
    assert "1 × the ABC/DEF code is not three digits (first on line 5)" in out.out
    assert "DEF-9xx.csv.gz: 1 rows read" in out.err  # progress, on stderr
    assert main(["registry", "lookup", "+7 495 123-00-01", "201"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == ['+7 495 123-00-01 · ООО «Ромашка» · ПАО "МГТС" · Москва',
                     "201: not in the numbering registry"]
    assert main(["registry", "status"]) == 0
    assert "loaded into the store, 4 ranges" in capsys.readouterr().out
    state = json.loads(Store.open(store_path).catalog.get_state("numbering_registry"))
    assert [f["name"] for f in state["files"]] == ["ABC-3xx.csv", "ABC-4xx.csv", "ABC-8xx.csv", "DEF-9xx.csv.gz"]
    assert main(["registry", "load", str(regulator / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
