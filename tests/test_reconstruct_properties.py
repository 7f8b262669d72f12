"""Properties that hold for any mix of calls: row order and duplicated rows change nothing, every leg
belongs to exactly one call, talk fits inside the call."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atsnb.calls import reconstruct
from tests.support.cdr_rows import CLIENT, DID, TOPOLOGY, cdr_row

KINDS = ["direct", "group", "queue", "blind", "attended", "forward", "outgoing", "internal", "voicemail"]


def scenario(kind: str, i: int, start: pd.Timestamp, ring: int, talk: int, answered: bool) -> list[dict]:
    """The rows of one call of ``kind``; ``i`` keeps ids and channel counters distinct between calls."""
    at = start.strftime("%Y-%m-%d %H:%M:%S")
    later = (start + pd.Timedelta(seconds=ring + talk)).strftime("%Y-%m-%d %H:%M:%S")
    uid, c = f"{1741000000 + i}.{i}", i * 16
    trunk, bill = f"PJSIP/trunk1-{c + 1:x}", talk if answered else 0
    disp = "ANSWERED" if answered else "NO ANSWER"
    if kind == "direct":
        return [cdr_row(at, trunk, f"PJSIP/201-{c + 2:x}", disp, ring + bill, bill, uid=uid)]
    if kind == "group":
        g = {"dst": "600", "dcontext": "ext-group"}
        return [cdr_row(at, trunk, f"PJSIP/201-{c + 2:x}", "NO ANSWER", ring, 0, uid=uid, seq=1, **g),
                cdr_row(at, trunk, f"PJSIP/202-{c + 3:x}", disp, ring + bill, bill, uid=uid, seq=2, **g)]
    if kind == "queue":
        q = {"dst": "700", "dcontext": "ext-queues", "lastapp": "Queue", "lastdata": "700,t"}
        return [cdr_row(at, trunk, f"Local/202@from-queue-{c + 4:x};1", disp, ring + bill, ring + bill, uid=uid,
                        seq=1, **q),
                cdr_row(at, f"Local/202@from-queue-{c + 4:x};2", f"PJSIP/202-{c + 5:x}", disp, ring + bill, bill,
                        uid=f"{uid}1", linkedid=uid, dst="202", dcontext="from-queue", did="", seq=2)]
    if kind == "blind":
        return [cdr_row(at, trunk, f"PJSIP/201-{c + 2:x}", "ANSWERED", ring + talk, talk, uid=uid, seq=1),
                cdr_row(later, trunk, f"PJSIP/202-{c + 3:x}", disp, 5 + bill, 5 + bill, uid=uid, dst="202", seq=2)]
    if kind == "attended":
        return [cdr_row(at, trunk, f"PJSIP/201-{c + 2:x}", "ANSWERED", ring + talk, talk, uid=uid, seq=1),
                cdr_row(later, f"PJSIP/201-{c + 6:x}", f"PJSIP/202-{c + 3:x}", disp, 9, 5 if answered else 0,
                        uid=f"{uid}2", linkedid=uid, src="201", dst="202", did="", seq=2),
                cdr_row(later, trunk, f"PJSIP/202-{c + 3:x}", disp, 9 + bill, 9 + bill, uid=uid, dst="202", seq=3)]
    if kind == "forward":
        mobile = f"Local/79035550011@from-internal-{c + 7:x}"
        return [cdr_row(at, trunk, mobile + ";1", disp, ring + bill, bill, uid=uid, dst="204", seq=1),
                cdr_row(at, mobile + ";2", f"PJSIP/trunk1-{c + 8:x}", disp, ring + bill, bill, uid=f"{uid}3",
                        linkedid=uid, dst="79035550011", did="", outbound_cnum=DID, seq=2)]
    if kind == "outgoing":
        return [cdr_row(at, f"PJSIP/203-{c + 1:x}", f"PJSIP/trunk1-{c + 2:x}", disp, ring + bill, bill, uid=uid,
                        src="203", dst="89035550011", did="", outbound_cnum=DID)]
    if kind == "internal":
        return [cdr_row(at, f"PJSIP/201-{c + 1:x}", f"PJSIP/202-{c + 2:x}", disp, ring + bill, bill, uid=uid,
                        src="201", dst="202", did="")]
    return [cdr_row(at, trunk, f"PJSIP/201-{c + 2:x}", "BUSY", 0, 0, uid=uid, seq=1),
            cdr_row(at, trunk, "", "ANSWERED", talk, talk, uid=uid, dst="vmb201", lastapp="VoiceMail", seq=2)]


call_specs = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 86_000), st.integers(1, 60), st.integers(1, 600), st.booleans()),
    min_size=1, max_size=12,
)


def build(specs) -> pd.DataFrame:
    rows = []
    for i, (kind, offset, ring, talk, answered) in enumerate(specs):
        rows += scenario(kind, i + 1, pd.Timestamp("2025-03-03") + pd.Timedelta(seconds=offset), ring, talk, answered)
    return pd.DataFrame(rows)


def canonical(calls: pd.DataFrame) -> pd.DataFrame:
    return calls.sort_values("call_id").reset_index(drop=True)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(call_specs, st.randoms(use_true_random=False), st.data())
def test_row_order_and_duplicated_rows_do_not_change_the_calls(specs, rnd, data):
    cdr = build(specs)
    expected = reconstruct(cdr, TOPOLOGY)
    shuffled = cdr.sample(frac=1.0, random_state=rnd.randint(0, 2**31))
    dup_rows = data.draw(st.lists(st.integers(0, len(cdr) - 1), max_size=5))
    messy = pd.concat([shuffled, cdr.iloc[dup_rows]], ignore_index=True)
    got = reconstruct(messy, TOPOLOGY)
    pd.testing.assert_frame_equal(canonical(got.calls), canonical(expected.calls))
    steps = ["call_id", "seq"]
    pd.testing.assert_frame_equal(got.steps.sort_values(steps).reset_index(drop=True),
                                  expected.steps.sort_values(steps).reset_index(drop=True))


@settings(max_examples=20, deadline=None)
@given(call_specs)
def test_every_leg_belongs_to_one_call_and_talk_fits_inside_it(specs):
    cdr = build(specs)
    calls = reconstruct(cdr, TOPOLOGY).calls
    assert len(calls) == len(specs)
    assert calls["legs"].sum() == len(cdr)
    assert calls["call_id"].is_unique
    span = (calls["end"] - calls["start"]).dt.total_seconds()
    assert (calls["talk_s"] <= span).all()
    assert (calls["wait_s"] >= 0).all() and (calls["wait_s"] <= span).all()
    assert ((calls["status"] == "answered") == (calls["talk_s"] > 0)).all()
    assert (calls.loc[calls["status"] == "dropped", "direction"] == "incoming").all()


@settings(max_examples=10, deadline=None)
@given(call_specs)
def test_answered_incoming_calls_count_for_someone_and_unanswered_for_nobody(specs):
    calls = reconstruct(build(specs), TOPOLOGY).calls
    incoming = calls[calls["direction"] == "incoming"]
    answered = incoming["status"] == "answered"
    assert (incoming.loc[answered, "employee"] != "").all()
    assert (incoming.loc[~answered, "answered_by"] == "").all()
    assert (calls.loc[calls["direction"] != "internal", "external_number"].str.len() == 11).all()
    assert CLIENT not in set(calls["external_number"])
