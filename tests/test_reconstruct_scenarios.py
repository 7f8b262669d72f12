"""One test per scenario of docs/pbx-data.md §2.4/§2.5/§8: a handful of CDR rows, the call we expect."""

from __future__ import annotations

import pandas as pd

from atsnb.calls import reconstruct
from tests.support.cdr_rows import CLIENT, CLIENT_NORMAL, DID, TOPOLOGY, cdr_row, frame

TZ = "Europe/Moscow"


def one_call(cdr: pd.DataFrame, **kw) -> pd.Series:
    result = reconstruct(cdr, TOPOLOGY, tz=TZ, **kw)
    assert len(result.calls) == 1, result.calls
    return result.calls.iloc[0]


def check(call: pd.Series, **expected) -> None:
    got = {k: call[k] for k in expected}
    assert got == expected


def test_basic_incoming_call_answered_by_one_phone():
    call = one_call(frame(cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1")))
    check(call, direction="incoming", status="answered", caller=CLIENT, external_number=CLIENT_NORMAL, line=DID,
          dialed=DID, answered_by="201", employee="201", last_target="201", wait_s=10, talk_s=60, transfers=0,
          legs=1)
    assert call["start"] == pd.Timestamp("2025-03-03 10:00:00", tz=TZ)
    assert call["answer"] == pd.Timestamp("2025-03-03 10:00:10", tz=TZ)
    assert call["end"] == pd.Timestamp("2025-03-03 10:01:10", tz=TZ)


def test_caller_giving_up_within_the_threshold_is_dropped_and_later_is_missed():
    short = one_call(frame(cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "NO ANSWER", 4, 0, uid="1.1")))
    check(short, status="dropped", wait_s=4, talk_s=0, answered_by="", employee="", last_target="201")
    assert pd.isna(short["answer"])
    long = one_call(frame(cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "NO ANSWER", 25, 0, uid="1.1")))
    check(long, status="unanswered", wait_s=25)


def test_ring_group_fan_out_is_one_call_answered_by_the_winner():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "NO ANSWER", 8, 0, uid="1.1", dst="600",
                dcontext="ext-group", seq=1),
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/202-3", "ANSWERED", 98, 90, uid="1.1", dst="600",
                dcontext="ext-group", seq=2),
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/203-4", "BUSY", 0, 0, uid="1.1", dst="600",
                dcontext="ext-group", seq=3),
    ]
    call = one_call(frame(*rows))
    check(call, status="answered", answered_by="202", group="600", wait_s=8, talk_s=90, legs=3, last_target="202")


def test_ring_group_after_an_ivr_takes_the_answer_from_the_losers_not_the_early_answer():
    # The IVR answered the caller at 10:00:00; rows made later carry that answer time (docs/pbx-data.md §8).
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "NO ANSWER", 24, 24, uid="1.1", dst="600",
                dcontext="ext-group", seq=1),
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/202-3", "ANSWERED", 84, 84, uid="1.1", dst="600",
                dcontext="ext-group", seq=2),
    ]
    call = one_call(frame(*rows))
    check(call, status="answered", answered_by="202", wait_s=24, talk_s=60)


def _queue_rows(answered: bool) -> list[dict]:
    """FreePBX queue 700 with Local members, the caller answered by Queue() at 10:00:00."""
    q = {"dst": "700", "dcontext": "ext-queues", "lastapp": "Queue", "lastdata": "700,t,,,240"}
    m = {"src": CLIENT, "dcontext": "from-queue", "did": ""}
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "Local/201@from-queue-5;1", "NO ANSWER", 16, 16, uid="1.1", seq=1, **q),
        cdr_row("10:00:01", "Local/201@from-queue-5;2", "PJSIP/201-7", "NO ANSWER", 15, 0, uid="1.3",
                linkedid="1.1", dst="201", seq=2, **m),
    ]
    if answered:
        rows += [
            cdr_row("10:00:00", "PJSIP/trunk1-1", "Local/202@from-queue-6;1", "ANSWERED", 136, 136, uid="1.1",
                    seq=3, **q),
            cdr_row("10:00:01", "Local/202@from-queue-6;2", "PJSIP/202-8", "ANSWERED", 135, 120, uid="1.5",
                    linkedid="1.1", dst="202", seq=4, **m),
        ]
    return rows


def test_queue_with_local_members_takes_talk_from_the_member_side_row():
    call = one_call(frame(*_queue_rows(answered=True)))
    check(call, status="answered", answered_by="202", employee="202", group="700", wait_s=16, talk_s=120,
          legs=4, transfers=0, external_number=CLIENT_NORMAL)


def test_the_queue_step_says_whether_the_call_was_answered_in_the_queue():
    # The talk leg is the member side's (Local;2 → phone), which has no queue of its own: the queue
    # step is answered because someone answered while the caller was in it.
    for answered, outcome in ((True, "answered"), (False, "unanswered")):
        steps = reconstruct(frame(*_queue_rows(answered=answered)), TOPOLOGY, tz=TZ).steps
        queue = steps[steps["kind"] == "queue"]
        assert queue[["target", "outcome"]].values.tolist() == [["700", outcome]]


def test_a_queue_left_by_a_transfer_is_unanswered_there_when_the_talk_came_after():
    q = {"dst": "700", "dcontext": "ext-queues", "lastapp": "Queue", "lastdata": "700,t,,,240"}
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "Local/201@from-queue-5;1", "NO ANSWER", 20, 20, uid="1.1", seq=1, **q),
        cdr_row("10:00:01", "Local/201@from-queue-5;2", "PJSIP/201-7", "NO ANSWER", 19, 0, uid="1.3",
                linkedid="1.1", dst="201", dcontext="from-queue", did="", seq=2),
        # The caller pressed a key and left the queue for 203's phone.
        cdr_row("10:00:25", "PJSIP/trunk1-1", "PJSIP/203-8", "ANSWERED", 60, 50, uid="1.1", dst="203", seq=3),
    ]
    steps = reconstruct(frame(*rows), TOPOLOGY, tz=TZ).steps
    assert steps.loc[steps["kind"] == "queue", "outcome"].tolist() == ["unanswered"]


def test_abandoned_queue_call_is_unanswered_although_the_caller_rows_had_billsec():
    call = one_call(frame(*_queue_rows(answered=False)))
    check(call, status="unanswered", answered_by="", talk_s=0, wait_s=16, group="700", last_target="700")


def test_queue_caller_leaving_before_any_member_rang_is_unanswered():
    row = cdr_row("10:00:00", "PJSIP/trunk1-1", "", "ANSWERED", 30, 30, uid="1.1", dst="700",
                  dcontext="ext-queues", lastapp="Queue", lastdata="700,t,,,240")
    check(one_call(frame(row)), status="unanswered", talk_s=0, wait_s=30, last_target="700", group="700")


def test_blind_transfer_is_one_call_with_the_talk_of_both_agents():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        # Party A stays the caller; answer = start = the transfer moment (docs/pbx-data.md §8).
        cdr_row("10:01:10", "PJSIP/trunk1-1", "PJSIP/202-3", "ANSWERED", 50, 50, uid="1.1", dst="202",
                dcontext="from-internal-xfer", seq=2),
    ]
    call = one_call(frame(*rows))
    check(call, status="answered", answered_by="201", employee="201", last_target="202", transfers=1,
          talk_s=110, wait_s=10, legs=2)


def test_attended_transfer_consultation_is_neither_a_second_call_nor_client_talk():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        # 201 consults 202 (own uniqueid, the caller's linkedid) while the caller is on hold.
        cdr_row("10:01:10", "PJSIP/201-4", "PJSIP/202-5", "ANSWERED", 20, 15, uid="1.4", linkedid="1.1",
                src="201", dst="202", dcontext="from-internal", did="", seq=2),
        cdr_row("10:01:30", "PJSIP/trunk1-1", "PJSIP/202-5", "ANSWERED", 40, 40, uid="1.1", dst="202",
                dcontext="from-internal-xfer", seq=3),
    ]
    result = reconstruct(frame(*rows), TOPOLOGY, tz=TZ)
    assert len(result.calls) == 1
    call = result.calls.iloc[0]
    # On hold counts (connected), the consultation is not a call of its own: 60 + 20 + 40.
    check(call, direction="incoming", answered_by="201", last_target="202", transfers=1, talk_s=120, legs=3)


def test_blonde_transfer_counts_once_and_excludes_the_ringing():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        cdr_row("10:01:10", "PJSIP/201-4", "PJSIP/202-5", "NO ANSWER", 3, 0, uid="1.4", linkedid="1.1",
                src="201", dst="202", dcontext="from-internal", did="", seq=2),
        cdr_row("10:01:10", "PJSIP/trunk1-1", "PJSIP/202-5", "ANSWERED", 48, 40, uid="1.1", dst="202",
                dcontext="from-internal-xfer", seq=3),
    ]
    check(one_call(frame(*rows)), transfers=1, talk_s=100, last_target="202", answered_by="201")


def test_forward_to_a_mobile_is_a_mixed_call_counted_for_the_forwarding_extension():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "Local/79035550011@from-internal-3;1", "ANSWERED", 80, 70,
                uid="1.1", dst="204", seq=1),
        # Looks like an outgoing call placed by the client: it is the same call (docs/pbx-data.md §8).
        cdr_row("10:00:00", "Local/79035550011@from-internal-3;2", "PJSIP/trunk1-4", "ANSWERED", 80, 70,
                uid="1.3", linkedid="1.1", dst="79035550011", dcontext="from-internal", did="",
                outbound_cnum=DID, seq=2),
    ]
    call = one_call(frame(*rows))
    check(call, direction="mixed", status="answered", employee="204", answered_by="", talk_s=70, wait_s=10,
          last_target="79035550011", external_number=CLIENT_NORMAL, line=DID)


def test_busy_phone_then_voicemail_is_answered_by_a_machine_not_a_person():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "BUSY", 0, 0, uid="1.1", seq=1),
        cdr_row("10:00:00", "PJSIP/trunk1-1", "", "ANSWERED", 30, 30, uid="1.1", dst="vmb201",
                dcontext="ext-local", lastapp="VoiceMail", lastdata="201@default,b", seq=2),
    ]
    result = reconstruct(frame(*rows), TOPOLOGY, tz=TZ)
    call = result.calls.iloc[0]
    check(call, status="unanswered", talk_s=0, answered_by="", last_target="201", wait_s=30)
    assert "voicemail" in set(result.steps["kind"])


def test_caller_hanging_up_in_the_ivr_is_unanswered():
    row = cdr_row("10:00:00", "PJSIP/trunk1-1", "", "ANSWERED", 12, 12, uid="1.1", dst="s", dcontext="ivr-1",
                  lastapp="BackGround", lastdata="custom/ivr-main")
    check(one_call(frame(row)), status="unanswered", talk_s=0, last_target="ivr-1")


def test_outgoing_call_counts_for_the_dialling_extension():
    row = cdr_row("11:00:00", "PJSIP/203-1", "PJSIP/trunk1-2", "ANSWERED", 100, 88, uid="2.1", src="203",
                  dst="89035550011", dcontext="from-internal", cnum="203", outbound_cnum="74957654321")
    check(one_call(frame(row)), direction="outgoing", status="answered", employee="203", caller="203",
          dialed="89035550011", external_number="79035550011", line="74957654321", wait_s=12, talk_s=88,
          answered_by="")
    busy = dict(row, disposition="BUSY", duration=4, billsec=0)
    check(one_call(frame(busy)), direction="outgoing", status="unanswered", talk_s=0, wait_s=4)


def test_internal_call_between_two_phones():
    row = cdr_row("12:00:00", "PJSIP/201-1", "PJSIP/202-2", "ANSWERED", 40, 33, uid="3.1", src="201", dst="202",
                  dcontext="from-internal", did="")
    check(one_call(frame(row)), direction="internal", status="answered", caller="201", dialed="202",
          external_number="", line="", answered_by="202", employee="201", talk_s=33)


def test_rows_written_twice_by_two_cdr_writers_count_once():
    rows = _queue_rows(answered=True)
    doubled = frame(*rows, *rows)
    assert one_call(doubled).to_dict() == one_call(frame(*rows)).to_dict()


def test_rows_without_linkedid_are_grouped_through_channels_and_local_halves():
    rows = [dict(r, linkedid="") for r in _queue_rows(answered=True)]
    call = one_call(frame(*rows))
    check(call, status="answered", answered_by="202", talk_s=120, legs=4)


def test_park_and_pickup_by_a_colleague_is_one_transfer():
    rows = [
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 40, 30, uid="1.1", seq=1),
        cdr_row("10:00:40", "PJSIP/trunk1-1", "", "ANSWERED", 20, 20, uid="1.1", dst="71",
                dcontext="parkedcalls", lastapp="Park", lastdata="default:71", seq=2),
        cdr_row("10:01:00", "PJSIP/trunk1-1", "PJSIP/203-5", "ANSWERED", 60, 60, uid="1.1", dst="71",
                dcontext="parkedcalls", lastapp="Park", lastdata="default:71", seq=3),
    ]
    # Time in the parking lot is not talk: 30 + 60.
    check(one_call(frame(*rows)), transfers=1, last_target="203", answered_by="201", talk_s=90)


def test_asterisk_schema_with_start_answer_end_columns():
    row = cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1")
    row["start"] = row.pop("calldate")
    row["answer"] = row["start"] + pd.Timedelta(seconds=10)
    row["end"] = row["start"] + pd.Timedelta(seconds=70)
    check(one_call(frame(row)), wait_s=10, talk_s=60, status="answered")


def test_the_autumn_dst_hour_is_told_apart_by_the_uniqueid_epoch():
    # Berlin, 2025-10-26: 02:30 happens twice (UTC 00:30 and 01:30).
    first = cdr_row("2025-10-26 02:30:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60,
                    uid=f"{pd.Timestamp('2025-10-26 00:30', tz='UTC').value // 10**9}.1")
    second = cdr_row("2025-10-26 02:30:00", "PJSIP/trunk1-3", "PJSIP/202-4", "ANSWERED", 70, 60,
                     uid=f"{pd.Timestamp('2025-10-26 01:30', tz='UTC').value // 10**9}.2")
    calls = reconstruct(frame(first, second), TOPOLOGY, tz="Europe/Berlin").calls.sort_values("start")
    starts = calls["start"].dt.tz_convert("UTC").dt.strftime("%H:%M").tolist()
    assert starts == ["00:30", "01:30"]
    assert calls["talk_s"].tolist() == [60, 60]


def test_cel_bridge_sharpens_the_answer_of_a_call_answered_early_by_the_ivr():
    row = cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 80, 80, uid="1.1")
    cel = pd.DataFrame([
        {"id": 1, "eventtype": "BRIDGE_ENTER", "eventtime": pd.Timestamp("2025-03-03 10:00:20"), "uniqueid": "1.1",
         "linkedid": "1.1", "channame": row["channel"], "peer": "", "extra": '{"bridge_technology":"simple_bridge"}'},
        {"id": 2, "eventtype": "HANGUP", "eventtime": pd.Timestamp("2025-03-03 10:01:20"), "uniqueid": "1.1",
         "linkedid": "1.1", "channame": row["channel"], "peer": "",
         "extra": '{"hangupcause":16,"hangupsource":"PJSIP/201-00000002","dialstatus":"ANSWER"}'},
    ])
    without = one_call(frame(row))
    check(without, wait_s=0, talk_s=80)
    result = reconstruct(frame(row), TOPOLOGY, tz=TZ, cel=cel)
    check(result.calls.iloc[0], wait_s=20, talk_s=60)
    hangup = result.steps[result.steps["kind"] == "hangup"].iloc[0]
    assert hangup["party"] == "201"


def test_queue_log_connect_sharpens_the_answer_of_a_queue_call():
    row = cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/202-2", "ANSWERED", 90, 90, uid="1.1", dst="700",
                  dcontext="ext-queues", lastapp="Queue", lastdata="700,t,,,240")
    qlog = pd.DataFrame([
        {"time": "2025-03-03 10:00:00.000000", "callid": "1.1", "queuename": "700", "agent": "NONE",
         "event": "ENTERQUEUE", "data1": "", "data2": CLIENT, "data3": "1", "data4": "", "data5": ""},
        {"time": "2025-03-03 10:00:25.000000", "callid": "1.1", "queuename": "700", "agent": "Local/202@from-queue/n",
         "event": "CONNECT", "data1": "25", "data2": "1.2", "data3": "5", "data4": "", "data5": ""},
    ])
    check(one_call(frame(row), queue_log=qlog), wait_s=25, talk_s=65, answered_by="202")


def test_route_reads_as_text_in_russian_and_english(monkeypatch):
    import atsnb.i18n

    rows = _queue_rows(answered=True)
    result = reconstruct(frame(*rows), TOPOLOGY, tz=TZ)
    route = result.route("1.1")
    assert list(route.table["seq"]) == list(range(len(route.table)))
    kinds = list(route.table["kind"])
    assert kinds[0] == "line" and kinds[-1] == "hangup" and "queue" in kinds and "answer" in kinds
    monkeypatch.setattr(atsnb.i18n, "_language", "en")
    assert "Queue: 700" in route.text and "Talk" in route.text
    monkeypatch.setattr(atsnb.i18n, "_language", "ru")
    assert "Очередь: 700" in route.text
    assert result.route("no such call").table.empty


def test_queue_log_tells_who_hung_up_a_queue_call_when_there_is_no_cel():
    rows = _queue_rows(answered=True)
    qlog = pd.DataFrame([
        {"time": "2025-03-03 10:02:16.000000", "callid": "1.1", "queuename": "700", "agent": "Local/202@from-queue/n",
         "event": "COMPLETEAGENT", "data1": "16", "data2": "120", "data3": "1", "data4": "", "data5": ""},
    ])
    steps = reconstruct(frame(*rows), TOPOLOGY, tz=TZ, queue_log=qlog).steps
    assert steps.loc[steps["kind"] == "hangup", "party"].tolist() == ["202"]
