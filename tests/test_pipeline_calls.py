"""update_calls on a real store: calls and steps written, re-derived when late legs land, primary kept."""

from __future__ import annotations

import pandas as pd

from atsnb.calls import Topology, load_calls
from atsnb.calls.answers_column import ANSWERS, unpack_answers
from atsnb.calls.derive import fill_columns, update_calls
from atsnb.config import Settings
from atsnb.store import Store

TOPOLOGY = Topology(trunks=["trunk1"], extensions=["201", "202", "203"], company_numbers=["74951234567"])


def leg(calldate: str, uid: str, channel: str, dstchannel: str, disposition: str, duration: int, billsec: int,
        *, src: str = "89161234567", dst: str = "201", linkedid: str | None = None, seq: int = 0) -> dict:
    return {"calldate": pd.Timestamp(calldate), "clid": "", "src": src, "dst": dst, "dcontext": "from-did-direct",
            "channel": channel, "dstchannel": dstchannel, "lastapp": "Dial", "lastdata": "", "duration": duration,
            "billsec": billsec, "disposition": disposition, "uniqueid": uid, "linkedid": linkedid or uid,
            "did": "74951234567" if "trunk" in channel else "", "recordingfile": "", "cnum": "",
            "outbound_cnum": "", "sequence": seq, "_key": f"{uid}/{seq}"}


def make_store(path, rows: list[dict]) -> tuple[Store, Settings]:
    store = Store.open(path)
    settings = Settings()
    settings.store.path = str(path)
    TOPOLOGY.save(store)
    with store.writing():
        store.table("cdr").upsert(pd.DataFrame(rows))
    return store, settings


def test_a_late_transfer_leg_updates_its_call_and_replaces_its_steps(store_path):
    first = leg("2025-03-03 10:00:00", "100.1", "PJSIP/trunk1-00000001", "PJSIP/201-00000002", "ANSWERED", 70, 60, seq=1)
    store, settings = make_store(store_path, [first])
    with store.writing():
        assert update_calls(store, settings, pd.Timestamp("2025-03-03 10:00:00")) == 1
    calls = load_calls("2025-03-01", "2025-04-01", store=store, settings=settings)
    assert calls.loc[0, "talk_s"] == 60 and calls.loc[0, "transfers"] == 0 and calls.loc[0, "primary"]
    assert list(store.table("calls").read()[ANSWERS]) == [""]  # one employee: nothing more to know
    before = store.table("steps").read()
    late = leg("2025-03-03 10:01:10", "100.1", "PJSIP/trunk1-00000001", "PJSIP/202-00000003", "ANSWERED", 40, 40,
               linkedid="100.1", seq=2)
    with store.writing():
        store.table("cdr").upsert(pd.DataFrame([late]))
        assert update_calls(store, settings, pd.Timestamp("2025-03-03 10:01:10")) == 1
    calls = load_calls("2025-03-01", "2025-04-01", store=store, settings=settings)
    assert len(calls) == 1
    assert calls.loc[0, "talk_s"] == 100 and calls.loc[0, "transfers"] == 1 and calls.loc[0, "employee"] == "201"
    steps = store.table("steps").read()
    assert len(steps) > len(before)
    assert not steps.duplicated(["call_id", "seq"]).any()
    assert list(steps.sort_values("seq")["kind"]).count("hangup") == 1
    # transferred now: both employees' answers are stored with the call, as its route has them
    pos, target, talk = unpack_answers(store.table("calls").read()[ANSWERS])
    answers = steps[steps["kind"] == "answer"].sort_values("seq")
    assert list(pos) == [0, 0] and list(target) == list(answers["target"]) == ["201", "202"]
    assert list(talk) == list(answers["duration_s"].astype(float))


def test_primary_marks_only_the_first_call_of_a_number_across_updates(store_path):
    a = leg("2025-01-10 09:00:00", "200.1", "PJSIP/trunk1-00000001", "PJSIP/201-00000002", "ANSWERED", 30, 20)
    store, settings = make_store(store_path, [a])
    with store.writing():
        update_calls(store, settings, pd.Timestamp("2025-01-10"))
    b = leg("2025-03-10 09:00:00", "300.1", "PJSIP/trunk1-00000005", "PJSIP/202-00000006", "ANSWERED", 30, 20)
    with store.writing():
        store.table("cdr").upsert(pd.DataFrame([b]))
        update_calls(store, settings, pd.Timestamp("2025-03-10"))
    march = load_calls("2025-03-01", "2025-04-01", store=store, settings=settings)
    assert list(march["primary"]) == [False]
    jan = load_calls("2025-01-01", "2025-02-01", store=store, settings=settings)
    assert list(jan["primary"]) == [True]


def test_load_calls_filters_by_value_and_list(store_path):
    rows = [
        leg("2025-03-03 10:00:00", "1.1", "PJSIP/trunk1-00000001", "PJSIP/201-00000002", "ANSWERED", 30, 20),
        leg("2025-03-03 11:00:00", "2.1", "PJSIP/trunk1-00000003", "PJSIP/202-00000004", "ANSWERED", 30, 20,
            src="89167654321"),
        leg("2025-03-03 12:00:00", "3.1", "PJSIP/203-00000005", "PJSIP/trunk1-00000006", "ANSWERED", 30, 20,
            src="203", dst="89161112233"),
    ]
    store, settings = make_store(store_path, rows)
    with store.writing():
        assert update_calls(store, settings, pd.Timestamp("2025-03-01")) == 3
    got = load_calls("2025-03-03", "2025-03-04", store=store, settings=settings, direction="incoming")
    assert sorted(got["employee"]) == ["201", "202"]
    got = load_calls(pd.Timestamp("2025-03-03"), "2025-03-04", store=store, settings=settings, employee=["202", "203"])
    assert sorted(got["direction"]) == ["incoming", "outgoing"]
    assert load_calls("2025-03-03 10:30", "2025-03-03 11:30", store=store, settings=settings)["call_id"].tolist() == ["2.1"]


def test_a_late_earlier_call_takes_over_primary_and_the_old_first_is_demoted(store_path):
    march = leg("2025-03-10 09:00:00", "300.1", "PJSIP/trunk1-00000005", "PJSIP/202-00000006", "ANSWERED", 30, 20)
    store, settings = make_store(store_path, [march])
    with store.writing():
        update_calls(store, settings, pd.Timestamp("2025-03-10"))
    assert load_calls("2025-03-01", "2025-04-01", store=store, settings=settings)["primary"].tolist() == [True]
    # Rows of an older call reach the store later (an import of history): it is the first one now.
    january = leg("2025-01-10 09:00:00", "200.1", "PJSIP/trunk1-00000001", "PJSIP/201-00000002", "ANSWERED", 30, 20)
    with store.writing():
        store.table("cdr").upsert(pd.DataFrame([january]))
        # Derived slice by slice (as a first import is): March is not re-derived in this slice.
        assert update_calls(store, settings, pd.Timestamp("2025-01-10"), until=pd.Timestamp("2025-01-11")) == 1
    assert load_calls("2025-01-01", "2025-02-01", store=store, settings=settings)["primary"].tolist() == [True]
    assert load_calls("2025-03-01", "2025-04-01", store=store, settings=settings)["primary"].tolist() == [False]


def test_load_calls_names_a_column_it_cannot_filter_on(store_path):
    from atsnb.errors import InputError

    store, settings = make_store(store_path, [])
    try:
        load_calls("2025-03-01", "2025-04-01", store=store, settings=settings, colour="red")
    except InputError as exc:
        assert "colour" in str(exc)
    else:
        raise AssertionError("an unknown filter column must be refused")
    assert load_calls("2025-03-01", "2025-04-01", store=store, settings=settings).empty


def test_calls_stored_before_the_answers_column_get_it_from_their_routes(store_path):
    """A store written before the column existed: its months are filled in once, from the routes,
    and a month where a later sync wrote some calls with it and left older ones without is too."""
    first = leg("2025-03-31 23:59:00", "300.1", "PJSIP/trunk1-00000001", "PJSIP/201-00000002", "ANSWERED", 70, 60,
                seq=1)
    second = leg("2025-04-01 00:00:40", "300.1", "PJSIP/trunk1-00000001", "PJSIP/202-00000003", "ANSWERED", 40, 30,
                 linkedid="300.1", seq=2)  # transferred just after midnight: its steps reach into April
    store, settings = make_store(store_path, [first, second])
    with store.writing():
        update_calls(store, settings, pd.Timestamp("2025-03-31"))
    calls_table = store.table("calls")
    expected = list(calls_table.read()[ANSWERS])
    assert expected != [""]
    old = calls_table.read().drop(columns=ANSWERS)  # as an earlier version wrote it
    calls_table.write_month("2025-03", old)
    assert calls_table.months_lacking(ANSWERS) == ["2025-03"]
    with store.writing():
        assert fill_columns(store) == 1
        assert fill_columns(store) == 0  # footers only from now on
    assert list(calls_table.read()[ANSWERS]) == expected
    # a later write next to old rows: the old rows' cells are empty until filled in
    calls_table.write_month("2025-03", old)
    late = old.assign(call_id="300.2", start=old["start"] + pd.Timedelta(seconds=5), answers="")
    with store.writing():
        calls_table.upsert(late)
        assert calls_table.months_lacking(ANSWERS) == ["2025-03"]
        assert fill_columns(store) == 1
    filled = calls_table.read().set_index("call_id")[ANSWERS]
    assert filled["300.1"] == expected[0] and filled["300.2"] == ""
