"""Directories at scale: "fill from the PBX" over a year of call records and a large CSV import.

Default sizes: 1,000,000 CDR legs (a year of a busy office: ~4,000 calls a working day) and a
50,000-row partners file.  Each figure is printed beside the machine's floor measured in the
same run — reading the very same data (the store's cdr columns; the CSV parsed by pandas) — so
the ratio says how much the work costs beyond just getting the bytes in.

    .venv/bin/python benchmarks/directories.py [--legs N] [--partners N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from atsnb.directory.csv_io import import_csv
from atsnb.directory.fill import CDR_COLUMNS, fill_employees, fill_lines
from atsnb.store import Store


def synthetic_cdr(n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` canonical legs over 2025: a third incoming via trunk ``mts`` on four DIDs, a third
    outgoing via trunk ``rt``, a third internal between 60 extensions."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 3, n)
    ext = rng.integers(100, 160, n).astype(str)
    other = rng.integers(100, 160, n).astype(str)
    ids = np.char.add(np.arange(n).astype(str), ".1")
    hexs = np.char.mod("%08x", np.arange(n))

    def channel(peer: np.ndarray | str) -> np.ndarray:
        return np.char.add(np.char.add(np.char.add("PJSIP/", peer), "-"), hexs)

    dids = np.array(["74951112233", "74951112234", "74951112235", "74951112236"])
    seconds = np.sort(rng.integers(0, 365 * 86400, n))
    return pd.DataFrame({
        "_key": ids,
        "calldate": pd.Timestamp("2025-01-01") + pd.to_timedelta(seconds, unit="s"),
        "channel": np.where(kind == 0, channel("mts"), channel(ext)),
        "dstchannel": np.where(kind == 1, channel("rt"), channel(other)),
        "did": np.where(kind == 0, dids[rng.integers(0, 4, n)], ""),
        "outbound_cnum": np.where(kind == 1, "74951112240", ""),
        "cnum": np.where(kind == 0, "79161234567", ext),
        "linkedid": ids, "uniqueid": ids, "lastapp": "Dial", "lastdata": "", "dcontext": "from-internal",
        "dst": other, "src": ext,
    })


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--legs", type=int, default=1_000_000, help="CDR legs in the store (default 1,000,000)")
    parser.add_argument("--partners", type=int, default=50_000, help="rows of the partners CSV (default 50,000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "store")
        with store.writing():
            store.table("cdr").upsert(synthetic_cdr(args.legs))
        table = store.table("cdr")
        floor, _ = timed(lambda: [table.read_month(m, columns=CDR_COLUMNS) for m in table.months()])
        print(f"cdr: {args.legs:,} legs in {len(table.months())} months; reading them: {floor:.2f} s")
        for fn in (fill_lines, fill_employees):
            seconds, result = timed(fn, store)
            print(f"{fn.__name__}: {seconds:.2f} s = {seconds / floor:.1f}× the read "
                  f"({args.legs / seconds:,.0f} legs/s, {len(result.seen)} found)")

        rng = np.random.default_rng(2)
        numbers = 79_000_000_000 + rng.choice(999_999_999, args.partners, replace=False)
        csv_path = Path(tmp) / "partners.csv"
        pd.DataFrame({"Телефон": numbers, "Клиент": [f"ООО «Клиент {i}»" for i in range(args.partners)]}).to_csv(
            csv_path, sep=";", index=False, encoding="utf-8-sig")
        floor, _ = timed(pd.read_csv, csv_path, sep=";", dtype=str, encoding="utf-8-sig")
        seconds, result = timed(import_csv, store.catalog, "partners", csv_path)
        print(f"import partners: {args.partners:,} rows in {seconds:.2f} s = {seconds / floor:.1f}× pandas.read_csv "
              f"({floor:.3f} s; {args.partners / seconds:,.0f} rows/s, {result.added:,} added)")


if __name__ == "__main__":
    main()
