"""Reconstruction held against the simulator's ground truth (it knows who answered each call)."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb.calls import Topology, load_calls, reconstruct
from atsnb.config import Settings
from atsnb.flow import store_simulation
from atsnb.simulate import simulate
from atsnb.store import Store

EXACT = ["direction", "status", "caller", "dialed", "external_number", "line", "answered_by", "employee",
         "last_target", "group", "transfers", "recording"]


@pytest.fixture(scope="module")
def sim():
    return simulate(days=3, seed=5, end="2026-11-20 18:00")  # three working days, whatever the clock says


def agreement(sim, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    calls = reconstruct(sim.tables["cdr"], Topology.from_dict(sim.topology), **kw).calls.set_index("call_id")
    truth = sim.truth.set_index("call_id")
    assert set(calls.index) == set(truth.index)
    return calls.loc[truth.index], truth


def share_equal(got: pd.Series, want: pd.Series) -> float:
    return float((got.astype(str) == want.astype(str)).mean())


def test_with_cel_and_queue_log_every_field_agrees_with_the_truth(sim):
    got, truth = agreement(sim, cel=sim.tables["cel"], queue_log=sim.tables["queue_log"])
    for field in EXACT:
        assert share_equal(got[field], truth[field]) >= 0.99, field
    assert (got["start"].dt.tz_localize(None) - truth["start"]).abs().max() < pd.Timedelta(seconds=1)
    # CDR times are whole seconds, truncated twice (start, duration): ±1 s for nearly all (96-99 % by
    # the day simulated; a transferred call's talk adds two legs' truncations), ±2 s for all.
    for field in ("wait_s", "talk_s"):
        off = (got[field] - truth[field]).abs()
        assert (off <= 1).mean() >= 0.95, field
        assert (off <= 2).mean() >= 0.995, field


def test_cdr_alone_still_gets_who_and_what_right(sim):
    got, truth = agreement(sim)
    for field in ("direction", "status", "answered_by", "employee", "last_target", "group", "transfers"):
        assert share_equal(got[field], truth[field]) >= 0.99, field
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


def test_the_sync_path_stores_the_same_calls_as_a_direct_reconstruction(tmp_path):
    small = simulate(days=1, seed=11, end="2026-11-20 18:00")  # a working day, whatever the clock says
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
