"""Every scenario kind writes the rows a FreePBX-style Asterisk writes (docs/pbx-data.md §2.4, §2.7, §8)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from atsnb.errors import ConfigError
from atsnb.phone_numbers import normalize_number
from atsnb.simulate import PbxStyle, simulate

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
    assert in_progress and in_progress <= set(sim.in_progress["call_id"])
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
    unmatched = ratings["linkedid"].eq("")  # the module could not tie these to a call: a few, not none
    assert 0 < unmatched.sum() < 0.1 * len(ratings)
    assert ratings.loc[unmatched, "uniqueid"].eq("").all()
    answered = truth.set_index("call_id").loc[ratings.loc[~unmatched, "linkedid"]]
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


# -- PBX styles (docs/simulator.md, "PBX styles") -----------------------------------------------------
TECH_NAMES = {  # (phone channel, trunk channel) of each driver
    "pjsip": (r"PJSIP/\d+-[0-9a-f]{8}", r"PJSIP/(mts-trunk|beeline-8800|rt-spb)-[0-9a-f]{8}"),
    "sip": (r"SIP/\d+-[0-9a-f]{8}", r"SIP/(mts-trunk|beeline-8800|rt-spb)-[0-9a-f]{8}"),
    "iax2": (r"IAX2/\d+-\d{1,5}", r"IAX2/(mts-trunk|beeline-8800|rt-spb)-\d{1,5}"),
    "dahdi": (r"DAHDI/\d+-[12]", r"DAHDI/i[123]/[78]\d{10}-[0-9a-f]+"),
}
LOCAL = r"Local/\d+@[a-z-]+-[0-9a-f]{8};[12]"


@pytest.fixture(scope="module")
def by_technology():
    return {tech: simulate(days=2, seed=7, end=END, style=PbxStyle(technology=tech, transfers=(
        "blind", "attended", "blonde", "park", "atxfer", "refer"))) for tech in TECH_NAMES}


@pytest.mark.parametrize("tech", list(TECH_NAMES))
def test_each_channel_technology_names_phones_and_trunks_its_own_way(by_technology, tech):
    sim = by_technology[tech]
    cdr = sim.tables["cdr"]
    phone, trunk = TECH_NAMES[tech]
    names = pd.concat([cdr["channel"], cdr["dstchannel"]])
    names = names[names != ""]
    assert names.str.fullmatch(f"{phone}|{trunk}|{LOCAL}").all()
    assert names.str.fullmatch(phone).any() and names.str.fullmatch(trunk).any()
    # Trunks are named in the topology as their channels show them: the peer, or the DAHDI span.
    assert sim.topology["trunks"] == (["i1", "i2", "i3"] if tech == "dahdi" else ["beeline-8800", "mts-trunk", "rt-spb"])
    incoming = cdr[cdr["did"] != ""]["channel"]
    incoming = incoming[~incoming.str.startswith("Local/")]
    peers = incoming.str.extract(r"^[A-Z0-9]+/(i\d+|[a-z0-9-]+?)(?:/|-[0-9a-f]+$)")[0]
    assert set(peers) == set(sim.topology["trunks"])
    # Dial strings follow the driver; Local channels stay as they are.
    prefix = tech.upper()
    dials = cdr.loc[cdr["lastapp"] == "Dial", "lastdata"]
    assert dials.str.match(f"({prefix}|Local)/").all()
    out = cdr.loc[cdr["outbound_cnum"] != "", "lastdata"].iloc[0]
    assert re.match({"pjsip": r"PJSIP/7\d{10}@[a-z0-9-]+,", "sip": r"SIP/[a-z0-9-]+/7\d{10},",
                     "iax2": r"IAX2/[a-z0-9-]+/7\d{10},", "dahdi": r"DAHDI/g[012]/7\d{10},"}[tech], out)
    cel = sim.tables["cel"]
    assert cel["channame"].str.fullmatch(f"{phone}|{trunk}|{LOCAL}").all()


def test_the_same_seed_plays_the_same_calls_on_every_technology(by_technology):
    truths = [sim.truth for sim in by_technology.values()]
    for other in truths[1:]:
        pd.testing.assert_frame_equal(other, truths[0])
    assert len({len(sim.tables["cdr"]) for sim in by_technology.values()}) == 1


def test_iax2_call_numbers_are_small_decimals_used_again(by_technology):
    cdr = by_technology["iax2"].tables["cdr"]
    names = pd.concat([cdr["channel"], cdr["dstchannel"]]).drop_duplicates()
    numbers = names[names.str.startswith("IAX2/")].str.rsplit("-", n=1).str[1].astype(int)
    assert numbers.between(1, 32767).all()
    assert numbers.duplicated().any()  # a call number comes back in later calls


def test_dahdi_isdn_channels_name_the_remote_party(by_technology):
    sim = by_technology["dahdi"]
    cdr, truth = sim.tables["cdr"], sim.truth.set_index("call_id")
    incoming = cdr[(cdr["uniqueid"] == cdr["linkedid"]) & cdr["channel"].str.startswith("DAHDI/i")]
    caller = truth.loc[incoming["linkedid"], "caller"].to_numpy()
    assert (incoming["channel"].str.extract(r"DAHDI/i\d/(\d+)-")[0].to_numpy() == caller).all()
    out = cdr[cdr["dstchannel"].str.startswith("DAHDI/i") & (cdr["outbound_cnum"] != "")]
    dialled = out["lastdata"].str.extract(r"DAHDI/g\d/(\d+),")[0]
    assert (out["dstchannel"].str.extract(r"DAHDI/i\d/(\d+)-")[0] == dialled).all()
    # A phone's second line during a consultation is instance 2 of its port.
    second = cdr[cdr["channel"].str.fullmatch(r"DAHDI/\d+-2")]
    assert len(second) > 0 and (second["dcontext"] == "from-internal").all()


@pytest.fixture(scope="module")
def consulted():
    """A week of a company whose employees transfer with *2 and with their phones' own button."""
    return simulate(days=7, seed=5, end=END, flavour="asterisk", style=PbxStyle(transfers=("atxfer", "refer")))


def one_call(sim, style: str, route: str = "direct|group") -> tuple[pd.Series, pd.DataFrame]:
    t = sim.truth
    calls = t[t["scenario"].str.fullmatch(f"({route})_answered_{style}")]
    assert len(calls) > 0, f"no {style} call in the sample"
    call = calls.iloc[0]
    cdr = sim.tables["cdr"]
    return call, cdr[cdr["linkedid"] == call["call_id"]].sort_values("sequence")


def test_a_star_two_transfer_writes_the_six_rows_of_asterisk_22(consulted):
    call, rows = one_call(consulted, "atxfer")
    u = call["call_id"]
    ext, target = call["answered_by"], call["last_target"]
    trunk = rows.iloc[0]["channel"]
    mine = rows[(rows["uniqueid"] == u) & (rows["disposition"] == "ANSWERED")]
    first, held, final = mine.iloc[0], mine.iloc[1], mine.iloc[2]
    agent = first["dstchannel"]
    assert re.fullmatch(rf"PJSIP/{ext}-[0-9a-f]{{8}}", agent) and first["lastapp"] == "Dial"
    local = held["dstchannel"]
    assert re.fullmatch(rf"Local/{target}@from-internal-[0-9a-f]{{8}};1", local)
    dev = final["dstchannel"]
    assert re.fullmatch(rf"PJSIP/{target}-[0-9a-f]{{8}}", dev)
    two = rows[rows["channel"] == local[:-1] + "2"].iloc[0]
    consult = rows[rows["channel"] == agent].iloc[0]
    empty = rows[rows["channel"] == local].iloc[0]
    assert len(rows[rows["disposition"] == "ANSWERED"]) == 6 and (rows["linkedid"] == u).all()
    c0, c1, c2 = first["end"], consult["answer"], consult["end"]
    assert (first["start"], first["answer"]) == (call["start"].floor("s"), call["answer"].floor("s"))
    # 2: the caller on hold, paired with the Local half; the original dial string stays.
    assert (held["start"], held["answer"], held["end"]) == (c0, c0, c2)
    assert (held["lastapp"], held["lastdata"], held["channel"]) == ("Dial", first["lastdata"], trunk)
    # 3: the Local half rings the colleague with the external caller's number.
    assert (two["dstchannel"], two["lastapp"], two["src"], two["dst"], two["dcontext"]) == (
        dev, "Dial", call["caller"], target, "from-internal")
    assert two["uniqueid"] not in (u, consult["uniqueid"]) and (two["start"], two["answer"], two["end"]) == (c0, c1, c2)
    # 4: the consultation, owned by the employee's channel.
    assert (consult["dstchannel"], consult["lastapp"], consult["src"], consult["dst"]) == (local, "AppDial", ext, target)
    assert consult["uniqueid"] != u and consult["start"] == c0
    # 5: the near-empty Local row.
    assert (empty["dstchannel"], empty["lastapp"], empty["duration"]) == ("", "AppDial", 0)
    assert (empty["start"], empty["answer"], empty["end"]) == (c2, c2, c2)
    assert empty["uniqueid"] not in (u, two["uniqueid"], consult["uniqueid"])
    # 6: the caller with the colleague, still where the dialplan had it.
    assert (final["start"], final["answer"], final["end"]) == (c2, c2, call["end"].floor("s"))
    assert (final["lastapp"], final["lastdata"], final["dst"]) == ("Dial", first["lastdata"], first["dst"])
    assert call["transfers"] == 1 and call["answered_by"] == ext and target != ext
    assert abs(call["talk_s"] - (call["end"] - call["answer"]).total_seconds()) < 0.01
    cel = consulted.tables["cel"]
    xfer = cel[(cel["eventtype"] == "ATTENDEDTRANSFER") & (cel["linkedid"] == u)]
    assert list(xfer["channame"]) == [agent] and xfer["eventtime"].iloc[0] == c2


def test_a_phone_transfer_consultation_is_a_call_of_its_own_tied_only_by_cel(consulted):
    # a direct call: a ring group's legs carry the group's own early answer, not the agent's
    call, rows = one_call(consulted, "refer", route="direct")
    u = call["call_id"]
    ext, target = call["answered_by"], call["last_target"]
    mine = rows[rows["disposition"] == "ANSWERED"]
    assert len(mine) == 2
    first, final = mine.iloc[0], mine.iloc[1]
    agent, dev = first["dstchannel"], final["dstchannel"]
    assert re.fullmatch(rf"PJSIP/{ext}-[0-9a-f]{{8}}", agent) and re.fullmatch(rf"PJSIP/{target}-[0-9a-f]{{8}}", dev)
    cel = consulted.tables["cel"]
    xfer = cel[(cel["eventtype"] == "ATTENDEDTRANSFER") & (cel["linkedid"] == u)].iloc[0]
    extra = json.loads(xfer["extra"])
    assert list(extra) == ["bridge1_id", "channel2_name", "channel2_uniqueid", "bridge2_id", "transferee_channel_name",
                           "transferee_channel_uniqueid", "transfer_target_channel_name",
                           "transfer_target_channel_uniqueid"]
    z = extra["channel2_uniqueid"]
    assert xfer["channame"] == agent and xfer["uniqueid"] != u
    assert (extra["transferee_channel_name"], extra["transferee_channel_uniqueid"]) == (first["channel"], u)
    assert extra["transfer_target_channel_name"] == dev
    consult = consulted.tables["cdr"][consulted.tables["cdr"]["linkedid"] == z]
    assert len(consult) == 1
    row = consult.iloc[0]
    assert (row["uniqueid"], row["channel"], row["dstchannel"]) == (z, extra["channel2_name"], dev)
    assert re.fullmatch(rf"PJSIP/{ext}-[0-9a-f]{{8}}", row["channel"]) and row["channel"] != agent
    assert (row["src"], row["dst"], row["dcontext"], row["disposition"]) == (ext, target, "from-internal", "ANSWERED")
    c2 = row["end"]
    assert first["end"] == c2 == xfer["eventtime"] and (final["start"], final["answer"]) == (c2, c2)
    assert first["answer"] == call["answer"].floor("s") and final["end"] == call["end"].floor("s")
    assert (final["lastdata"], final["dst"]) == (first["lastdata"], first["dst"])
    # The consultation's channels carry linkedid Z in CEL; the truth knows no call Z.
    consult_events = cel[cel["channame"].isin([row["channel"]])]
    assert (consult_events["linkedid"] == z).all()
    target_events = cel[cel["channame"] == dev]
    assert set(target_events.loc[target_events["eventtime"] < c2, "linkedid"]) == {z}
    assert set(target_events.loc[target_events["eventtype"] == "HANGUP", "linkedid"]) == {u}
    assert z not in set(consulted.truth["call_id"])
    assert call["transfers"] == 1 and abs(call["talk_s"] - (call["end"] - call["answer"]).total_seconds()) < 0.01


def test_a_queue_member_transfers_with_star_two_and_queue_log_says_so(consulted):
    call, rows = one_call(consulted, "atxfer", route="queue")
    qlog = consulted.tables["queue_log"]
    mine = qlog[qlog["callid"] == call["call_id"]]
    assert mine["event"].iloc[-1] == "ATTENDEDTRANSFER"
    assert mine["agent"].iloc[-1] == f"Local/{call['answered_by']}@from-queue/n"
    assert (rows["lastapp"] == "AppDial").sum() == 2


def test_transfer_styles_a_company_does_not_use_never_occur(consulted):
    kinds = set(consulted.truth["scenario"].str.extract(r"_(blind|attended|blonde|park|atxfer|refer)$")[0].dropna())
    # A consultation nobody answers ends as a blonde transfer whatever the style.
    assert kinds == {"atxfer", "refer", "blonde"}
    plain = simulate(days=2, seed=7, end=END, style=PbxStyle(transfers=()))
    assert (plain.truth["transfers"] == 0).all()


def test_two_cdr_writers_write_every_row_twice():
    once = simulate(days=1, seed=4, end=END)
    twice = simulate(days=1, seed=4, end=END, style=PbxStyle(duplicate_cdr=True))
    cdr = twice.tables["cdr"]
    assert len(cdr) == 2 * len(once.tables["cdr"])
    pd.testing.assert_frame_equal(cdr.iloc[::2].reset_index(drop=True), once.tables["cdr"])
    pd.testing.assert_frame_equal(cdr.iloc[1::2].reset_index(drop=True), once.tables["cdr"])
    pd.testing.assert_frame_equal(twice.truth, once.truth)
    assert len(twice.written["cdr"]) == len(cdr)


def test_the_single_data_queue_log_joins_each_lines_fields_with_bars():
    split = simulate(days=1, seed=4, end=END).tables["queue_log"]
    single = simulate(days=1, seed=4, end=END, style=PbxStyle(queue_log_data="single")).tables["queue_log"]
    assert list(single.columns) == ["id", "time", "callid", "queuename", "agent", "event", "data"]
    parts = single["data"].str.split("|", n=4, expand=True).reindex(columns=range(5)).fillna("")
    for i in range(5):
        assert (parts[i].to_numpy() == split[f"data{i + 1}"].to_numpy()).all()
    by_event = single.drop_duplicates("event").set_index("event")["data"]
    assert re.fullmatch(r"\|[78]\d{10}\|\d+", by_event["ENTERQUEUE"])
    assert re.fullmatch(r"\d+\|\d{10}\.\d+\|\d+", by_event["CONNECT"])
    assert not single["data"].str.endswith("|").any()


def test_a_style_outside_the_known_ones_is_refused():
    with pytest.raises(ValueError, match="technology"):
        PbxStyle(technology="skinny")
    with pytest.raises(ValueError, match="transfers"):
        PbxStyle(transfers=("blind", "conference"))

    class Section:
        technology, transfers, duplicate_cdr, queue_log_data = "iax2", "refer, blind", True, "sideways"

    with pytest.raises(ConfigError, match="simulate.queue_log_data"):
        PbxStyle.from_settings(Section())
    Section.queue_log_data = "single"
    style = PbxStyle.from_settings(Section())
    assert (style.technology, style.transfers, style.consulted) == ("iax2", ("blind", "refer"), ("refer",))
