"""The directories editor page at scale: what the kernel does before the first paint, opening a
50,000-row directory, and saving it.

Each figure is printed beside its floor measured in the same run on the same store:

* opening the page (its employees table, 20 rows) and switching to partners (50,000 rows, one
  page of 50 built) against reading that directory and writing it as CSV text — what the old page,
  a CSV text box, did to open it;
* Save of the unchanged partners table against importing the same rows as a CSV file (the same
  checks and the same write: Save goes through the import's write path).

    .venv/bin/python benchmarks/directories_editor.py [--partners N] [--runs R]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from atsnb.directory.csv_io import export_text, import_text
from atsnb.directory.editor import DirectoryEditor
from atsnb.store import Store


def best(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "store")
        store.catalog.upsert("departments", pd.DataFrame({"name": ["Продажи", "Поддержка"]}))
        store.catalog.upsert("employees", pd.DataFrame({
            "extension": [str(100 + i) for i in range(20)], "name": [f"Сотрудник {i}" for i in range(20)],
            "department": ["Продажи", "Поддержка"] * 10, "active": [1] * 20}))
        store.catalog.upsert("partners", pd.DataFrame({
            "number": [f"7916{i:07d}" for i in range(args.partners)],
            "name": [f"Клиент {i % 5000}" for i in range(args.partners)]}))
        text = export_text(store.catalog, "partners")

        floor_open = best(args.runs, lambda: export_text(store.catalog, "partners"))
        page = best(args.runs, lambda: DirectoryEditor(store))

        def switch() -> None:
            editor = DirectoryEditor(store)
            editor.choice.value = "partners"

        switched = best(args.runs, switch) - page
        table = DirectoryEditor(store, "partners").table
        saved = best(args.runs, table.save)
        floor_save = best(args.runs, lambda: import_text(store.catalog, "partners", text, source="p.csv", replace=True))
        print(f"partners: {args.partners:,} rows")
        print(f"floor: read + CSV text of partners     {floor_open:7.3f} s")
        print(f"page opened (employees table)          {page:7.3f} s  ({page / floor_open:.2f}x the floor)")
        print(f"switch to partners (page 1 of {table.pages})    {switched:7.3f} s  ({switched / floor_open:.2f}x)")
        print(f"floor: import the same rows as CSV     {floor_save:7.3f} s")
        print(f"Save of the partners table             {saved:7.3f} s  ({saved / floor_save:.2f}x the import)")


if __name__ == "__main__":
    main()
