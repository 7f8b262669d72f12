"""Incremental sync against a real MariaDB: late rows, duplicates, re-runs, malformed rows, the CLI."""

import json
import logging
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from atsnb.flow import sync_frames, sync_pbx
from atsnb.simulate import PbxStyle, simulate, write_mysql
from atsnb.source.shape import Shape
from atsnb.store import Store
from atsnb.store.pending import PENDING
from atsnb.sync import ingest
from atsnb.sync.pbx import watermark_key
from tests.pbx_rows import create_pbx, insert, leg, settings_for, stored, sync_env
from tests.support.mariadb import free_port


def test_second_run_catches_late_rows_inside_the_overlap_and_changes_nothing_else(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", [leg(i, pd.Timestamp("2025-05-10 09:00") + pd.Timedelta(minutes=7 * i)) for i in range(1, 60)])
    settings = settings_for(server, db, store_path)
    first = sync_pbx(settings)
    assert first.tables["cdr"].added == 59
    before = stored(store_path, "cdr")
    mark = pd.Timestamp(Store.open(store_path).catalog.get_state(watermark_key("cdr")))
    assert mark == pd.Timestamp("2025-05-10 15:53:01")  # the newest leg + 1 s
    # A long call that started before the newest leg ends now: the PBX writes its row late.
    insert(con, "cdr", [leg(100, mark - pd.Timedelta(minutes=10)), leg(101, mark + pd.Timedelta(hours=1))])
    second = sync_pbx(settings)
    assert second.tables["cdr"].added == 2
    after = stored(store_path, "cdr")
    assert len(after) == 61
    pd.testing.assert_frame_equal(after[after._key.isin(before._key)].reset_index(drop=True), before)
    third = sync_pbx(settings)
    assert third.tables["cdr"].added == 0 and third.tables["cdr"].received >= 1  # the overlap is re-read
    assert third.calls == 0  # nothing new: no call re-derived
    pd.testing.assert_frame_equal(stored(store_path, "cdr"), after)
    assert Store.open(store_path).catalog.get_state(PENDING) == ""  # calls derived, marker cleared
    assert len(stored(store_path, "calls")) == 61


def test_rows_written_twice_collapse(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    row = leg(1, "2025-05-10 09:00:00")
    insert(con, "cdr", [row, row, leg(2, "2025-05-10 09:01:00")])  # two CDR writers, one duplicate
    legacy_db = db + "_legacy"
    server.connect().cursor().execute(f"CREATE DATABASE `{legacy_db}`")
    try:
        old = create_pbx(server, legacy_db, "legacy")
        twice = leg(1, "2025-05-10 09:00:00", "legacy")
        insert(old, "cdr", [twice, twice, leg(2, "2025-05-10 09:00:00", "legacy", billsec=3)])
        report = sync_pbx(settings_for(server, db, store_path))
        assert report.tables["cdr"].received == 3 and len(stored(store_path, "cdr")) == 2
        legacy_store = store_path.parent / "legacy_store"
        sync_pbx(settings_for(server, legacy_db, legacy_store))
        assert len(stored(legacy_store, "cdr")) == 2  # identical rows share a row hash
    finally:
        server.connect().cursor().execute(f"DROP DATABASE `{legacy_db}`")


def test_cel_and_queue_log_page_on_id_and_pick_up_new_ids(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    events = [{"eventtype": "CHAN_START", "eventtime": f"2025-05-10 09:{m:02d}:00", "uniqueid": f"{m}.1",
               "linkedid": f"{m}.1"} for m in range(30)]
    insert(con, "cel", events[:20])
    settings = settings_for(server, db, store_path, ATSNB_SYNC_BATCH_ROWS="4")
    sync_pbx(settings, progress=True)  # the bar counts what is pending first
    assert Store.open(store_path).catalog.get_state(watermark_key("cel")) == "20"
    insert(con, "cel", events[20:])
    sync_pbx(settings)
    cel = stored(store_path, "cel")
    assert sorted(cel.id) == list(range(1, 31)) and cel._key.is_unique


def test_malformed_rows_are_logged_with_their_key_and_the_good_rows_land(pbx_db, store_path, caplog):
    server, db = pbx_db
    con = create_pbx(server, db)
    cur = con.cursor()
    cur.execute("ALTER TABLE cdr MODIFY calldate datetime NULL, MODIFY duration varchar(20) NOT NULL DEFAULT ''")
    cur.execute("SET SESSION sql_mode = ''")  # a PBX server that accepts zero dates
    insert(con, "cdr", [
        leg(1, "2025-05-10 09:00:00"),
        leg(2, "2025-05-10 09:01:00", calldate=None),
        leg(3, "2025-05-10 09:02:00", calldate="0000-00-00 00:00:00"),
        leg(4, "2025-05-10 09:03:00", disposition="WEIRD"),
        leg(5, "2025-05-10 09:04:00", duration="abc"),
        leg(6, "2025-05-10 09:05:00"),
    ])
    with caplog.at_level(logging.WARNING, logger="atsnb.sync"):
        report = sync_pbx(settings_for(server, db, store_path))
    r = report.tables["cdr"]
    assert (r.received, r.kept, r.skipped, r.repaired) == (6, 4, 2, 2)
    log = caplog.text
    assert "uniqueid='1700000002.2'" in log and "calldate is empty" in log
    assert "uniqueid='1700000003.3'" in log and "impossible date" in log
    assert "uniqueid='1700000004.4'" in log and "unknown disposition" in log
    assert "uniqueid='1700000005.5'" in log and "duration is not a number" in log
    got = stored(store_path, "cdr").set_index("uniqueid")
    assert sorted(got.index) == ["1700000001.1", "1700000004.4", "1700000005.5", "1700000006.6"]
    assert got.disposition["1700000004.4"] == "ANSWERED"  # billsec 30 > 0
    assert got.duration["1700000005.5"] == 0 and got.duration["1700000006.6"] == 35


def test_cli_sync_runs_end_to_end(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db, "asterisk")
    insert(con, "cdr", [leg(i, f"2025-06-0{i} 12:00:00", "asterisk") for i in range(1, 4)])
    done = subprocess.run([sys.executable, "-m", "atsnb.cli", "sync", "--json"], env=sync_env(server, db, store_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["tables"]["cdr"]["added"] == 3 and report["calls"] == 3
    assert sorted(stored(store_path, "cdr").calldate.dt.day) == [1, 2, 3]


def test_sync_frames_and_ingest_take_the_same_path(pbx_db, store_path):
    server, db = pbx_db
    shape = Shape.of("freepbx", queue_log_data="single")
    cdr = pd.DataFrame([leg(i, f"2025-07-0{i} 10:00:00") for i in range(1, 5)])
    qlog = pd.DataFrame([{"id": 1, "time": "2025-07-01 10:00:01.5", "callid": "1700000001.1", "queuename": "600",
                          "agent": "NONE", "event": "ENTERQUEUE", "data": "|84951234567|1"}])
    store = Store.open(store_path)
    report = sync_frames(store, settings_for(server, db, store_path, ATSNB_SYNC_BATCH_ROWS="2"),
                         {"cdr": cdr, "queue_log": qlog}, shape, progress=False)
    assert report.tables["cdr"].added == 4 and report.calls == 4
    assert stored(store_path, "queue_log")[["data2", "data3"]].iloc[0].tolist() == ["84951234567", "1"]
    with store.writing():
        again = ingest(store, settings_for(server, db, store_path), "cdr", cdr, shape)
    assert (again.received, again.added) == (4, 0)


def test_calls_derived_month_by_month_equal_one_derivation_of_everything(pbx_db, tmp_path):
    from atsnb.calls.derive import update_calls

    server, db = pbx_db
    con = create_pbx(server, db)
    # Calls every 6 h over three months, one of them transferred across midnight at a month's end.
    legs = [leg(i, pd.Timestamp("2025-03-01") + pd.Timedelta(hours=6 * i)) for i in range(1, 360)]
    crossing = leg(999, "2025-03-31 23:59:50")
    legs += [crossing, leg(1000, "2025-04-01 00:00:20", linkedid=crossing["linkedid"], dstchannel="PJSIP/102-1")]
    insert(con, "cdr", legs)
    sliced = tmp_path / "sliced"
    settings = settings_for(server, db, sliced)
    sync_pbx(settings)
    expected = stored(sliced, "calls")
    whole = Store.open(sliced)
    for month in whole.table("calls").months():
        (sliced / "calls" / f"{month}.parquet").unlink()
    with whole.writing():
        update_calls(whole, settings, pd.Timestamp("2025-01-01"))
    pd.testing.assert_frame_equal(stored(sliced, "calls"), expected)
    assert expected.legs.max() == 2 and len(expected) == 360


def test_follow_syncs_again_and_picks_up_new_rows(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", [leg(1, "2025-06-01 12:00:00")])
    proc = subprocess.Popen([sys.executable, "-m", "atsnb.cli", "sync", "--follow", "--interval", "1", "--json"],
                            env=sync_env(server, db, store_path), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        first = json.loads(proc.stdout.readline())
        insert(con, "cdr", [leg(2, "2025-06-01 12:05:00")])
        added = 0
        for _ in range(5):  # the next rounds see the new leg
            added += json.loads(proc.stdout.readline())["tables"]["cdr"]["added"]
            if added:
                break
    finally:
        proc.kill()
        proc.wait(10)
    assert first["tables"]["cdr"]["added"] == 1 and added == 1


def test_an_hour_long_call_whose_row_appears_at_hang_up_is_caught_by_the_default_overlap(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", [leg(1, "2025-05-10 09:00:00"), leg(2, "2025-05-10 10:30:00")])
    settings = settings_for(server, db, store_path)
    sync_pbx(settings)
    # Started at 09:40, ended at 10:45: the PBX writes its row at hang-up, after the 10:30 leg was synced.
    insert(con, "cdr", [leg(3, "2025-05-10 09:40:00")])
    assert sync_pbx(settings).tables["cdr"].added == 1


def test_a_row_dated_in_the_future_waits_and_does_not_push_the_watermark(pbx_db, store_path, caplog):
    server, db = pbx_db
    con = create_pbx(server, db)
    now = pd.Timestamp.now(tz="Europe/Moscow").tz_localize(None).floor("s")
    insert(con, "cdr", [leg(1, now - pd.Timedelta(hours=2)), leg(2, now + pd.Timedelta(days=30))])
    settings = settings_for(server, db, store_path)
    with caplog.at_level(logging.WARNING, logger="atsnb.sync"):
        report = sync_pbx(settings)
    assert report.tables["cdr"].added == 1 and "1700000002.2" not in set(stored(store_path, "cdr").uniqueid)
    mark = pd.Timestamp(Store.open(store_path).catalog.get_state(watermark_key("cdr")))
    assert now <= mark <= now + pd.Timedelta(minutes=1)
    assert "cdr" in caplog.text and ("PBX clock" in caplog.text or "часы АТС" in caplog.text)
    insert(con, "cdr", [leg(3, now - pd.Timedelta(minutes=5))])  # written late, inside the overlap
    assert sync_pbx(settings).tables["cdr"].added == 1


def test_values_that_defeat_the_packing_are_read_column_by_column_exactly(pbx_db, store_path, caplog):
    server, db = pbx_db
    con = create_pbx(server, db, "asterisk")
    insert(con, "cdr", [
        leg(1, "2025-06-01 12:00:00", "asterisk", clid='"Ёлка \\ | ; " <100>', userfield="x"),
        leg(2, "2025-06-01 12:01:00", "asterisk", lastdata="PJSIP/101\x1f,30", answer=None, userfield=None,
            clid=""),
    ])
    with caplog.at_level(logging.INFO, logger="atsnb.sync"):
        sync_pbx(settings_for(server, db, store_path))
    assert "column by column" in caplog.text
    got = stored(store_path, "cdr").set_index("sequence")
    assert got.lastdata[2] == "PJSIP/101\x1f,30" and got.clid[1] == '"Ёлка \\ | ; " <100>'
    assert pd.isna(got.answer[2]) and got.userfield[2] == ""


def test_packed_rows_keep_nulls_and_unicode(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db, "asterisk")
    insert(con, "cdr", [leg(1, "2025-06-01 12:00:00", "asterisk", clid='"Ёлка" <100>', answer=None, userfield=None,
                            sequence=None)])
    sync_pbx(settings_for(server, db, store_path))
    got = stored(store_path, "cdr")
    assert got.clid[0] == '"Ёлка" <100>' and pd.isna(got.answer[0]) and got.userfield[0] == ""
    assert pd.isna(got.sequence[0]) and got._key[0].startswith("h:")  # no sequence: the row hash keys it


@pytest.mark.parametrize("with_id", [True, False])  # id pages, or time windows on the text column
def test_queue_log_text_times_that_are_garbage_are_reported_and_skipped(pbx_db, store_path, caplog, with_id):
    server, db = pbx_db
    con = create_pbx(server, db, "freepbx")
    if not with_id:
        con.cursor().execute("ALTER TABLE queue_log DROP COLUMN id")
    insert(con, "cdr", [leg(1, "2025-06-01 12:00:00")])
    insert(con, "queue_log", [
        {"time": "2025-06-01 12:00:01.000001", "callid": "a", "event": "ENTERQUEUE"},
        {"time": "yesterday", "callid": "b", "event": "CONNECT"},
        {"time": "", "callid": "c", "event": "ABANDON"},
    ])
    with caplog.at_level(logging.WARNING, logger="atsnb.sync"):
        report = sync_pbx(settings_for(server, db, store_path))
    q = report.tables["queue_log"]
    assert (q.received, q.kept, q.skipped) == (3, 1, 2)
    assert "callid='b'" in caplog.text and "callid='c'" in caplog.text
    assert stored(store_path, "queue_log").callid.tolist() == ["a"]


def test_sync_to_a_closed_port_fails_at_once_with_one_sentence(store_path):
    env = {**os.environ, "ATSNB_PBX_URL": f"mysql://atsnb:Cl0sed-pw@127.0.0.1:{free_port()}/asteriskcdrdb",
           "ATSNB_STORE": str(store_path)}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "atsnb.cli", "sync"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and time.monotonic() - started < 20  # no backoff before the first connection
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "Cl0sed-pw" not in done.stderr + done.stdout and "127.0.0.1" in done.stderr


def test_a_simulated_single_data_queue_log_is_read_back_split_like_the_adaptive_one(pbx_db, store_path):
    server, db = pbx_db
    end = "2026-11-20 18:00"
    single = simulate(days=1, seed=4, end=end, style=PbxStyle(queue_log_data="single"))
    write_mysql(single, server.url(db), progress=False)
    report = sync_pbx(settings_for(server, db, store_path))
    assert report.tables["queue_log"].added == len(single.tables["queue_log"])
    got = stored(store_path, "queue_log").sort_values("id").reset_index(drop=True)
    split = simulate(days=1, seed=4, end=end).tables["queue_log"]  # the same lines in data1..data5
    for column in ("callid", "event", "data1", "data2", "data3", "data4", "data5"):
        assert got[column].tolist() == split[column].tolist(), column


def test_read_ahead_keeps_order_raises_the_readers_error_and_stops_its_thread_when_left():
    import threading

    from atsnb.sync.ahead import read_ahead

    def failing():
        yield from range(5)
        raise ConnectionError("server went away")

    got = []
    with pytest.raises(ConnectionError, match="went away"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]

    closed = threading.Event()

    def endless():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    stream = read_ahead(endless())
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()  # the writer stopped early (an error of its own)
    assert closed.is_set()
    assert not [t for t in threading.enumerate() if t.name == "sync-read-ahead"]
