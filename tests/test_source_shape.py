"""Flavour detection on real MariaDB tables, and every flavour normalised to the canonical columns."""

import pandas as pd
import pytest

from atsnb.flow import sync_pbx
from atsnb.source.mysql import connect
from atsnb.source.shape import detect_shape
from atsnb.store import Store
from tests.pbx_rows import create_pbx, insert, leg, settings_for


@pytest.mark.parametrize(("flavour", "cel_extra", "queue_log_data"), [
    ("freepbx", "extra", "split"), ("asterisk", "eventextra", "single"), ("legacy", "extra", "single")])
def test_detect_shape_names_each_flavour(pbx_db, store_path, flavour, cel_extra, queue_log_data):
    server, db = pbx_db
    create_pbx(server, db, flavour, cel_extra=cel_extra, queue_log_data=queue_log_data).close()
    settings = settings_for(server, db, store_path)
    con = connect(settings)
    shape = detect_shape(con, settings)
    con.close()
    assert shape["cdr"].flavour == flavour
    assert shape["cdr"].time_column == ("start" if flavour == "asterisk" else "calldate")
    assert shape["cdr"].time_index is not None
    assert shape["cel"].flavour == cel_extra and shape["cel"].source["extra"] == cel_extra
    assert shape["queue_log"].flavour == queue_log_data
    assert set(shape.tables) == {"cdr", "cel", "queue_log", "ratings", "callbacks"}
    missing = {"freepbx": [], "asterisk": ["cnam", "outbound_cnam", "dst_cnam"],
               "legacy": ["cnum", "cnam", "outbound_cnum", "outbound_cnam", "dst_cnam", "linkedid", "peeraccount",
                          "sequence"]}
    assert shape["cdr"].missing_columns() == missing[flavour]


def test_column_overrides_and_missing_tables(pbx_db, store_path):
    server, db = pbx_db
    con = server.connect(db)
    con.cursor().execute("CREATE TABLE calls_log (started datetime, uniqueid varchar(32), src varchar(80), "
                         "disposition varchar(45), billsec int, KEY started (started))")
    insert(con, "calls_log", [{"started": "2025-03-01 10:00:00", "uniqueid": "1.1", "src": "100",
                               "disposition": "ANSWERED", "billsec": 3}])
    settings = settings_for(server, db, store_path, ATSNB_TABLES_CDR="calls_log",
                            ATSNB_TABLES_CDR_COLUMNS="calldate=started")
    shape = detect_shape(connect(settings), settings)
    assert set(shape.tables) == {"cdr"}
    assert shape["cdr"].time_column == "started" and shape["cdr"].flavour == "legacy"
    assert shape["cdr"].time_index == "started"
    sync_pbx(settings)
    got = Store.open(store_path).table("cdr").read()
    assert got.calldate.tolist() == [pd.Timestamp("2025-03-01 10:00:00")]
    assert got.src.tolist() == ["100"] and got.linkedid.tolist() == [""]


def test_freepbx_rows_become_canonical(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db, "freepbx")
    insert(con, "cdr", [leg(1, "2025-03-01 10:00:00", disposition="8"), leg(2, "2025-03-01 10:05:00")])
    sync_pbx(settings_for(server, db, store_path))
    got = Store.open(store_path).table("cdr").read().sort_values("sequence").reset_index(drop=True)
    assert got._key.tolist() == ["1700000001.1/1", "1700000002.2/2"]
    assert got.disposition.tolist() == ["ANSWERED", "ANSWERED"]  # numeric 8 translated
    assert got.amaflags.tolist() == ["DOCUMENTATION"] * 2  # numeric 3 translated
    assert got.answer.isna().all() and got["end"].isna().all()
    assert got.did.tolist() == ["74950000000"] * 2
    assert str(got.sequence.dtype) == "Int64"


def test_asterisk_rows_keep_answer_and_end(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db, "asterisk", cel_extra="eventextra")
    insert(con, "cdr", [leg(1, "2025-03-01 10:00:00", "asterisk")])
    insert(con, "cel", [{"eventtype": "HANGUP", "eventtime": "2025-03-01 10:00:35", "uniqueid": "1700000001.1",
                         "linkedid": "1700000001.1", "eventextra": '{"hangupsource":"PJSIP/101"}'}])
    sync_pbx(settings_for(server, db, store_path))
    store = Store.open(store_path)
    cdr = store.table("cdr").read()
    assert cdr.calldate[0] == pd.Timestamp("2025-03-01 10:00:00")
    assert cdr.answer[0] == pd.Timestamp("2025-03-01 10:00:05")
    assert cdr["end"][0] == pd.Timestamp("2025-03-01 10:00:35")
    cel = store.table("cel").read()
    assert cel.extra.tolist() == ['{"hangupsource":"PJSIP/101"}'] and cel._key.tolist() == ["1"]


def test_legacy_rows_have_no_linkedid_and_a_row_hash_key(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db, "legacy", queue_log_data="single")
    insert(con, "cdr", [leg(1, "2025-03-01 10:00:00", "legacy"), leg(2, "2025-03-01 10:01:00", "legacy")])
    insert(con, "queue_log", [{"time": "2025-03-01 10:00:02.123456", "callid": "1700000001.1", "queuename": "600",
                               "agent": "NONE", "event": "EXITWITHKEY", "data": "5|2|1|14|extra|more"}])
    sync_pbx(settings_for(server, db, store_path))
    store = Store.open(store_path)
    cdr = store.table("cdr").read()
    assert cdr.linkedid.tolist() == ["", ""] and cdr.sequence.isna().all()
    assert all(k.startswith("h:") for k in cdr._key) and cdr._key.nunique() == 2
    q = store.table("queue_log").read()
    assert q[["data1", "data2", "data3", "data4", "data5"]].iloc[0].tolist() == ["5", "2", "1", "14", "extra|more"]
    assert q.time[0] == pd.Timestamp("2025-03-01 10:00:02.123456")
