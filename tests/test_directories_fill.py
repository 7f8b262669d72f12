"""Filling lines and employees from the call records already in the store."""

import json

import pandas as pd

from atsnb.directory.fill import fill_employees, fill_lines
from atsnb.store import Store

COLUMNS = ["calldate", "channel", "dstchannel", "src", "dst", "did", "cnum", "outbound_cnum",
           "linkedid", "uniqueid", "lastapp", "disposition"]
# A small day at a FreePBX: trunk "mts" brings two DIDs, phones are PJSIP/101, 102 and 2001 (named
# device "reception" carries cnum 150), ring group members and an outgoing call via trunk "rt".
LEGS = [
    ("2025-01-30 09:00:00", "PJSIP/mts-00000001", "PJSIP/101-00000002", "79161234567", "4951112233",
     "4951112233", "79161234567", "", "1.1", "1.1", "Dial", "ANSWERED"),
    ("2025-01-30 09:00:00", "PJSIP/mts-00000001", "PJSIP/102-00000003", "79161234567", "4951112233",
     "4951112233", "79161234567", "", "1.1", "1.1", "Dial", "NO ANSWER"),
    ("2025-01-31 12:00:00", "PJSIP/102-00000004", "PJSIP/rt-00000005", "102", "89031234567",
     "", "102", "+7 (495) 111-22-44", "2.1", "2.1", "Dial", "ANSWERED"),
    ("2025-02-01 10:00:00", "PJSIP/reception-00000006", "PJSIP/2001-00000007", "150", "2001",
     "", "150", "", "3.1", "3.1", "Dial", "ANSWERED"),
    ("2025-02-02 10:00:00", "PJSIP/mts-00000008", "Local/101@from-queue-0000000a;1", "79260000000",
     "84951112255", "84951112255", "79260000000", "", "4.1", "4.1", "Queue", "ANSWERED"),
    ("2025-02-02 10:00:05", "Local/101@from-queue-0000000a;2", "PJSIP/101-0000000b", "79260000000", "101",
     "", "79260000000", "", "4.1", "4.2", "Dial", "ANSWERED"),
    ("2025-02-03 10:00:00", "PJSIP/102-0000000c", "PJSIP/rt-0000000d", "102", "89031234567",
     "", "102", "74951112244", "", "5.1", "Dial", "ANSWERED"),
]


def _store(store_path, topology=None):
    store = Store.open(store_path)
    cdr = pd.DataFrame(LEGS, columns=COLUMNS).assign(calldate=lambda d: pd.to_datetime(d.calldate))
    cdr["_key"] = cdr.uniqueid + "/" + cdr.index.astype(str)
    with store.writing():
        store.table("cdr").upsert(cdr)
    if topology is not None:
        store.catalog.set_state("topology", json.dumps(topology))
    return store


def test_lines_are_dids_and_outbound_caller_ids_with_counts_and_first_last_seen(store_path):
    store = _store(store_path)
    result = fill_lines(store)
    assert result.added == 3 and result.updated == 0
    got = store.catalog.read("lines").set_index("number")
    assert sorted(got.index) == ["74951112233", "74951112244", "74951112255"]
    assert got.loc["74951112233", "seen_as"] == "did" and got.loc["74951112233", "calls"] == 1
    assert got.loc["74951112244", "seen_as"] == "outbound" and got.loc["74951112244", "calls"] == 2
    assert got.loc["74951112244", "first_seen"] == "2025-01-31 12:00:00"
    assert got.loc["74951112244", "last_seen"] == "2025-02-03 10:00:00"


def test_filling_again_keeps_names_users_typed_and_adds_only_new_numbers(store_path):
    store = _store(store_path)
    store.catalog.upsert("lines", pd.DataFrame([{"number": "74951112233", "name": "Реклама", "purpose": "ads",
                                                 "seen_as": "outbound", "first_seen": "2024-12-01 00:00:00"}]))
    result = fill_lines(store)
    assert (result.added, result.updated) == (2, 1)
    assert set(result.seen[result.seen.new].number) == {"74951112244", "74951112255"}
    row = store.catalog.read("lines").set_index("number").loc["74951112233"]
    assert (row["name"], row["purpose"], row["seen_as"]) == ("Реклама", "ads", "both")
    assert row["first_seen"] == "2024-12-01 00:00:00" and row["last_seen"] == "2025-01-30 09:00:00"
    assert fill_lines(store).added == 0


def test_employees_are_phone_peers_and_cnum_but_never_trunks(store_path):
    store = _store(store_path)
    result = fill_employees(store)
    got = store.catalog.read("employees").set_index("extension")
    # Without a saved topology named peers (mts, rt, reception) count as trunks.
    assert sorted(got.index) == ["101", "102", "2001"]
    assert result.added == 3
    assert got.loc["101", "calls"] == 2 and got.loc["101", "active"] == 1
    assert got.loc["102", "first_seen"] == "2025-01-30 09:00:00"
    assert got.loc["102", "last_seen"] == "2025-02-03 10:00:00"


def test_a_saved_topology_decides_which_peers_are_trunks_and_names_survive(store_path):
    store = _store(store_path, {"trunks": ["mts", "rt"], "extensions": []})
    store.catalog.upsert("departments", pd.DataFrame([{"name": "Продажи"}]))
    store.catalog.upsert("employees", pd.DataFrame([{"extension": "101", "name": "Иванов",
                                                     "department": "Продажи", "active": 0}]))
    result = fill_employees(store)
    got = store.catalog.read("employees").set_index("extension")
    assert sorted(got.index) == ["101", "102", "150", "2001"]  # cnum of the named device "reception"
    assert (result.added, result.updated) == (3, 1)
    assert (got.loc["101", "name"], got.loc["101", "department"], got.loc["101", "active"]) == ("Иванов", "Продажи", 0)


def test_an_empty_store_fills_nothing(store_path):
    store = Store.open(store_path)
    assert fill_lines(store).added == 0 and fill_employees(store).seen.empty
