"""The simulated company behaves like one: volumes, peaks, waiting, repeat callers, same seed → same rows."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb.reference.numbering_plan import Registry
from atsnb.simulate import simulate
from atsnb.store.directories import DIRECTORIES

END = "2026-11-20 18:00"


@pytest.fixture(scope="module")
def sim():
    return simulate(days=14, seed=3, end=END)


def test_the_same_seed_gives_the_same_rows():
    a = simulate(days=2, seed=11, end=END)
    b = simulate(days=2, seed=11, end=END)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    pd.testing.assert_frame_equal(a.truth, b.truth)
    c = simulate(days=2, seed=12, end=END)
    assert not c.tables["cdr"]["uniqueid"].equals(a.tables["cdr"]["uniqueid"])


def test_nothing_happens_after_the_end_of_the_history(sim):
    end = pd.Timestamp(END)
    assert sim.tables["cdr"]["calldate"].max() <= end
    assert sim.tables["cel"]["eventtime"].max() <= end
    assert sim.truth["end"].max() <= end
    assert sim.truth["start"].min() >= end.normalize() - pd.Timedelta(days=13)


def test_days_ending_at_a_midnight_are_the_days_before_it():
    two = simulate(days=2, seed=5, end="2026-11-18 00:00")  # a Monday and a Tuesday
    days = pd.to_datetime(two.tables["cdr"]["calldate"]).dt.date.astype(str)
    assert set(days) == {"2026-11-16", "2026-11-17"}


def test_incoming_answer_and_abandon_rates_are_those_of_a_busy_small_office(sim):
    incoming = sim.truth[sim.truth["direction"] == "incoming"]
    answered = (incoming["status"] == "answered").mean()
    dropped = (incoming["status"] == "dropped").mean()
    assert 0.60 <= answered <= 0.92
    assert 0.02 <= dropped <= 0.20
    outgoing = sim.truth[sim.truth["direction"] == "outgoing"]
    assert 0.45 <= (outgoing["status"] == "answered").mean() <= 0.80


def test_calls_peak_in_business_hours_with_a_lunch_dip_and_quiet_weekends(sim):
    incoming = sim.truth[sim.truth["direction"] == "incoming"]
    by_hour = incoming["start"].dt.hour.value_counts()
    assert 9 <= by_hour.idxmax() <= 17
    assert by_hour.get(13, 0) < min(by_hour[11], by_hour[15])
    assert by_hour.get(3, 0) < by_hour[11] / 10
    per_day = incoming.groupby(incoming["start"].dt.date).size()
    weekday = per_day[[pd.Timestamp(d).weekday() < 5 for d in per_day.index]].mean()
    weekend = per_day[[pd.Timestamp(d).weekday() >= 5 for d in per_day.index]].mean()
    assert weekend < weekday / 2


def test_callers_wait_longer_at_peaks_and_some_give_up_within_seconds(sim):
    t = sim.truth[sim.truth["direction"] == "incoming"]
    quick = t[(t["status"] == "dropped")]
    assert (quick["wait_s"] <= 5).all() and len(quick) > 10
    answered = t[t["status"] == "answered"]
    assert answered["wait_s"].median() < 30 < answered["wait_s"].quantile(0.95) + 30
    assert (t["scenario"] == "queue_abandoned").sum() > 0


def test_a_few_clients_call_again_and_again_and_many_call_for_the_first_time(sim):
    external = sim.truth[sim.truth["direction"] == "incoming"].sort_values("start")
    repeat = external["external_number"].duplicated().mean()
    assert 0.3 <= repeat <= 0.85
    counts = external["external_number"].value_counts()
    assert counts.iloc[0] >= 8 and (counts == 1).sum() > len(counts) / 3


def test_missed_clients_are_called_back_some_quickly_some_later(sim):
    t = sim.truth
    callbacks = t[t["scenario"] == "callback_missed"]
    missed = t[(t["direction"] == "incoming") & (t["status"] != "answered")]
    assert 0.25 * len(missed) <= len(callbacks) <= len(missed)
    first_missed = missed.groupby("external_number")["end"].min()
    delays = (callbacks.set_index("external_number")["start"] - first_missed.reindex(
        callbacks["external_number"]).to_numpy()).dropna().dt.total_seconds()
    delays = delays[delays > 0]
    assert (delays < 20 * 60).any() and (delays > 3600).any()


def test_client_numbers_are_real_russian_mobile_numbers(sim):
    numbers = sim.truth.loc[sim.truth["direction"] != "internal", "external_number"]
    found = Registry.load().lookup_many(numbers)
    assert (found["operator"] != "").all()
    assert found["region"].nunique() > 10


def test_directories_and_topology_describe_the_same_company(sim):
    d = sim.directories
    for name, df in d.items():
        assert set(df.columns) <= set(DIRECTORIES[name].column_names), name
    employees = d["employees"]
    assert len(employees) == 20 and employees["extension"].is_unique
    assert set(employees["department"]) <= set(d["departments"]["name"])
    depts = d["departments"].set_index("name")["parent"]
    assert (depts == "Отдел продаж").sum() == 2  # sales has two teams
    topo = sim.topology
    assert set(topo["extensions"]) == set(employees["extension"])
    assert set(topo["company_numbers"]) == set(d["lines"]["number"])
    assert set(d["lines"]["purpose"]) >= {"advertising", "main", "support"}
    for members in [*topo["groups"].values(), *topo["queues"].values()]:
        assert set(members) <= set(employees["extension"])
    red = d["red_phones"]["target"].tolist()
    assert red and red[0] in topo["extensions"]
    cdr = sim.tables["cdr"]
    peers = cdr["channel"].str.extract(r"^PJSIP/(.+)-[0-9a-f]{8}$")[0].dropna()
    assert set(peers) <= set(topo["trunks"]) | set(topo["extensions"])
    assert d["partners"]["number"].isin(sim.truth["external_number"]).mean() > 0.5


def test_big_teams_get_extensions_of_their_own():
    s = simulate(days=1, seed=5, end=END, employees=200, calls_per_day=50)
    ext = s.directories["employees"]["extension"]
    assert ext.is_unique and len(ext) == 200
    assert not set(ext) & {"600", "601", "700", "701", "71"}


def test_the_company_scales_with_its_size():
    small = simulate(days=2, seed=5, end=END, employees=8, calls_per_day=60)
    assert len(small.directories["employees"]) == 8
    assert len(small.truth) < 250
    assert set(small.truth["employee"]) - {""} <= set(small.directories["employees"]["extension"]) | {""}


@pytest.mark.parametrize("flavour", ["asterisk", "legacy"])
def test_other_flavours_have_their_own_columns(flavour):
    from atsnb.source.schemas import CDR_FLAVOURS

    s = simulate(days=1, seed=2, end=END, flavour=flavour)
    assert list(s.tables["cdr"].columns) == [c for c, _ in CDR_FLAVOURS[flavour]]
    if flavour == "asterisk":
        cdr = s.tables["cdr"]
        assert (cdr["end"] >= cdr["start"]).all() and (cdr["amaflags"] == "DOCUMENTATION").all()
        answered = cdr[cdr["disposition"] == "ANSWERED"]
        assert answered["answer"].notna().all()
    else:
        assert "linkedid" not in s.tables["cdr"].columns
        assert "eventextra" in s.tables["cel"].columns


def test_released_slices_add_up_to_the_whole_history():
    s = simulate(days=1, seed=8, end=END, calls_per_day=150)
    cuts = [pd.Timestamp(END, tz="Europe/Moscow").timestamp() - h * 3600 for h in (30, 12, 6, 0)]
    parts = [s.released(a, b) for a, b in zip(cuts, cuts[1:], strict=False)]
    for name in s.tables:
        joined = pd.concat([p.tables[name] for p in parts], ignore_index=True)
        pd.testing.assert_frame_equal(joined, s.tables[name].reset_index(drop=True), check_dtype=False)
    assert sum(len(p.truth) for p in parts) == len(s.truth)
    assert parts[-1].end == pd.Timestamp(END, tz="Europe/Moscow")
    assert all(p.style == s.style for p in parts)
    # A call going on at a cut is in the truth of a later slice.
    assert parts[-1].in_progress["call_id"].tolist() == s.in_progress["call_id"].tolist()
    for part, later in zip(parts, parts[1:], strict=False):
        assert set(part.in_progress["call_id"]) <= set(later.truth["call_id"]) | set(later.in_progress["call_id"])
