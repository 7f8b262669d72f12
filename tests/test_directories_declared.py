"""The declarations and their documentation agree: every example in docs/directories.md imports."""

import re
from pathlib import Path

import pytest

from atsnb.directory.csv_io import header_names, import_text
from atsnb.directory.values import KINDS
from atsnb.errors import InputError
from atsnb.store import DIRECTORIES, Store

DOC = Path(__file__).resolve().parents[1] / "docs" / "directories.md"


def _examples() -> list[tuple[str, str]]:
    """(directory, CSV text) of every example block under a "### <name> — …" heading, in order."""
    out = []
    for section in re.split(r"^### ", DOC.read_text(encoding="utf-8"), flags=re.M)[1:]:
        name = section.split(" ", 1)[0]
        block = [line[4:] for line in section.splitlines() if line.startswith("    ")]
        out.append((name, "\n".join(block) + "\n"))
    return out


def test_every_directory_is_documented_with_every_column():
    text = DOC.read_text(encoding="utf-8")
    assert [name for name, _ in _examples()] == list(DIRECTORIES)
    for d in DIRECTORIES.values():
        for c in d.columns:
            assert f"`{c.name}`" in text, f"{d.name}.{c.name} is not in docs/directories.md"


def test_declarations_are_consistent():
    for d in DIRECTORIES.values():
        assert set(d.key) <= set(d.column_names)
        for c in d.columns:
            assert c.kind in KINDS and c.type in {"TEXT", "INTEGER", "REAL"}
            assert c.ref is None or c.ref in DIRECTORIES
        owners: dict[str, set[str]] = {}
        for c in d.columns:
            for alias in (c.name, *c.aliases):
                owners.setdefault(alias.lower().replace("ё", "е"), set()).add(c.name)
        assert all(len(cols) == 1 for cols in owners.values()), f"{d.name}: a header names two columns"
        assert set(header_names(d)) == set(owners)


def test_the_documented_examples_import_in_order(store_path):
    catalog = Store.open(store_path).catalog
    for name, text in _examples():
        result = import_text(catalog, name, text, source=f"{name}.csv")
        assert result.added == len(text.strip().splitlines()) - 1, name
    assert catalog.read("mailings").parameters[0] == "period=yesterday&department=Отдел продаж"
    assert catalog.read("lines").number.tolist() == ["74951112233", "74951112244"]


def test_a_red_phone_of_kind_extension_must_be_an_extension_number(store_path):
    catalog = Store.open(store_path).catalog
    with pytest.raises(InputError, match="«sales» — не внутренний номер"):
        import_text(catalog, "red_phones", "target;kind\nsales;добавочный\n", source="red.csv")


def test_subscriber_lines_are_normalised_like_the_lines_directory(store_path):
    catalog = Store.open(store_path).catalog
    import_text(catalog, "telegram_subscribers", 'chat_id;lines\n-100123;"8 495 111-22-33; +7 (495) 111-22-44"\n',
                source="subs.csv")
    assert catalog.read("telegram_subscribers").lines[0] == "74951112233,74951112244"


def test_monitor_participants_are_known_extensions_or_departments(store_path, monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    catalog = Store.open(store_path).catalog
    import_text(catalog, "departments", "name\nПродажи\n", source="d.csv")
    import_text(catalog, "employees", "extension\n101\n", source="e.csv")
    import_text(catalog, "monitors", "name;participants\nsales;Продажи, 101\n", source="m.csv")
    assert catalog.read("monitors").participants[0] == "Продажи,101"
    with pytest.raises(InputError, match='line 2, field "participants": "999" is neither an extension'):
        import_text(catalog, "monitors", "name;participants\nsales;Продажи,999\n", source="m.csv")
