"""The website callbacks report held against the simulator's callbacks table and truth: requests,
connections and times as the module wrote them, the requests nobody called back listed first, each
row opening the call the request made."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atsnb.i18n import t
from atsnb.phone_numbers import normalize_numbers
from atsnb.reports.links import call_address
from atsnb.simulate import simulate
from tests.support.demo_store import DEMO_DAYS, DEMO_END, DEMO_PERIOD, DEMO_SEED, build_report

TZ = "Europe/Moscow"


@pytest.fixture(scope="module")
def sim():
    return simulate(days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END)


@pytest.fixture(scope="module")
def requests(sim):
    raw = sim.tables["callbacks"].copy()
    for column in ("requested_at", "called_at", "connected_at"):
        raw[column] = pd.to_datetime(raw[column]).dt.tz_localize(TZ)
    lo = pd.Timestamp(DEMO_PERIOD["start"], tz=TZ)
    hi = pd.Timestamp(DEMO_PERIOD["end"], tz=TZ) + pd.Timedelta(days=1)
    return raw[(raw["requested_at"] >= lo) & (raw["requested_at"] < hi)].reset_index(drop=True)


@pytest.fixture(scope="module")
def report(demo):
    return build_report("callbacks", demo)


def test_requests_connections_and_times_are_the_modules(report, requests):
    kpis = report["kpis"].data.iloc[0]
    connected = requests["status"].eq("connected")
    assert kpis[t("cb_kpi_requests")] == len(requests) > 100
    assert kpis[t("cb_kpi_connected_pct")] == pytest.approx(100 * connected.mean())
    to_call = (requests["called_at"] - requests["requested_at"]).dt.total_seconds()
    to_connect = (requests["connected_at"] - requests["requested_at"]).dt.total_seconds()[connected]
    assert kpis[t("cb_kpi_to_call_median")] == pytest.approx(np.median(to_call))
    assert kpis[t("cb_kpi_to_call_p90")] == pytest.approx(np.quantile(to_call, 0.9))
    assert kpis[t("cb_kpi_to_connect_median")] == pytest.approx(np.median(to_connect))
    assert kpis[t("cb_kpi_to_connect_p90")] == pytest.approx(np.quantile(to_connect, 0.9))
    for key, columns in (("by_site", ["site", "page"]), ("by_utm", ["utm_source", "utm_medium", "utm_campaign"])):
        table = report[key].data
        assert table[t("cb_col_requests")].sum() == len(requests)
        assert table[t("cb_col_connected")].sum() == connected.sum()
        assert len(table) == len(requests.groupby(columns))
    daily = report["daily"].data
    assert daily[[t("cb_col_connected"), t("cb_col_reached_later"), t("cb_col_never")]].to_numpy().sum() == len(requests)


def test_requests_nobody_called_back_come_first_and_agree_with_the_truth(report, requests, sim):
    element = report["requests"]
    table = element.data
    never = table[t("cb_col_outcome")].ne(t("cb_status_connected")) & table[t("cb_col_reached_after")].isna()
    assert never.any() and not never.iloc[never.sum():].any()  # all of them on top
    assert report["kpis"].data.iloc[0][t("cb_kpi_never")] == never.sum()
    # reached later: the truth has an answered external call with the client's number within a day
    truth = sim.truth.assign(start=sim.truth["start"].dt.tz_localize(TZ))
    answered = truth[truth["status"].eq("answered") & truth["direction"].isin(["incoming", "outgoing", "mixed"])]
    clients = normalize_numbers(table[t("rep_col_caller")].astype(str))
    for at, client, is_never, outcome in zip(table[t("cb_col_requested_at")], clients, never,
                                             table[t("cb_col_outcome")], strict=True):
        if outcome == t("cb_status_connected"):
            continue
        reached = answered[(answered["external_number"] == client) & (answered["start"] > at)
                           & (answered["start"] <= at + pd.Timedelta(days=1))]
        assert is_never == reached.empty
    # a request's row opens the call it made, when the PBX left one
    made = truth.set_index("call_id")
    linked = element.links.ne("")
    assert linked.sum() > 0.6 * len(table)
    ids = element.links[linked].str.removeprefix("records.ipynb?call=")
    assert element.links[linked].tolist() == [call_address(c) for c in ids]
    assert (made.loc[ids, "scenario"] == "website_callback").all()
    recorded = made.loc[ids, "recording"].ne("").to_numpy()
    assert recorded.any()
    assert element.recordings[linked].tolist() == [c if r else "" for c, r in zip(ids, recorded, strict=True)]


def test_an_employee_filter_keeps_the_requests_that_rang_them(demo, requests):
    extension = requests["extension"].value_counts().index[-1]  # one of those the PBX rang first, not the most
    mine = build_report("callbacks", demo, employee=extension)
    assert mine["kpis"].data.iloc[0][t("cb_kpi_requests")] == (requests["extension"] == extension).sum() > 0
    assert set(mine["requests"].data[t("cb_col_employee")]) == {mine.filters["employee"]}
