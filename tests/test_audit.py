"""The data-quality audit on a real store filled through the sync with hand-written PBX rows: each
count is what reconstruction did to exactly those rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from atsnb.calls.audit import Audit, audit_period, audit_records
from atsnb.config import Settings
from atsnb.flow import sync_frames
from atsnb.source.shape import Shape
from atsnb.store import Store
from tests.support.cdr_rows import DAY, TOPOLOGY, cdr_row, frame

TZ = "Europe/Moscow"
PERIOD = (pd.Timestamp(f"{DAY} 00:00", tz=TZ), pd.Timestamp(f"{DAY} 00:00", tz=TZ) + pd.Timedelta(days=1))


def cel_event(n: int, kind: str, at: str, uid: str, linkedid: str, *, channel: str = "", extra: str = "") -> dict:
    return {"id": n, "eventtype": kind, "eventtime": pd.Timestamp(f"{DAY} {at}"), "channame": channel,
            "uniqueid": uid, "linkedid": linkedid, "peer": "", "extra": extra}


def queue_line(n: int, at: str, callid: str, event: str, *data: str) -> dict:
    row = {"id": n, "time": f"{DAY} {at}.000000", "callid": callid, "queuename": "700",
           "agent": "Local/201@from-queue/n", "event": event}
    return row | {f"data{i + 1}": (data[i] if i < len(data) else "") for i in range(5)}


def bridged_call(first_id: int, uid: str, start: str, answered: str, end: str) -> list[dict]:
    """CEL of a call whose caller's channel entered a bridge with the phone at ``answered``."""
    return [
        cel_event(first_id, "CHAN_START", start, uid, uid),
        cel_event(first_id + 1, "BRIDGE_ENTER", answered, uid, uid,
                  extra='{"bridge_id":"b1","bridge_technology":"simple_bridge"}'),
        cel_event(first_id + 2, "HANGUP", end, uid, uid, extra='{"hangupcause":16,"hangupsource":"","dialstatus":""}'),
        cel_event(first_id + 3, "CHAN_END", end, uid, uid),
        cel_event(first_id + 4, "LINKEDID_END", end, uid, uid),
    ]


def store_of(path, cdr: list[dict], cel: list[dict] = (), queue_log: list[dict] = ()) -> tuple[Store, Settings]:
    """A store holding the rows, copied the way the sync copies a PBX's, the calls derived."""
    store = Store.open(path)
    settings = Settings()
    settings.store.path = str(path)
    TOPOLOGY.save(store)
    frames = {"cdr": frame(*cdr)}
    if cel:
        frames["cel"] = pd.DataFrame(list(cel))
    if queue_log:
        frames["queue_log"] = pd.DataFrame(list(queue_log))
    sync_frames(store, settings, frames, Shape.of("freepbx"), progress=False)
    return store, settings


def test_rows_written_twice_repaired_rows_and_unknown_channel_technologies_are_counted(store_path):
    twice = cdr_row("10:00:05", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1741000001.1")
    twice["sequence"] = None  # an old writer without sequence: the sync keys the rows by their whole content
    again = twice | {"userfield": "second writer"}  # the same row from the second CDR back end
    longer = cdr_row("11:00:00", "PJSIP/trunk1-3", "PJSIP/202-4", "ANSWERED", 40, 55, uid="1741000002.2", seq=2)
    negative = cdr_row("12:00:00", "PJSIP/trunk1-5", "PJSIP/203-6", "NO ANSWER", -3, 0, uid="1741000003.3", seq=3)
    zap = cdr_row("13:00:00", "Zap/3-1", "PJSIP/201-7", "ANSWERED", 30, 20, uid="1741000004.4", seq=4)
    both = cdr_row("14:00:00", "Zap/4-1", "Zap/5-1", "ANSWERED", 30, 20, uid="1741000005.5", seq=5)
    store, settings = store_of(store_path, [twice, again, longer, negative, zap, both])
    assert len(store.table("cdr").read()) == 6  # both copies were stored: their keys differ

    audit = audit_period(store, settings, *PERIOD)

    assert audit.cdr_rows == 6 and audit.duplicates == 1 and audit.calls == 5
    assert audit.repaired == {"duration_zeroed": 1, "billsec_zeroed": 0, "billsec_clipped": 1, "linkedid_joined": 0}
    assert audit.repaired_rows == 2
    assert audit.unknown_tech_rows == 2 and audit.unknown_techs == {"Zap": 2}
    assert audit.skipped_rows == 0  # the sync stores no row without a time


def test_rows_without_linkedid_are_counted_as_joined_through_their_channels(store_path):
    first = cdr_row("10:00:05", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1741000001.1", linkedid="")
    blind = cdr_row("10:01:15", "PJSIP/trunk1-1", "PJSIP/202-3", "ANSWERED", 40, 30, uid="1741000001.1",
                    linkedid="", seq=1)
    store, settings = store_of(store_path, [first, blind])
    audit = audit_period(store, settings, *PERIOD)
    assert audit.repaired["linkedid_joined"] == 2 and audit.calls == 1


def test_answers_witnessed_by_cel_or_queue_log_are_told_from_those_resting_on_cdr_alone(store_path):
    by_cel = cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1741000001.1", seq=1)
    by_queue = cdr_row("11:00:00", "PJSIP/trunk1-3", "Local/202@from-queue-4;1", "ANSWERED", 90, 85,
                       uid="1741000002.2", seq=2, lastapp="Queue", lastdata="700", dst="700")
    member = cdr_row("11:00:20", "Local/202@from-queue-4;2", "PJSIP/202-5", "ANSWERED", 70, 65,
                     uid="1741000002.3", linkedid="1741000002.2", seq=3, dcontext="from-queue", dst="202")
    cdr_only = cdr_row("12:00:00", "PJSIP/trunk1-6", "PJSIP/203-7", "ANSWERED", 50, 40, uid="1741000003.4", seq=4)
    missed = cdr_row("13:00:00", "PJSIP/trunk1-8", "PJSIP/204-9", "NO ANSWER", 20, 0, uid="1741000004.5", seq=5)
    queue = [queue_line(1, "11:00:01", "1741000002.2", "ENTERQUEUE", "", "89161234567", "1"),
             queue_line(2, "11:00:25", "1741000002.2", "CONNECT", "24", "1741000002.3", "5"),
             queue_line(3, "11:01:30", "1741000002.2", "COMPLETECALLER", "24", "65", "1")]
    store, settings = store_of(store_path, [by_cel, by_queue, member, cdr_only, missed],
                               bridged_call(1, "1741000001.1", "10:00:00", "10:00:10", "10:01:10"), queue)
    audit = audit_period(store, settings, *PERIOD)
    assert audit.answered == 3
    assert (audit.answers_from_cel, audit.answers_from_queue_log, audit.answers_from_cdr_only) == (1, 1, 1)
    assert audit.cdr_only_share == pytest.approx(100 / 3)
    assert audit.cel_rows == 5 and audit.queue_log_rows == 3 and audit.records == 5 + 5 + 3
    assert audit.open_calls == 0


def test_calls_still_going_are_open_in_cel_and_in_queue_log(store_path):
    done = cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1741000001.1", seq=1)
    cel = [*bridged_call(1, "1741000001.1", "10:00:00", "10:00:10", "10:01:10"),
           # a call now talking: its channels began and entered a bridge, nothing ended; no CDR row yet
           cel_event(10, "CHAN_START", "23:50:00", "1741000009.9", "1741000009.9", channel="PJSIP/trunk1-0000000a"),
           cel_event(11, "CHAN_START", "23:50:02", "1741000009.10", "1741000009.9", channel="PJSIP/201-0000000b"),
           cel_event(12, "BRIDGE_ENTER", "23:50:05", "1741000009.9", "1741000009.9"),
           # the ringing phone of that call gave up: one channel ended, the call goes on
           cel_event(13, "HANGUP", "23:50:04", "1741000009.10", "1741000009.9"),
           cel_event(14, "CHAN_END", "23:50:04", "1741000009.10", "1741000009.9")]
    queue = [queue_line(1, "23:55:00", "1741000010.11", "ENTERQUEUE", "", "89161234567", "1"),  # waiting now
             queue_line(2, "22:00:00", "1741000011.12", "ENTERQUEUE", "", "89161234568", "1"),  # waited, gave up
             queue_line(3, "22:01:00", "1741000011.12", "ABANDON", "1", "1", "60")]
    store, settings = store_of(store_path, [done], cel, queue)
    audit = audit_period(store, settings, *PERIOD)
    assert audit.open_calls == 2 and audit.calls == 1
    tomorrow = (PERIOD[1], PERIOD[1] + pd.Timedelta(days=1))
    assert audit_period(store, settings, *tomorrow).open_calls == 0  # counted on the day they began


def test_an_attended_transfer_by_a_phone_without_cel_is_counted_unlinked(store_path):
    """SIP REFER: the agent's phone opens a second channel for the consultation, which gets a
    linkedid of its own (docs/pbx-data.md §2.4, "SIP Protocol Attended Transfer")."""
    talk = cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 60, 55, uid="1741000001.1", seq=1)
    consult = cdr_row("10:00:30", "PJSIP/201-3", "PJSIP/202-4", "ANSWERED", 29, 20, uid="1741000001.3", seq=2,
                      src="201", dst="202", dcontext="from-internal", did="")
    handed = cdr_row("10:01:00", "PJSIP/trunk1-1", "PJSIP/202-4", "ANSWERED", 90, 90, uid="1741000001.1",
                     seq=3, dcontext="from-internal-xfer", dst="202")
    store, settings = store_of(store_path, [talk, consult, handed])
    assert audit_period(store, settings, *PERIOD).unlinked_transfers == 1


def test_a_period_over_months_adds_up_the_months_and_counts_a_call_over_midnight_once(store_path):
    late = cdr_row("2025-03-31 23:59:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 120, 100,
                   uid="1741000001.1", seq=1)
    next_leg = cdr_row("2025-04-01 00:00:30", "PJSIP/trunk1-1", "PJSIP/202-3", "ANSWERED", 60, 50,
                       uid="1741000001.1", seq=2)
    april = cdr_row("2025-04-02 10:00:00", "PJSIP/trunk1-4", "PJSIP/203-5", "ANSWERED", 60, 500,
                    uid="1741000002.2", seq=3)
    store, settings = store_of(store_path, [late, next_leg, april])
    whole = audit_period(store, settings, pd.Timestamp("2025-03-31", tz=TZ), pd.Timestamp("2025-04-03", tz=TZ))
    assert whole.cdr_rows == 3 and whole.calls == 2 and whole.repaired["billsec_clipped"] == 1
    march = audit_period(store, settings, pd.Timestamp("2025-03-31", tz=TZ), pd.Timestamp("2025-04-01", tz=TZ))
    assert (march.cdr_rows, march.calls) == (1, 1)  # the call belongs to the day it started
    assert whole.start == pd.Timestamp("2025-03-31", tz=TZ) and whole.end == pd.Timestamp("2025-04-03", tz=TZ)


def test_frames_with_unreadable_start_times_are_skipped_as_the_sync_skips_them():
    good = cdr_row("10:00:05", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1741000001.1", seq=1)
    cdr = frame(good, good | {"uniqueid": "x.1", "linkedid": "x.1"}, good | {"uniqueid": "y.1", "linkedid": "y.1"})
    cdr["calldate"] = [str(good["calldate"]), "0000-00-00 00:00:00", "not a date"]
    audit = audit_records(cdr, TOPOLOGY, tz=TZ)
    assert audit.skipped == {"calldate_unreadable": 2} and audit.cdr_rows == 1 and audit.calls == 1


def test_the_audit_reads_in_both_languages_and_as_plain_values():
    audit = Audit(start=PERIOD[0], end=PERIOD[1], cdr_rows=12_000, cel_rows=345, calls=4_321, answered=100,
                  answers_from_cel=97, duplicates=2, unknown_tech_rows=3, unknown_techs={"Zap": 3}, open_calls=1)
    assert audit.summary("en") == ("12,345 records → 4,321 calls · answers of 3 % of calls from CDR only "
                                   "· worth a look: 5 · in progress: 1").replace("3 %", "3\u00a0%")
    assert audit.summary("ru").startswith("записей: 12\u00a0345 → звонков: 4\u00a0321 · ответ только по CDR: 3")
    text = audit.text("en")
    assert text.splitlines()[0] == "Data quality, 03.03.2025 – 03.03.2025"
    assert "CDR rows with channels of an unknown technology: 3\n    Zap: 3" in text
    assert "Качество данных за 03.03.2025 – 03.03.2025" in audit.text("ru")
    plain = json.loads(json.dumps(audit.to_dict()))
    assert plain["answers_from_cdr_only"] == 3 and plain["records"] == 12_345 and plain["start"].startswith("2025-03-03")
    assert (audit + audit).to_dict()["unknown_techs"] == {"Zap": 6}
