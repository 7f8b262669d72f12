"""Reconstruction held against the simulator's ground truth (it knows who answered each call), on every
PBX style the simulator writes (docs/simulator.md, "PBX styles"): each channel technology, each
transfer style alone, CDR rows written twice — with CEL and queue_log, and from the CDR alone."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb.calls import Topology, load_calls, reconstruct
from atsnb.config import Settings
from atsnb.flow import store_simulation
from atsnb.simulate import PbxStyle, simulate
from atsnb.simulate.style import TRANSFER_STYLES
from atsnb.store import Store

EXACT = ["direction", "status", "caller", "dialed", "external_number", "line", "answered_by", "employee",
         "last_target", "group", "transfers", "recording"]


END = "2026-11-20 18:00"  # four working days before it, whatever the clock says
FLAVOURS = {
    "pjsip": PbxStyle(),
    "sip": PbxStyle(technology="sip"),
    "iax2": PbxStyle(technology="iax2"),
    "dahdi": PbxStyle(technology="dahdi"),
    **{f"transfers-{style}": PbxStyle(transfers=(style,)) for style in TRANSFER_STYLES},
    "duplicate-cdr": PbxStyle(duplicate_cdr=True),
}
WHO_AND_WHAT = ["direction", "status", "answered_by", "employee", "last_target", "group", "transfers"]


@pytest.fixture(scope="module", params=list(FLAVOURS))
def sim(request):
    return simulate(days=4, seed=5, end=END, style=FLAVOURS[request.param])


def styled_calls(sim) -> pd.Index:
    """The calls a transfer-style flavour is about: those transferred in its style (empty for the others)."""
    style = sim.style.transfers
    if len(style) != 1:
        return pd.Index([])
    ids = sim.truth.loc[sim.truth["scenario"].str.endswith(f"_{style[0]}"), "call_id"]
    assert len(ids) >= 5, f"too few {style[0]} transfers in the sample"
    return pd.Index(ids)


def agreement(sim, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    result = reconstruct(sim.tables["cdr"], Topology.from_dict(sim.topology), **kw)
    calls = result.calls.set_index("call_id")
    truth = sim.truth.set_index("call_id")
    # Calls still going on at the end of the history have rows but no truth yet.
    extra = sorted(set(calls.index) - set(sim.in_progress["call_id"]) - set(truth.index))
    assert set(truth.index) <= set(calls.index)
    # Without CEL a phone-made (REFER) transfer's consultation stays a call of its own: internal,
    # and counted by the result as not linked — never anything else, never uncounted.
    assert extra == sorted(result.unlinked_transfers)
    assert (calls.loc[extra, "direction"] == "internal").all()
    return calls.loc[truth.index], truth


def share_equal(got: pd.Series, want: pd.Series) -> float:
    return float((got.astype(str) == want.astype(str)).mean())


def test_with_cel_and_queue_log_every_field_agrees_with_the_truth(sim):
    got, truth = agreement(sim, cel=sim.tables["cel"], queue_log=sim.tables["queue_log"])
    for field in EXACT:
        assert share_equal(got[field], truth[field]) >= 0.99, field
    mine = styled_calls(sim)
    for field in WHO_AND_WHAT:
        assert (got.loc[mine, field].astype(str) == truth.loc[mine, field].astype(str)).all(), field
    # Talk of a transferred call adds up legs of whole seconds: three truncations at most.
    assert ((got.loc[mine, "talk_s"] - truth.loc[mine, "talk_s"]).abs() < 3).all()
    assert (got["start"].dt.tz_localize(None) - truth["start"]).abs().max() < pd.Timedelta(seconds=1)
    # CDR times are whole seconds, truncated twice (start, duration): ±1 s for nearly all (96-99 % by
    # the day simulated; a transferred call's talk adds two legs' truncations), ±2 s for all.
    for field in ("wait_s", "talk_s"):
        off = (got[field] - truth[field]).abs()
        assert (off <= 1).mean() >= 0.95, field
        assert (off <= 2).mean() >= 0.995, field


def test_cdr_alone_still_gets_who_and_what_right(sim):
    got, truth = agreement(sim)
    for field in WHO_AND_WHAT:
        assert share_equal(got[field], truth[field]) >= 0.99, field
    mine = styled_calls(sim)
    for field in WHO_AND_WHAT:
        assert (got.loc[mine, field].astype(str) == truth.loc[mine, field].astype(str)).all(), field
    # Without CEL, ringing after an IVR answered the caller is indistinguishable from talk (docs/calls.md).
    assert ((got["talk_s"] - truth["talk_s"]).abs() <= 2).mean() >= 0.9


def test_per_employee_counts_reconcile_with_totals_and_transfers(sim):
    result = reconstruct(sim.tables["cdr"], Topology.from_dict(sim.topology), cel=sim.tables["cel"],
                         queue_log=sim.tables["queue_log"])
    calls, steps = result.calls, result.steps
    incoming = calls[calls["direction"] == "incoming"]
    answered = incoming[incoming["status"] == "answered"]
    per_employee = answered.groupby("employee").size()
    assert per_employee.sum() == len(answered) and "" not in per_employee.index
    # Every hand-over of the talk is a transfer step: answer steps = answered calls + completed transfers.
    kinds = steps.groupby(["call_id", "kind"]).size().unstack(fill_value=0)
    talked = kinds.loc[calls.loc[calls["status"] == "answered", "call_id"]]
    assert (talked["answer"] == 1 + talked.get("transfer", 0)).all()
    completed = talked.get("transfer", pd.Series(0, index=talked.index))
    assert (completed <= calls.set_index("call_id").loc[talked.index, "transfers"]).all()
    # The simulator's count of answered calls per answering employee is ours too.
    truth = sim.truth[(sim.truth["direction"] == "incoming") & (sim.truth["status"] == "answered")]
    pd.testing.assert_series_equal(per_employee.sort_index(), truth.groupby("employee").size().sort_index(),
                                   check_names=False)


def test_topology_inferred_from_the_records_matches_the_configured_one(sim):
    inferred = Topology.infer(sim.tables["cdr"])
    real = Topology.from_dict(sim.topology)
    assert sorted(inferred.trunks) == sorted(real.trunks)
    assert sorted(inferred.extensions) == sorted(real.extensions)
    assert sorted(inferred.company_numbers) == sorted(real.company_numbers)
    assert inferred.queues == {k: sorted(v) for k, v in real.queues.items()}


@pytest.mark.parametrize("style", [PbxStyle(), PbxStyle(duplicate_cdr=True, queue_log_data="single")],
                         ids=["plain", "duplicates-and-single-data"])
def test_the_sync_path_stores_the_same_calls_as_a_direct_reconstruction(tmp_path, style):
    small = simulate(days=1, seed=11, end=END, style=style)  # a working day, whatever the clock says
    settings = Settings()
    settings.store.path = str(tmp_path / "store")
    store = Store.open(settings.store.path)
    store_simulation(small, store, settings, progress=False)
    stored = load_calls("2000-01-01", "2100-01-01", store=store, settings=settings).set_index("call_id")
    truth = small.truth.set_index("call_id")
    assert set(stored.index) == set(truth.index)
    for field in ("direction", "status", "answered_by", "employee"):
        assert share_equal(stored.loc[truth.index, field], truth[field]) >= 0.99, field
    firsts = stored[stored["external_number"] != ""].sort_values("start").drop_duplicates("external_number")
    assert set(stored.index[stored["primary"]]) == set(firsts.index)
