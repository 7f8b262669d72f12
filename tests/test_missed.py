"""Who missed a call, on hand-written CDR rows: what the ``reached`` column keeps of a route
(queue ring-all, ring group, IVR hang-up, transfer then missed, a forward, a consultation) and
the per-employee counts made of it (docs/calls.md "Who a call reached")."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from atsnb import reports
from atsnb.calls import reconstruct
from atsnb.calls.derive import write_calls
from atsnb.calls.reached_column import RECORD, pack_reached, unpack_places
from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.metrics.who_missed import missed_by, reaching, unanswered_reach
from atsnb.store import Store
from tests.support.cdr_rows import TOPOLOGY, cdr_row, frame

TZ = "Europe/Moscow"
QUEUE = {"dst": "700", "dcontext": "ext-queues", "lastapp": "Queue", "lastdata": "700,t,,,240"}
MEMBER = {"dcontext": "from-queue", "did": ""}
GROUP = {"dst": "600", "dcontext": "ext-group"}
XFER = {"dcontext": "from-internal-xfer"}
# queue 700 rings 201 and 202 all at once; 203 is a member too, logged off (its phone never rings)
RING_ALL = replace(TOPOLOGY, queues={"700": ["201", "202", "203"]})


def derived(*rows: dict, topology=RING_ALL) -> pd.DataFrame:
    """The calls of ``rows`` with their ``reached`` column, as the derivation stores them."""
    result = reconstruct(frame(*rows), topology, tz=TZ)
    return result.calls.assign(reached=pack_reached(result.calls, result.steps, topology).to_numpy())


def tokens(calls: pd.DataFrame) -> list[list[str]]:
    return [text.split(RECORD) if text else [] for text in calls["reached"]]


def per_employee(calls: pd.DataFrame) -> dict[str, list[int]]:
    """employee → [rang, rang_missed, missed_answered, unanswered_reached]."""
    table = missed_by(calls)
    return {row.employee: [row.rang, row.rang_missed, row.missed_answered, row.unanswered_reached]
            for row in table.itertuples()}


def queue_rows(answered: bool, length: int = 16) -> list[dict]:
    """Queue 700 rings 201 and 202 together through Local members; 202 answers, or nobody does."""
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "Local/201@from-queue-5;1", "NO ANSWER", length, length, uid="1.1",
                seq=1, **QUEUE),
        cdr_row("10:00:01", "Local/201@from-queue-5;2", "PJSIP/201-7", "NO ANSWER", length - 1, 0, uid="1.3",
                linkedid="1.1", dst="201", seq=2, **MEMBER),
        cdr_row("10:00:00", "PJSIP/trunk1-1", "Local/202@from-queue-6;1", "ANSWERED" if answered else "NO ANSWER",
                136 if answered else length, 136 if answered else length, uid="1.1", seq=3, **QUEUE),
        cdr_row("10:00:01", "Local/202@from-queue-6;2", "PJSIP/202-8", "ANSWERED" if answered else "NO ANSWER",
                135 if answered else length - 1, 120 if answered else 0, uid="1.5", linkedid="1.1", dst="202",
                seq=4, **MEMBER),
    ]
    return rows


def test_a_ring_all_queue_answered_by_one_is_missed_by_the_other_and_answered_by_a_colleague():
    calls = derived(*queue_rows(answered=True))
    assert tokens(calls) == [["Q700", "r201", "R202"]]  # answered: no member that did not ring is listed
    assert per_employee(calls) == {"201": [1, 1, 1, 0], "202": [1, 0, 0, 0]}
    assert unanswered_reach(calls) == {"unanswered": 0, "reached": 0, "elsewhere": 0, "nobody": 0}


def test_an_abandoned_queue_reached_every_member_and_was_missed_by_those_it_rang():
    calls = derived(*queue_rows(answered=False))
    assert calls["status"].tolist() == ["unanswered"]
    assert tokens(calls) == [["q700", "r201", "r202", "m203"]]
    assert per_employee(calls) == {"201": [1, 1, 0, 1], "202": [1, 1, 0, 1], "203": [0, 0, 0, 1]}
    assert unanswered_reach(calls) == {"unanswered": 1, "reached": 1, "elsewhere": 0, "nobody": 0}
    # without the members known, the queue's call reached the phones it rang only
    assert tokens(derived(*queue_rows(answered=False), topology=replace(TOPOLOGY, queues={}))) == \
        [["q700", "r201", "r202"]]


def test_a_caller_who_gives_up_at_once_is_no_ones_miss_but_still_reached_the_queue():
    calls = derived(*queue_rows(answered=False, length=4))
    assert calls["status"].tolist() == ["dropped"]
    assert per_employee(calls) == {"201": [0, 0, 0, 1], "202": [0, 0, 0, 1], "203": [0, 0, 0, 1]}


def test_a_queue_left_before_any_phone_rang_reached_its_members():
    row = cdr_row("10:00:00", "PJSIP/trunk1-1", "", "ANSWERED", 30, 30, uid="1.1", **QUEUE)
    calls = derived(row)
    assert tokens(calls) == [["q700", "m201", "m202", "m203"]]
    assert unanswered_reach(calls)["reached"] == 1
    # no member known: it reached a queue but no one in it
    assert unanswered_reach(derived(row, topology=replace(TOPOLOGY, queues={}))) == {
        "unanswered": 1, "reached": 0, "elsewhere": 1, "nobody": 0}


def test_a_ring_group_nobody_answered_rang_every_phone_a_busy_one_too():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "NO ANSWER", 25, 0, uid="1.1", seq=1, **GROUP),
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/202-3", "NO ANSWER", 25, 0, uid="1.1", seq=2, **GROUP),
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/203-4", "BUSY", 0, 0, uid="1.1", seq=3, **GROUP),
    ]
    calls = derived(*rows)
    assert sorted(tokens(calls)[0]) == ["g600", "r201", "r202", "r203"]
    assert per_employee(calls) == {e: [1, 1, 0, 1] for e in ("201", "202", "203")}


def test_a_ring_group_answered_by_the_winner():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "NO ANSWER", 8, 0, uid="1.1", seq=1, **GROUP),
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/202-3", "ANSWERED", 98, 90, uid="1.1", seq=2, **GROUP),
    ]
    calls = derived(*rows)
    assert sorted(tokens(calls)[0]) == ["G600", "R202", "r201"]
    assert per_employee(calls) == {"201": [1, 1, 1, 0], "202": [1, 0, 0, 0]}


def test_an_ivr_hang_up_reached_nobody():
    row = cdr_row("10:00:00", "PJSIP/trunk1-1", "", "ANSWERED", 12, 12, uid="1.1", dst="s", dcontext="ivr-1",
                  lastapp="BackGround", lastdata="custom/ivr-main")
    calls = derived(row)
    assert tokens(calls) == [[]]
    assert missed_by(calls).empty
    assert unanswered_reach(calls) == {"unanswered": 1, "reached": 0, "elsewhere": 0, "nobody": 1}


def test_a_transfer_nobody_picked_up_was_missed_by_its_target_and_answered_by_a_colleague():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        cdr_row("10:01:10", "PJSIP/trunk1-1", "PJSIP/202-3", "NO ANSWER", 20, 0, uid="1.1", dst="202", seq=2, **XFER),
    ]
    calls = derived(*rows)
    assert tokens(calls) == [["R201", "r202"]]
    assert per_employee(calls) == {"201": [1, 0, 0, 0], "202": [1, 1, 1, 0]}


def test_a_consultation_rings_the_colleague_for_the_agent_not_for_the_client():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 100, 90, uid="1.1", seq=1),
        # 201 asks 202, who does not pick up; 201 goes back to the client
        cdr_row("10:01:10", "PJSIP/201-4", "PJSIP/202-5", "NO ANSWER", 15, 0, uid="1.4", linkedid="1.1",
                src="201", dst="202", dcontext="from-internal", did="", seq=2),
    ]
    assert tokens(derived(*rows)) == [["R201"]]


def test_a_forward_to_a_mobile_reaches_the_forwarding_employee_without_ringing_their_phone():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "Local/79035550011@from-internal-3;1", "NO ANSWER", 30, 0,
                uid="1.1", dst="204", seq=1),
        cdr_row("10:00:00", "Local/79035550011@from-internal-3;2", "PJSIP/trunk1-4", "NO ANSWER", 30, 0,
                uid="1.3", linkedid="1.1", dst="79035550011", dcontext="from-internal", did="",
                outbound_cnum="74951234567", seq=2),
    ]
    calls = derived(*rows)
    assert calls["direction"].tolist() == ["mixed"] and tokens(calls) == [["f204"]]
    assert per_employee(calls) == {"204": [0, 0, 0, 1]}


def test_outgoing_and_internal_calls_reach_no_one():
    rows = [
        cdr_row("11:00:00", "PJSIP/203-1", "PJSIP/trunk1-2", "NO ANSWER", 30, 0, uid="2.1", src="203",
                dst="89035550011", dcontext="from-internal", cnum="203", outbound_cnum="74957654321"),
        cdr_row("12:00:00", "PJSIP/201-3", "PJSIP/202-4", "NO ANSWER", 20, 0, uid="3.1", src="201", dst="202",
                dcontext="from-internal", did=""),
    ]
    calls = derived(*rows)
    assert sorted(calls["direction"]) == ["internal", "outgoing"] and tokens(calls) == [[], []]
    assert unanswered_reach(calls)["unanswered"] == 0


def test_the_counts_read_the_same_from_text_or_from_a_parquet_dictionary():
    calls = pd.concat([derived(*queue_rows(answered=True)), derived(*queue_rows(answered=False)),
                       derived(cdr_row("10:00:00", "PJSIP/trunk1-1", "", "ANSWERED", 12, 12, uid="9.1",
                                       dcontext="ivr-1", lastapp="BackGround"))], ignore_index=True)
    coded = calls.assign(reached=calls["reached"].astype("category"))
    key = "employee"
    pd.testing.assert_frame_equal(missed_by(calls).sort_values(key, ignore_index=True),
                                  missed_by(coded).sort_values(key, ignore_index=True))
    assert unanswered_reach(calls) == unanswered_reach(coded) == {"unanswered": 2, "reached": 1, "elsewhere": 0,
                                                                  "nobody": 1}
    # a filter by people keeps the calls that rang them, and the unanswered ones that waited for them
    np.testing.assert_array_equal(reaching(coded, ["201"]), [True, True, False])
    np.testing.assert_array_equal(reaching(coded, ["203"]), [False, True, False])
    np.testing.assert_array_equal(reaching(coded, ["204"]), [False, False, False])


def test_departments_roll_up_through_the_holders_of_each_extension():
    calls = pd.concat([derived(*queue_rows(answered=True)), derived(*queue_rows(answered=False))],
                      ignore_index=True)
    department = {"201": ["Продажи 1", "Продажи"], "202": ["Продажи 2", "Продажи"], "203": ["Продажи 2", "Продажи"]}
    table = missed_by(calls, lambda e: department.get(e, ()), "department").set_index("department")
    # Sales answered the first call itself (202) and missed the second; team 1 (201) missed both,
    # the first answered by team 2; both rang team 2, which answered the first.
    assert table.loc["Продажи"].tolist() == [2, 1, 0, 1]
    assert table.loc["Продажи 1"].tolist() == [2, 2, 1, 1]
    assert table.loc["Продажи 2"].tolist() == [2, 1, 0, 1]


def test_unpacking_gives_every_token_of_every_text_in_order():
    parent, letter, target, answered = unpack_places(["", "Q700\x1er201\x1eR202", "f204"])
    assert parent.tolist() == [1, 1, 1, 2]
    assert letter.tolist() == ["q", "r", "r", "f"] and target.tolist() == ["700", "201", "202", "204"]
    assert answered.tolist() == [True, False, True, False]


@pytest.fixture(params=["stored", "routes"])
def store(request, tmp_path) -> tuple[Store, Settings]:
    """Sales (201) and Support (202, 203): the abandoned ring-all queue call of :func:`queue_rows` and
    a call 202 answered straight away — written as the derivation writes them, and as a store
    written before the ``reached`` column existed (the reports then read the routes)."""
    settings = Settings()
    settings.store.path = str(tmp_path / "store")
    store = Store.open(settings.store_path)
    store.catalog.upsert("departments", pd.DataFrame({"name": ["Продажи", "Поддержка"], "parent": [None, None]}))
    store.catalog.upsert("employees", pd.DataFrame({"extension": ["201", "202", "203"], "name": ["А", "Б", "В"],
                                                    "department": ["Продажи", "Поддержка", "Поддержка"],
                                                    "active": [1, 1, 1]}))
    rows = [*queue_rows(answered=False),
            cdr_row("11:00:00", "PJSIP/trunk1-9", "PJSIP/202-a", "ANSWERED", 70, 60, uid="2.1", dst="202")]
    result = reconstruct(frame(*rows), RING_ALL, tz=TZ)
    with store.writing():
        write_calls(store, result.calls, result.steps, RING_ALL)
        if request.param == "routes":  # the queue's members then come from the saved topology
            store.table("calls").write_month("2025-03", store.table("calls").read().drop(columns="reached"))
            RING_ALL.save(store)
    return store, settings


def test_a_department_filter_keeps_the_unanswered_calls_that_reached_its_people(store):
    st, settings = store
    day = {"start": "2025-03-03", "end": "2025-03-03"}

    def unanswered(**filters) -> tuple[int, int]:
        report = reports.REPORTS["dashboard"].build(**day, store=st, settings=settings, **filters)
        return report["kpis"].counts[t("rep_kpi_unanswered_pct")]

    assert unanswered() == (1, 2)
    assert unanswered(department="Продажи") == (1, 1)  # nobody in sales handled a call: it reached 201
    assert unanswered(department="Поддержка") == (1, 2)
    assert unanswered(employee="203") == (1, 1)  # a member of the queue it waited in
    rows = reports.REPORTS["departments"].build(**day, store=st, settings=settings)["missed"].data
    assert rows.set_index(t("rep_col_department")).to_dict("index") == {
        "Поддержка": {t("rep_col_rang"): 2, t("rep_col_rang_missed"): 1, t("rep_col_missed_answered_department"): 0,
                      t("rep_col_unanswered_reached"): 1},
        "Продажи": {t("rep_col_rang"): 1, t("rep_col_rang_missed"): 1, t("rep_col_missed_answered_department"): 0,
                    t("rep_col_unanswered_reached"): 1}}
