"""Transfers as Asterisk writes them: one call each, ``transfers`` counted right, the hold given to
nobody (docs/calls.md, Transfers; row shapes: docs/pbx-data.md §2.4, §2.6, §8)."""

from __future__ import annotations

import json

import pandas as pd

from atsnb.calls import reconstruct
from tests.support.cdr_rows import DAY, TOPOLOGY, cdr_row, frame

TZ = "Europe/Moscow"
XFER = {"dcontext": "from-internal-xfer"}
GROUP = {"dst": "600", "dcontext": "ext-group"}


def _calls(rows: list[dict], **kw) -> pd.DataFrame:
    return reconstruct(frame(*rows), TOPOLOGY, tz=TZ, **kw).calls


def _one(rows: list[dict], **kw) -> pd.Series:
    calls = _calls(rows, **kw)
    assert len(calls) == 1, calls
    return calls.iloc[0]


def _fields(call: pd.Series, *names: str) -> dict:
    return {n: call[n] for n in names}


def _talk_per_person(rows: list[dict], **kw) -> dict[str, int]:
    steps = reconstruct(frame(*rows), TOPOLOGY, tz=TZ, **kw).steps
    answers = steps[steps["kind"] == "answer"]
    return answers.groupby("target")["duration_s"].sum().to_dict()


def _feature_code_rows() -> list[dict]:
    """201 answers at 10:00:05, dials *2 203 at 10:01:05; 203 answers the consultation at 10:01:10;
    201 completes at 10:01:30; the client talks with 203 until 10:03:00 — the six rows Asterisk 22
    writes for an attended transfer through ``Local/203@from-internal`` (docs/pbx-data.md §8)."""
    consult = {"src": "201", "dst": "203", "dcontext": "from-internal", "did": "", "lastapp": "AppDial"}
    return [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 65, 60, uid="1.1", seq=1,
                lastdata="PJSIP/201,,HhtrM(auto-blkvm)"),
        # The client on hold, connected to the Local channel's first half.
        cdr_row("10:01:05", "PJSIP/trunk1-1", "Local/203@from-internal-3;1", "ANSWERED", 25, 25, uid="1.1", seq=2,
                lastdata="PJSIP/201,,HhtrM(auto-blkvm)"),
        # The second half rings and reaches 203; its src is the client.
        cdr_row("10:01:05", "Local/203@from-internal-3;2", "PJSIP/203-5", "ANSWERED", 25, 20, uid="1.4",
                linkedid="1.1", dst="203", dcontext="from-internal", did="", seq=3),
        # 201's consultation.
        cdr_row("10:01:05", "PJSIP/201-2", "Local/203@from-internal-3;1", "ANSWERED", 25, 20, uid="1.2",
                linkedid="1.1", seq=4, **consult),
        cdr_row("10:01:30", "Local/203@from-internal-3;1", "", "ANSWERED", 0, 0, uid="1.3", linkedid="1.1", seq=5,
                **consult),
        # After completion: the client with 203; lastapp/lastdata still the first Dial.
        cdr_row("10:01:30", "PJSIP/trunk1-1", "PJSIP/203-5", "ANSWERED", 90, 90, uid="1.1", seq=6,
                lastdata="PJSIP/201,,HhtrM(auto-blkvm)"),
    ]


def test_attended_transfer_by_feature_code_through_a_local_channel_is_one_transfer():
    rows = _feature_code_rows()
    call = _one(rows)
    assert _fields(call, "direction", "status", "answered_by", "employee", "last_target", "transfers", "wait_s",
                   "legs") == dict(direction="incoming", status="answered", answered_by="201", employee="201",
                                   last_target="203", transfers=1, wait_s=5, legs=6)
    # The client was connected all along: 60 with 201, 25 on hold, 90 with 203.
    assert call["talk_s"] == 175
    # The hold is neither 201's talk nor 203's.
    assert _talk_per_person(rows) == {"201": 60, "203": 90}
    steps = reconstruct(frame(*rows), TOPOLOGY, tz=TZ).steps
    hold = steps[steps["kind"] == "hold"]
    assert hold[["party", "target", "duration_s"]].values.tolist() == [["201", "203", 25]]
    moves = steps[steps["kind"] == "transfer"]
    assert moves[["party", "target"]].values.tolist() == [["201", "203"]]


def test_attended_transfer_by_feature_code_rows_in_any_order_give_the_same_call():
    rows = _feature_code_rows()
    expected = _one(rows)
    pd.testing.assert_series_equal(_one(rows[::-1]), expected)


def _refer_rows() -> list[dict]:
    """201's phone puts the client on hold and calls 203 on a second channel — its own linkedid —
    then joins them with a SIP REFER (docs/pbx-data.md §2.1: "SIP Protocol Attended Transfer")."""
    return [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 90, 85, uid="1.1", seq=1),
        cdr_row("10:01:05", "PJSIP/201-6", "PJSIP/203-7", "ANSWERED", 25, 20, uid="1.6", src="201", dst="203",
                dcontext="from-internal", did="", seq=2),
        cdr_row("10:01:30", "PJSIP/trunk1-1", "PJSIP/203-7", "ANSWERED", 90, 90, uid="1.1", seq=3),
    ]


def _cel(*events: tuple[str, str, str, str, str, dict]) -> pd.DataFrame:
    return pd.DataFrame([{"eventtype": kind, "eventtime": pd.Timestamp(f"{DAY} {at}"), "channame": channel,
                          "uniqueid": uid, "linkedid": linked, "peer": "", "extra": json.dumps(extra) if extra else ""}
                         for kind, at, channel, uid, linked, extra in events])


def _refer_cel() -> pd.DataFrame:
    extra = {"bridge1_id": "b1", "channel2_name": "PJSIP/201-00000006", "channel2_uniqueid": "1.6",
             "bridge2_id": "b2", "transferee_channel_name": "PJSIP/trunk1-00000001",
             "transferee_channel_uniqueid": "1.1", "transfer_target_channel_name": "PJSIP/203-00000007",
             "transfer_target_channel_uniqueid": "1.7"}
    return _cel(
        ("CHAN_START", "10:01:05", "PJSIP/201-00000006", "1.6", "1.6", {}),
        ("CHAN_START", "10:01:05", "PJSIP/203-00000007", "1.7", "1.6", {}),
        ("ATTENDEDTRANSFER", "10:01:30", "PJSIP/201-00000002", "1.2", "1.1", extra),
    )


def test_phone_made_attended_transfer_with_its_own_linkedid_is_linked_by_cel():
    result = reconstruct(frame(*_refer_rows()), TOPOLOGY, tz=TZ, cel=_refer_cel())
    assert len(result.calls) == 1, result.calls
    call = result.calls.iloc[0]
    assert _fields(call, "call_id", "direction", "answered_by", "last_target", "transfers", "talk_s", "legs") == dict(
        call_id="1.1", direction="incoming", answered_by="201", last_target="203", transfers=1, talk_s=175, legs=3)
    assert result.unlinked_transfers == []


def test_without_cel_the_phone_made_transfer_is_counted_as_not_linked():
    result = reconstruct(frame(*_refer_rows()), TOPOLOGY, tz=TZ)
    calls = result.calls.set_index("call_id")
    # The client's call is still right; the consultation stands alone, and the result says so.
    assert _fields(calls.loc["1.1"], "transfers", "last_target", "answered_by") == dict(
        transfers=1, last_target="203", answered_by="201")
    assert calls.loc["1.6", "direction"] == "internal"
    assert result.unlinked_transfers == ["1.6"]


def test_an_internal_call_that_is_no_consultation_is_not_counted_as_unlinked():
    rows = [*_refer_rows()[:1],
            cdr_row("10:05:00", "PJSIP/202-8", "PJSIP/204-9", "ANSWERED", 25, 20, uid="1.8", src="202", dst="204",
                    dcontext="from-internal", did="", seq=2)]
    assert reconstruct(frame(*rows), TOPOLOGY, tz=TZ).unlinked_transfers == []


def test_blind_transfer_with_cel_event_counts_once():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        cdr_row("10:01:10", "PJSIP/trunk1-1", "PJSIP/202-3", "ANSWERED", 50, 50, uid="1.1", dst="202", seq=2, **XFER),
    ]
    cel = _cel(("BLINDTRANSFER", "10:01:10", "PJSIP/201-00000002", "1.2", "1.1",
                {"extension": "202", "context": "from-internal-xfer", "bridge_id": "b1"}))
    for given in (None, cel):
        call = _one(rows, cel=given)
        assert _fields(call, "transfers", "answered_by", "last_target", "talk_s") == dict(
            transfers=1, answered_by="201", last_target="202", talk_s=110)


def test_transfer_to_a_ring_group_is_one_transfer_whoever_rang():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/203-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        cdr_row("10:01:10", "PJSIP/trunk1-1", "PJSIP/201-3", "NO ANSWER", 6, 0, uid="1.1", seq=2, **GROUP),
        cdr_row("10:01:10", "PJSIP/trunk1-1", "PJSIP/202-4", "ANSWERED", 56, 50, uid="1.1", seq=3, **GROUP),
    ]
    call = _one(rows)
    assert _fields(call, "transfers", "answered_by", "last_target", "group", "talk_s") == dict(
        transfers=1, answered_by="203", last_target="202", group="600", talk_s=110)


def test_transfer_to_a_queue_is_one_transfer_whichever_member_answered():
    q = {"dst": "700", "dcontext": "ext-queues", "lastapp": "Queue", "lastdata": "700,t,,,240"}
    m = {"dcontext": "from-queue", "did": ""}
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/203-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        cdr_row("10:01:10", "PJSIP/trunk1-1", "Local/201@from-queue-5;1", "NO ANSWER", 15, 15, uid="1.1", seq=2, **q),
        cdr_row("10:01:10", "Local/201@from-queue-5;2", "PJSIP/201-7", "NO ANSWER", 15, 0, uid="1.5", linkedid="1.1",
                dst="201", seq=3, **m),
        cdr_row("10:01:25", "PJSIP/trunk1-1", "Local/202@from-queue-6;1", "ANSWERED", 60, 60, uid="1.1", seq=4, **q),
        cdr_row("10:01:26", "Local/202@from-queue-6;2", "PJSIP/202-8", "ANSWERED", 59, 50, uid="1.6", linkedid="1.1",
                dst="202", seq=5, **m),
    ]
    call = _one(rows)
    assert _fields(call, "transfers", "answered_by", "last_target", "group") == dict(
        transfers=1, answered_by="203", last_target="202", group="700")


def test_transfer_back_to_the_first_employee_and_a_second_transfer_count_each_move():
    back = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        cdr_row("10:01:10", "PJSIP/trunk1-1", "PJSIP/202-3", "ANSWERED", 50, 45, uid="1.1", dst="202", seq=2, **XFER),
        cdr_row("10:02:00", "PJSIP/trunk1-1", "PJSIP/201-4", "ANSWERED", 40, 36, uid="1.1", dst="201", seq=3, **XFER),
    ]
    call = _one(back)
    assert _fields(call, "transfers", "answered_by", "last_target") == dict(
        transfers=2, answered_by="201", last_target="201")
    onward = [*back[:2], cdr_row("10:02:00", "PJSIP/trunk1-1", "PJSIP/203-4", "ANSWERED", 40, 36, uid="1.1",
                                 dst="203", seq=3, **XFER)]
    call = _one(onward)
    assert _fields(call, "transfers", "last_target") == dict(transfers=2, last_target="203")
    assert _talk_per_person(onward) == {"201": 60, "202": 45, "203": 36}


def test_a_transfer_nobody_answered_still_counts():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        cdr_row("10:01:10", "PJSIP/trunk1-1", "PJSIP/202-3", "NO ANSWER", 20, 0, uid="1.1", dst="202", seq=2, **XFER),
    ]
    call = _one(rows)
    assert _fields(call, "transfers", "answered_by", "status", "talk_s") == dict(
        transfers=1, answered_by="201", status="answered", talk_s=60)
