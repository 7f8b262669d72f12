"""The Clients, Red phone and New clients reports on the simulated company, held against the
simulator's ground truth: who rang for the first time, the most active clients, the calls that
reached the red phone; and who the caller is (partner, operator, region) wherever a number is shown."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pandas as pd
import pytest

from atsnb.i18n import t
from atsnb.reference.callers import Callers
from atsnb.reference.numbering_plan import default_registry
from atsnb.reference.regions import canonical_regions
from atsnb.reports.period import period_range
from atsnb.reports.scope import FilterError
from atsnb.simulate import simulate
from atsnb.store import Store
from tests.support.demo_store import DEMO_DAYS, DEMO_END, DEMO_PERIOD, DEMO_SEED, build_report

INBOUND = ("incoming", "mixed")
EXTERNAL = ("incoming", "outgoing", "mixed")


@pytest.fixture(scope="module")
def sim():
    """The demo store's company again, with its ground truth (the store keeps only the PBX's rows)."""
    return simulate(days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END)


@pytest.fixture(scope="module")
def truth(sim, demo):
    """The truth's calls of the demo period."""
    _, settings = demo
    lo, hi = period_range(**DEMO_PERIOD, tz=settings.pbx.timezone)
    calls = sim.truth.copy()
    start = pd.to_datetime(calls["start"])
    start = start.dt.tz_localize(settings.pbx.timezone) if start.dt.tz is None else start
    calls["start"] = start
    return calls[(start >= lo) & (start < hi)].reset_index(drop=True)


def call_ids(element) -> list[str]:
    """The call ids a calls table's rows link to."""
    return [parse_qs(urlsplit(link).query)["call"][0] for link in element.links]


def first_calls_truth(sim) -> pd.DataFrame:
    """The first call of every external number in the whole simulated history (earliest start, then
    the smaller call id)."""
    calls = sim.truth[sim.truth["external_number"].astype(str).ne("") & sim.truth["direction"].isin(EXTERNAL)]
    return calls.sort_values(["start", "call_id"], kind="stable").drop_duplicates("external_number")


def test_first_time_callers_are_the_truths_first_calls_of_each_number(demo, sim, truth):
    report = build_report("clients", demo)
    table = report["first_calls"]
    firsts = first_calls_truth(sim)
    expected = set(firsts.loc[firsts["direction"].isin(INBOUND), "call_id"]) & set(truth["call_id"])
    assert len(expected) > 300
    assert set(call_ids(table)) == expected
    kpis = report["kpis"].data.iloc[0]
    assert kpis[t("rep_kpi_first_callers")] == len(expected) == len(table.data)
    answered = truth[truth["call_id"].isin(expected) & truth["status"].eq("answered")]
    assert kpis[t("rep_kpi_first_unanswered")] == len(expected) - len(answered)
    assert table.data[t("rep_col_talk")].sum() == pytest.approx(answered["talk_s"].sum(), abs=len(expected))
    daily = report["first_daily"].data
    assert len(daily) == DEMO_DAYS and daily[t("rep_col_first_callers")].sum() == len(expected)
    by_day = truth[truth["call_id"].isin(expected)]["start"].dt.strftime("%d.%m").value_counts()
    assert dict(zip(daily[t("rep_col_day")], daily[t("rep_col_first_callers")], strict=True)) == \
        {day: by_day.get(day, 0) for day in daily[t("rep_col_day")]}


def test_a_first_time_caller_row_names_the_employee_line_and_recording(demo, truth):
    table = build_report("clients", demo)["first_calls"]
    rows = table.data.assign(call_id=call_ids(table)).set_index("call_id")
    known = truth.set_index("call_id").loc[rows.index]
    answered = known["status"].eq("answered").to_numpy()
    assert answered.any() and (~answered).any()
    employees = rows[t("rep_col_employee")].to_numpy()
    assert all(f"({ext})" in shown for ext, shown in zip(known["employee"][answered], employees[answered], strict=True))
    recorded = known["recording"].astype(str).ne("").to_numpy()
    assert (rows[t("rep_col_recording")].eq(t("rep_recording_yes")).to_numpy() == recorded).all()
    # the dashboard's player is offered exactly the recorded rows
    assert (table.recordings.ne("").to_numpy() == recorded).all()
    assert set(table.recordings[table.recordings.ne("")]) == set(rows.index[recorded])


def test_the_most_active_clients_are_the_truths_with_their_partner_names(demo, sim, truth):
    top = build_report("clients", demo)["top_clients"].data
    assert len(top) == 20
    external = truth[truth["direction"].isin(EXTERNAL) & truth["external_number"].astype(str).ne("")]
    per_number = external.groupby("external_number").agg(calls=("call_id", "size"), last=("start", "max"))
    per_number = per_number.sort_values(["calls", "last"], ascending=[False, False])
    shown = top.set_index(t("rep_col_client_number"))
    assert list(shown.index[:10]) == list(per_number.index[:10])
    assert shown[t("rep_col_calls")].tolist() == per_number["calls"].iloc[:20].tolist()
    assert shown[t("rep_col_calls")].is_monotonic_decreasing
    partners = sim.directories["partners"].set_index("number")["name"]
    for number, name in shown[t("rep_col_partner")].items():
        assert name == partners.get(number, "")
    assert shown[t("rep_col_partner")].ne("").sum() >= 10  # the regulars are the partners
    first = shown.index[0]
    mine = external[external["external_number"] == first]
    assert shown.loc[first, t("incoming")] == mine["direction"].isin(INBOUND).sum()
    assert shown.loc[first, t("answered")] == mine["status"].eq("answered").sum()
    assert shown.loc[first, t("rep_col_last_call")] == mine["start"].max().floor("s")


def test_calls_by_region_add_up_to_the_external_calls_and_follow_the_registry(demo, truth):
    regions = build_report("clients", demo)["regions"].data
    external = truth[truth["direction"].isin(EXTERNAL)]
    assert regions[t("rep_col_calls")].sum() == len(external)
    assert len(regions) <= 14
    looked = pd.Series(canonical_regions(default_registry().lookup_many(external["external_number"])["region"]
                                         .to_numpy(dtype=object)))
    top = looked[looked != ""].value_counts()
    assert regions[t("rep_col_region")].iloc[0] == top.index[0]
    assert regions[t("rep_col_calls")].iloc[0] == top.iloc[0]


def red_phone_truth(sim, truth) -> pd.DataFrame:
    """The truth's incoming calls that rang the red phone or that it forwarded to a mobile."""
    red = sim.directories["red_phones"]["target"].tolist()
    rang = truth["rang"].astype(str).str.split(",").map(lambda phones: bool(set(phones) & set(red)))
    forwarded = truth["direction"].eq("mixed") & truth["employee"].isin(red)
    return truth[truth["direction"].isin(INBOUND) & (rang | forwarded)]


def test_red_phone_calls_are_the_calls_that_reached_it_and_mostly_new_clients(demo, sim, truth):
    report = build_report("red_phone", demo)
    table = report["calls"]
    expected = red_phone_truth(sim, truth)
    assert len(expected) > 200
    assert set(call_ids(table)) == set(expected["call_id"])
    kpis = report["kpis"].data.iloc[0]
    answered = expected["status"].eq("answered").sum()
    assert kpis[t("rep_kpi_red_calls")] == len(expected)
    assert kpis[t("rep_kpi_red_unanswered")] == len(expected) - answered
    assert kpis[t("rep_kpi_red_first_pct")] > 50  # the advertising line brings new numbers
    rows = table.data.assign(call_id=call_ids(table)).set_index("call_id")
    known = expected.set_index("call_id").loc[rows.index]
    took = known["answered_by"].astype(str)
    assert all((f"({who})" in shown) if who else shown == ""
               for who, shown in zip(took, rows[t("rep_col_answered_by")], strict=True))
    red = sim.directories["red_phones"]["target"].iloc[0]
    assert rows[t("rep_col_red_phone")].str.endswith(f"({red})").all()


def test_new_clients_count_the_red_phone_calls_by_scale(demo, sim, truth):
    expected = red_phone_truth(sim, truth)
    days = build_report("new_clients", demo)
    chart, pivot = days["dynamics"].data, days["by_scale"].data
    assert len(chart) == DEMO_DAYS
    assert chart[t("rep_col_calls")].sum() == len(expected) == pivot[t("rep_col_calls")].sum()
    assert chart[t("answered")].sum() == expected["status"].eq("answered").sum()
    per_day = expected["start"].dt.strftime("%d.%m").value_counts()
    assert chart.set_index(t("rep_col_bucket"))[t("rep_col_calls")].to_dict() == \
        {day: per_day.get(day, 0) for day in chart[t("rep_col_bucket")]}
    hours = build_report("new_clients", demo, scale="hour")["by_scale"].data
    assert len(hours.columns) == 24 + 2
    assert hours.iloc[0, 1:25].sum() == len(expected)
    per_hour = expected["start"].dt.hour.value_counts()
    assert hours.iloc[0, 1:25].tolist() == [per_hour.get(h, 0) for h in range(24)]
    weeks = build_report("new_clients", demo, scale="week")["dynamics"].data
    assert len(weeks) == 2 and weeks[t("rep_col_calls")].sum() == len(expected)


def test_a_red_phone_queue_counts_the_calls_that_waited_in_it(demo, sim, truth, tmp_path):
    """A red phone can be a queue: every call that waited in it is a new client's call."""
    import shutil

    path, settings = demo
    copy = tmp_path / "store"
    shutil.copytree(path, copy)
    Store.open(copy).catalog.upsert("red_phones", pd.DataFrame({"target": ["701"], "kind": ["queue"]}), replace_all=True)
    report = build_report("red_phone", (copy, settings))
    support = truth[truth["direction"].isin(INBOUND) & truth["group"].eq("701")]
    assert len(report["calls"].data) == len(support) > 100
    assert report["calls"].data[t("rep_col_red_phone")].eq(t("rep_red_queue", target="701")).all()


def test_an_empty_red_phone_directory_says_so(demo, tmp_path):
    import shutil

    path, settings = demo
    copy = tmp_path / "store"
    shutil.copytree(path, copy)
    Store.open(copy).catalog.upsert("red_phones", pd.DataFrame({"target": [], "kind": []}), replace_all=True)
    report = build_report("red_phone", (copy, settings))
    assert report["calls"].data.empty
    assert report["kpis"].note == t("rep_red_none")


def test_an_unknown_scale_is_refused_with_the_ones_there_are(demo):
    with pytest.raises(FilterError, match="hour, day, week, month"):
        build_report("new_clients", demo, scale="year")


def test_filters_narrow_the_client_reports(demo):
    everything = build_report("clients", demo)["kpis"].data.iloc[0][t("rep_kpi_first_callers")]
    sales = build_report("clients", demo, department="Отдел продаж")
    assert 0 < sales["kpis"].data.iloc[0][t("rep_kpi_first_callers")] < everything
    one_line = build_report("red_phone", demo, line="78005553535")["calls"].data
    assert len(one_line) > 0 and one_line[t("rep_col_line")].str.endswith("(78005553535)").all()


def test_the_detail_tables_show_who_the_caller_is(demo, sim):
    detail = build_report("employees", demo)["detail"]
    partners = sim.directories["partners"].set_index("number")["name"]
    shown = detail.data[[t("rep_col_caller"), t("rep_col_partner"), t("rep_col_region")]]
    named = shown[shown[t("rep_col_caller")].isin(partners.index)]
    assert len(named) > 100
    assert (named[t("rep_col_partner")] == partners.loc[named[t("rep_col_caller")]].to_numpy()).all()
    incoming = shown[shown[t("rep_col_caller")].str.len().eq(11)]
    assert incoming[t("rep_col_region")].ne("").mean() > 0.95  # simulated clients are mobiles in the registry
    assert detail.recordings is not None and detail.recordings.ne("").any()


def test_caller_identity_of_a_column_of_numbers():
    callers = Callers({"79161234567": "ООО «Ромашка»"}, default_registry())
    numbers = pd.Series(["8 (916) 123-45-67", "79161234567", "", None, "201", "+44 20 1234 5678", "79585145600"],
                        index=list("abcdefg"), dtype=object)
    found = callers.identify(numbers)
    assert list(found.index) == list("abcdefg")
    assert found["partner"].tolist() == ["ООО «Ромашка»"] * 2 + [""] * 5
    assert found.loc["a", "operator"] == found.loc["b", "operator"] != ""
    assert found.loc[list("cdef"), ["operator", "region"]].eq("").all().all()
    assert found.loc["g", "region"] == "Красноярский край"
    for number in numbers.dropna():
        expected = default_registry().lookup(number) or ("", "")
        assert tuple(found.loc[numbers[numbers == number].index[0], ["operator", "region"]]) == expected
    categorical = callers.identify(numbers.astype("category"))
    pd.testing.assert_frame_equal(categorical, found)
    assert callers.identify(pd.Series([], dtype=object)).empty
    assert np.array_equal(callers.identify(pd.Series(["79161234567"] * 3))["partner"], ["ООО «Ромашка»"] * 3)
