"""The embedded store: month partitions, idempotent upserts, pruned reads, one writer."""

import multiprocessing as mp

import pandas as pd
import pytest

from atsnb.errors import StoreError
from atsnb.store import Store


def _legs(rows):
    return pd.DataFrame(rows, columns=["_key", "calldate", "billsec"]).assign(
        calldate=lambda d: pd.to_datetime(d.calldate))


def test_upsert_is_idempotent_and_partitions_by_month(store_path):
    store = Store.open(store_path)
    t = store.table("cdr")
    legs = _legs([("a", "2025-01-31 23:59:59", 1), ("b", "2025-02-01 00:00:00", 2)])
    with store.writing():
        assert t.upsert(legs) == 2
        assert t.upsert(legs) == 0
        assert t.upsert(_legs([("b", "2025-02-01 00:00:00", 5), ("c", "2025-02-03 10:00:00", 3)])) == 1
    assert t.months() == ["2025-01", "2025-02"]
    got = t.read()
    assert sorted(got._key) == ["a", "b", "c"]
    assert got.set_index("_key").billsec["b"] == 5
    feb = t.read(pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-01"))
    assert sorted(feb._key) == ["b", "c"]


def test_months_lacking_a_column_are_told_from_the_footers(store_path):
    store = Store.open(store_path)
    t = store.table("cdr")
    with store.writing():
        t.upsert(_legs([("a", "2025-01-10 10:00:00", 1)]))  # written before a column was added
        t.upsert(_legs([("b", "2025-02-10 10:00:00", 2)]).assign(extra="x"))
        t.upsert(_legs([("c", "2025-03-10 10:00:00", 3)]).assign(extra="y"))
        t.upsert(_legs([("d", "2025-03-11 10:00:00", 4)]))  # a later write without it: an empty cell
    feb = (pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-01"))
    assert t.months_lacking("extra") == ["2025-01", "2025-03"] and t.months_lacking("billsec") == []
    assert t.months_lacking("extra", *feb) == [] and t.months_lacking("missing", *feb) == ["2025-02"]
    assert t.months_lacking("extra", pd.Timestamp("2025-01-15"), feb[1]) == ["2025-01"]


def test_read_of_whole_and_partial_months_keeps_only_the_period(store_path):
    store = Store.open(store_path)
    t = store.table("calls")
    times = pd.date_range("2025-01-01", "2025-04-30 23:00", freq="7h", tz="Europe/Moscow")
    calls = pd.DataFrame({"call_id": [f"c{i}" for i in range(len(times))], "start": times,
                          "line": [f"74950000{i % 3}" for i in range(len(times))]})
    with store.writing():
        t.upsert(calls)
    lo, hi = pd.Timestamp("2025-01-20 05:00", tz="Europe/Moscow"), pd.Timestamp("2025-04-03", tz="Europe/Moscow")
    got = t.read(lo, hi, dictionary=["line"])  # January and April in part, February and March whole
    want = calls[(calls.start >= lo) & (calls.start < hi)].reset_index(drop=True)
    assert got["call_id"].tolist() == want["call_id"].tolist()
    assert isinstance(got["line"].dtype, pd.CategoricalDtype)
    assert got["line"].astype(str).tolist() == want["line"].tolist()
    whole = t.read(pd.Timestamp("2025-02-01", tz="Europe/Moscow"), pd.Timestamp("2025-04-01", tz="Europe/Moscow"))
    assert whole["start"].dt.month.unique().tolist() == [2, 3]
    may = pd.DataFrame({"call_id": ["m1"], "start": [pd.Timestamp("2025-05-02", tz="Europe/Moscow")], "line": [None]})
    with store.writing():
        t.upsert(may)  # a month whose lines are all empty: the column is null-typed in its file
    got = t.read(lo, pd.Timestamp("2025-05-15", tz="Europe/Moscow"), dictionary=["line"])  # May read apart
    assert got["call_id"].iloc[-1] == "m1" and pd.isna(got["line"].iloc[-1])
    assert got["line"].iloc[:-1].astype(str).tolist() == calls[calls.start >= lo]["line"].tolist()


def _hold_lock(path, ready, release):
    store = Store.open(path)
    with store.writing():
        ready.set()
        release.wait(10)


def test_second_writer_is_refused_with_a_clear_message(store_path):
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(store_path, ready, release))
    proc.start()
    try:
        assert ready.wait(20)
        with pytest.raises(StoreError, match="being written"), Store.open(store_path).writing(timeout_s=0.5):
            pass
    finally:
        release.set()
        proc.join(10)


def test_directories_round_trip(store_path):
    cat = Store.open(store_path).catalog
    cat.upsert("employees", pd.DataFrame([{"extension": "101", "name": "Иванов", "active": 1}]))
    cat.set_state("watermark:cdr", "2025-01-01 00:00:00")
    assert cat.read("employees").iloc[0]["name"] == "Иванов"
    assert cat.get_state("watermark:cdr") == "2025-01-01 00:00:00"


def _steps(rows):
    return pd.DataFrame(rows, columns=["call_id", "seq", "at", "kind"]).assign(
        at=lambda d: pd.to_datetime(d["at"]).dt.tz_localize("Europe/Moscow"))


def test_replace_drops_every_old_row_of_the_given_calls_and_writes_the_new_ones(store_path):
    store = Store.open(store_path)
    t = store.table("steps")
    with store.writing():
        t.upsert(_steps([("a", 0, "2025-01-31 23:59:00", "ring"), ("a", 1, "2025-02-01 00:00:30", "answer"),
                         ("a", 2, "2025-02-01 00:01:00", "hangup"), ("b", 0, "2025-02-01 00:00:10", "ring")]))
        # call a re-derived: one step fewer, all of them in February now
        added = t.replace(_steps([("a", 0, "2025-02-01 00:00:00", "ring"), ("a", 1, "2025-02-01 00:00:30", "answer")]),
                          "call_id", pd.Series(["a"]), months=t.months())
    assert added == 2  # the old rows of a were removed first
    assert t.read_month("2025-01").empty
    feb = t.read_month("2025-02")
    assert list(zip(feb.call_id, feb.seq, feb.kind, strict=True)) == [("a", 0, "ring"), ("b", 0, "ring"),
                                                                   ("a", 1, "answer")]


def test_a_month_that_would_come_out_the_same_is_not_written_again(store_path):
    store = Store.open(store_path)
    t = store.table("cdr")
    legs = _legs([("a", "2025-03-01 10:00:00", 1), ("b", "2025-03-01 10:00:00", 2), ("c", "2025-03-01 10:05:00", 3)])
    with store.writing():
        t.upsert(legs)
        before = (t.dir / "2025-03.parquet").stat().st_ino
        assert t.upsert(legs.iloc[[1, 2]]) == 0  # re-read rows, unchanged, already last among their times
        assert (t.dir / "2025-03.parquet").stat().st_ino == before
        t.upsert(legs.iloc[[0]])  # an upsert puts a replaced row after the others of its time: a new order
    assert t.read_month("2025-03")["_key"].tolist() == ["b", "a", "c"]
    assert (t.dir / "2025-03.parquet").stat().st_ino != before
    with store.writing():
        t.upsert(_legs([("c", "2025-03-01 10:05:00", 30)]))
    assert t.read_month("2025-03")["billsec"].tolist() == [2, 1, 30]
