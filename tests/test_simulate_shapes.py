"""Every scenario kind writes the rows a FreePBX-style Asterisk writes (docs/pbx-data.md §2.4, §2.7, §8)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from atsnb.phone_numbers import normalize_number
from atsnb.simulate import simulate

END = "2026-11-20 18:00"  # a Friday evening: the week before is complete


@pytest.fixture(scope="module")
def sim():
    return simulate(days=7, seed=7, end=END)


def rows_of(sim, scenario: str, pick: int = 0) -> tuple[pd.Series, pd.DataFrame]:
    """The truth row of the ``pick``-th call of a scenario and its CDR rows (in the written order)."""
    calls = sim.truth[sim.truth["scenario"] == scenario]
    assert len(calls) > pick, f"no {scenario} call in the sample"
    call = calls.iloc[pick]
    cdr = sim.tables["cdr"]
    return call, cdr[cdr["linkedid"] == call["call_id"]]


def caller_rows(call: pd.Series, rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["uniqueid"] == call["call_id"]]


def test_every_row_of_a_call_shares_the_linkedid_of_its_oldest_channel(sim):
    cdr = sim.tables["cdr"]
    assert cdr["uniqueid"].str.fullmatch(r"\d{10}\.\d+").all()
    first = cdr.sort_values(["calldate", "sequence"]).groupby("linkedid")["uniqueid"].first()
    assert (first.index == first.to_numpy()).mean() > 0.99
    no_rows = set(sim.tables["callbacks"].query("status == 'employee_no_answer'")["linkedid"])
    assert set(sim.truth["call_id"]) - no_rows <= set(cdr["linkedid"])
    # Rows of calls still going on at the end of the history are there already; their calls are not over.
    in_progress = set(cdr["linkedid"]) - set(sim.truth["call_id"])
    cel = sim.tables["cel"]
    assert not (cel["linkedid"].isin(in_progress) & (cel["eventtype"] == "LINKEDID_END")).any()


def test_rows_are_written_at_hang_up_not_in_start_order_and_sequence_has_gaps(sim):
    cdr = sim.tables["cdr"]
    assert not cdr["calldate"].is_monotonic_increasing
    gaps = cdr["sequence"].sort_values().diff().dropna()
    assert (gaps > 1).any() and (gaps >= 1).all()


def test_a_ring_group_writes_one_row_per_rung_phone_with_one_answered(sim):
    call, rows = rows_of(sim, "group_answered")
    mine = caller_rows(call, rows)
    group = mine[mine["dcontext"] == "ext-group"]
    members = sim.topology["groups"][call["group"]]
    assert len(group) == len(members)
    assert set(group["dstchannel"].str.extract(r"PJSIP/(\d+)-")[0]) == set(members)
    assert (group["disposition"] == "ANSWERED").sum() == 1
    answered = group[group["disposition"] == "ANSWERED"].iloc[0]
    assert answered["dstchannel"].startswith(f"PJSIP/{call['answered_by']}-")
    assert group["calldate"].nunique() == 1 and (group["lastapp"] == "Dial").all()
    assert (group["did"] == call["line"]).all()


def test_a_queue_rings_members_through_local_channels_and_the_phone_side_holds_the_talk(sim):
    call, rows = rows_of(sim, "queue_answered")
    mine = caller_rows(call, rows)
    assert (mine["lastapp"] == "Queue").all() and (mine["dst"] == call["group"]).all()
    assert mine["dstchannel"].str.fullmatch(r"Local/\d+@from-queue-[0-9a-f]{8};1").all()
    halves = rows[rows["channel"].str.startswith("Local/")]
    assert halves["channel"].str.endswith(";2").all()
    assert (halves["src"] == call["caller"]).all()  # the ;2 row's src is the external caller
    assert (halves["uniqueid"] != call["call_id"]).all()
    talked = halves[halves["disposition"] == "ANSWERED"].iloc[0]
    assert talked["dstchannel"].startswith(f"PJSIP/{call['answered_by']}-")
    assert abs(talked["billsec"] - call["talk_s"]) <= 1
    # Early Answer(): the caller's rows to members who did not pick up are NO ANSWER with billsec > 0.
    missed = mine[mine["disposition"] == "NO ANSWER"]
    assert len(missed) >= 1 and (missed["billsec"] > 0).all()
    winner = mine[mine["disposition"] == "ANSWERED"].iloc[0]
    assert winner["billsec"] >= talked["billsec"]


def test_a_caller_who_gives_up_before_any_phone_rang_leaves_one_answered_row():
    busy = simulate(days=2, seed=7, end=END, employees=10, calls_per_day=600)  # every agent on the phone
    t = busy.truth
    calls = t[(t["scenario"] == "queue_abandoned") & (t["rang"] == "")]
    assert len(calls) > 0
    cdr = busy.tables["cdr"]
    rows = cdr[cdr["linkedid"] == calls.iloc[0]["call_id"]]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["disposition"], row["dstchannel"], row["lastapp"]) == ("ANSWERED", "", "Queue")


def test_an_abandoned_queue_call_shows_its_wait_only_in_queue_log(sim):
    t = sim.truth
    call = t[(t["scenario"] == "queue_abandoned") & (t["rang"] != "")].iloc[0]
    rows = sim.tables["cdr"][sim.tables["cdr"]["linkedid"] == call["call_id"]]
    assert (rows["disposition"] == "NO ANSWER").all()
    qlog = sim.tables["queue_log"]
    mine = qlog[qlog["callid"] == call["call_id"]]
    assert list(mine["event"].iloc[:2]) == ["DID", "ENTERQUEUE"]
    abandon = mine[mine["event"] == "ABANDON"].iloc[0]
    entered = pd.Timestamp(mine["time"].iloc[1])
    assert abs(int(abandon["data3"]) - (call["end"] - entered).total_seconds()) <= 2


def test_a_blind_transfer_adds_a_caller_row_answered_from_the_transfer_moment(sim):
    call, rows = rows_of(sim, "direct_answered_blind") if (sim.truth["scenario"] == "direct_answered_blind").any() \
        else rows_of(sim, "queue_answered_blind")
    mine = caller_rows(call, rows)
    xfer = mine[mine["dcontext"] == "from-internal-xfer"]
    assert len(xfer) == 1
    row = xfer.iloc[0]
    assert row["duration"] == row["billsec"]  # start = answer = the transfer
    assert call["transfers"] == 1
    cel = sim.tables["cel"]
    assert ((cel["linkedid"] == call["call_id"]) & (cel["eventtype"] == "BLINDTRANSFER")).sum() == 1


def test_an_attended_transfer_has_a_consultation_row_owned_by_the_employee(sim):
    call, rows = rows_of(sim, "queue_answered_attended")
    consult = rows[rows["dcontext"] == "from-internal"]
    assert len(consult) == 1
    row = consult.iloc[0]
    assert row["src"] == call["answered_by"] and row["cnum"] == call["answered_by"]
    assert row["channel"].startswith(f"PJSIP/{call['answered_by']}-")
    assert row["uniqueid"] != call["call_id"] and row["linkedid"] == call["call_id"]
    assert row["disposition"] == "ANSWERED"
    mine = caller_rows(call, rows)
    assert (mine["dcontext"] == "from-internal-xfer").sum() == 1


def test_a_blonde_transfer_consultation_is_not_answered(sim):
    t = sim.truth
    call = t[t["scenario"].str.endswith("_blonde")].iloc[0]
    rows = sim.tables["cdr"][sim.tables["cdr"]["linkedid"] == call["call_id"]]
    consult = rows[rows["dcontext"] == "from-internal"]
    assert list(consult["disposition"]) == ["NO ANSWER"]


def test_a_parked_call_has_a_park_row_then_the_row_of_whoever_picked_it_up(sim):
    t = sim.truth
    call = t[t["scenario"].str.endswith("_park")].iloc[0]
    rows = sim.tables["cdr"][sim.tables["cdr"]["uniqueid"] == call["call_id"]]
    park = rows[rows["lastapp"] == "Park"]
    assert (park["dst"] == "71").all()
    assert (park["dstchannel"] == "").sum() == 1
    cel = sim.tables["cel"]
    events = set(cel.loc[cel["linkedid"] == call["call_id"], "eventtype"])
    assert {"PARK_START", "PARK_END"} <= events


def test_a_forward_to_a_mobile_goes_out_through_the_trunk_as_a_mixed_call(sim):
    t = sim.truth
    call = t[(t["scenario"] == "forward_mobile") & (t["status"] == "answered")].iloc[0]
    assert call["direction"] == "mixed"
    rows = sim.tables["cdr"][sim.tables["cdr"]["linkedid"] == call["call_id"]]
    mine = caller_rows(call, rows)
    assert mine["dstchannel"].str.fullmatch(r"Local/79\d{9}@from-internal-[0-9a-f]{8};1").all()
    out = rows[rows["channel"].str.endswith(";2")].iloc[0]
    trunks = sim.topology["trunks"]
    assert any(out["dstchannel"].startswith(f"PJSIP/{tr}-") for tr in trunks)
    assert out["outbound_cnum"] == call["line"] and out["src"] == call["caller"]
    assert (rows["disposition"] == "ANSWERED").all()


@pytest.mark.parametrize("scenario", ["direct_voicemail", "group_voicemail", "queue_timeout", "after_hours"])
def test_voicemail_is_an_answered_row_without_a_person(sim, scenario):
    if not (sim.truth["scenario"] == scenario).any():
        scenario = "direct_voicemail"
    call, rows = rows_of(sim, scenario)
    vm = rows[rows["lastapp"] == "VoiceMail"]
    assert len(vm) == 1
    row = vm.iloc[0]
    assert row["disposition"] == "ANSWERED" and row["dstchannel"] == ""
    assert re.fullmatch(r"vm[ub]\d+", row["dst"])
    assert call["status"] == "unanswered" and call["answered_by"] == ""
    if len(rows) == 1:  # the caller's only row was created with the channel
        assert row["calldate"] == call["start"].floor("s")


def test_calls_outside_business_hours_meet_the_time_condition(sim):
    t = sim.truth
    closed = t[t["scenario"] == "after_hours"]
    assert len(closed) > 0
    hours = closed["start"].dt.hour
    weekend = closed["start"].dt.day_of_week >= 5
    assert ((hours < 8) | (hours >= 20) | weekend).all()
    opened = t[(t["direction"] == "incoming") & (t["line"] != "78005553535")]
    assert not ((opened["start"].dt.day_of_week < 5) & opened["start"].dt.hour.between(9, 18)
                & (opened["scenario"] == "after_hours")).any()


def test_a_caller_leaving_inside_the_ivr_leaves_one_answered_single_party_row(sim):
    call, rows = rows_of(sim, "ivr_hangup")
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["lastapp"], row["dstchannel"], row["disposition"], row["dcontext"]) == (
        "BackGround", "", "ANSWERED", "ivr-1")
    assert call["status"] in ("dropped", "unanswered")


def test_outgoing_calls_go_out_a_trunk_with_the_company_caller_id_and_end_every_way(sim):
    t = sim.truth
    out = t[t["scenario"] == "outgoing"]
    cdr = sim.tables["cdr"].set_index("linkedid")
    rows = cdr.loc[out["call_id"]]
    assert set(rows["disposition"]) == {"ANSWERED", "NO ANSWER", "BUSY", "FAILED"}
    assert (rows["outbound_cnum"].isin(sim.directories["lines"]["number"])).all()
    assert (rows["cnum"] == rows["src"]).all()
    assert rows["channel"].str.extract(r"PJSIP/(\d+)-")[0].isin(sim.topology["extensions"]).all()
    assert (out["external_number"].str.fullmatch(r"79\d{9}")).all()


def test_recordings_are_named_as_freepbx_names_them_and_match_the_truth(sim):
    cdr = sim.tables["cdr"]
    named = cdr.loc[cdr["recordingfile"] != "", "recordingfile"]
    assert len(named) > 0
    pattern = r"(q|rg|external|out|internal)-[0-9]+-[0-9]+-\d{8}-\d{6}-\d{10}\.\d+\.wav"
    assert named.str.fullmatch(pattern).all()
    truth_names = set(sim.truth["recording"]) - {""}
    assert set(named) == truth_names
    sample = sim.truth[sim.truth["recording"] != ""].iloc[0]
    assert sample["recording"].split("-")[3] == sample["start"].strftime("%Y%m%d")


def test_cel_and_queue_log_agree_with_the_cdr(sim):
    cel, qlog, truth = sim.tables["cel"], sim.tables["queue_log"], sim.truth
    ended = cel[cel["eventtype"] == "LINKEDID_END"]
    assert ended["linkedid"].is_unique
    assert set(ended["linkedid"]) == set(truth["call_id"]) | set(sim.tables["callbacks"]["linkedid"])
    hangups = cel[cel["eventtype"] == "HANGUP"]["extra"].map(json.loads)
    assert hangups.map(lambda x: {"hangupcause", "hangupsource", "dialstatus"} <= set(x)).all()
    assert cel["id"].is_monotonic_increasing and cel["eventtime"].is_monotonic_increasing
    queued = truth[truth["scenario"].str.startswith("queue_") | (truth["group"].isin(["700", "701"]))]
    entered = qlog[qlog["event"] == "ENTERQUEUE"]
    assert set(queued["call_id"]) <= set(entered["callid"])
    assert not (set(entered["callid"]) - set(queued["call_id"])) & set(truth["call_id"])  # others: in progress
    connects = qlog[(qlog["event"] == "CONNECT") & qlog["callid"].isin(truth["call_id"])]
    answered = truth.set_index("call_id").loc[connects["callid"]]
    assert (connects["agent"].str.extract(r"Local/(\d+)@")[0].to_numpy() == answered["answered_by"].to_numpy()).all()
    assert qlog["time"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}").all()


def test_ratings_follow_answered_calls_and_differ_by_operator(sim):
    ratings, truth = sim.tables["ratings"], sim.truth
    assert ratings["rating"].between(1, 5).all()
    answered = truth.set_index("call_id").loc[ratings["linkedid"]]
    assert (answered["status"] == "answered").all()
    means = ratings.groupby("extension")["rating"].mean()
    assert means.max() - means.min() > 0.8


def test_website_callbacks_call_the_employee_first_then_the_client(sim):
    cb, cdr = sim.tables["callbacks"], sim.tables["cdr"]
    assert set(cb["status"]) <= {"connected", "employee_no_answer", "client_no_answer", "failed"}
    assert "connected" in set(cb["status"])
    assert cb["number"].map(normalize_number).str.fullmatch(r"79\d{9}").all()
    connected = cb[cb["status"] == "connected"]
    rows = cdr.set_index("linkedid").loc[connected["linkedid"]]
    assert rows["channel"].str.extract(r"PJSIP/(\d+)-")[0].to_numpy().tolist() == connected["extension"].tolist()
    assert (connected["connected_at"] > connected["called_at"]).all()
    assert (connected["called_at"] > connected["requested_at"]).all()
    missed = cb[cb["status"] == "employee_no_answer"]
    assert not cdr["linkedid"].isin(missed["linkedid"]).any()  # unanswered=no: no row without Party B


def test_the_truth_uses_the_glossary(sim):
    t = sim.truth
    assert set(t["direction"]) == {"incoming", "outgoing", "internal", "mixed"}
    assert set(t["status"]) == {"answered", "unanswered", "dropped"}
    dropped = t[t["status"] == "dropped"]
    assert (dropped["direction"] == "incoming").all() and (dropped["wait_s"] <= 5).all()
    answered = t[t["status"] == "answered"]
    assert (answered["talk_s"] > 0).all() and answered["answer"].notna().all()
    assert (t.loc[t["status"] != "answered", "talk_s"] == 0).all()
    external = t[t["direction"] != "internal"]
    assert external["external_number"].str.fullmatch(r"7\d{10}").all()
    incoming = t[t["direction"] == "incoming"]
    assert incoming["line"].isin(sim.topology["company_numbers"]).all()
    assert (incoming.loc[incoming["status"] == "answered", "answered_by"] == incoming.loc[
        incoming["status"] == "answered", "employee"]).all()
    assert set(t["hangup_by"]) <= {"caller", "callee", "system"}
