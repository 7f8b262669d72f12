"""The detailed records on a simulated company: the search finds exactly the calls a plain filter
of ``load_calls`` finds, a number in any spelling finds its calls, a page of any order is the same
rows as the whole sorted list, and one call opens with its route and the PBX rows behind it."""

from __future__ import annotations

import pandas as pd
import pytest

import atsnb
from atsnb.calls import load_calls
from atsnb.calls.search import number_patterns
from atsnb.errors import InputError
from atsnb.i18n import t
from atsnb.reports import REPORTS
from atsnb.reports.links import call_address
from atsnb.reports.period import period_range
from atsnb.reports.records import find
from atsnb.store import Store
from tests.support.demo_store import DEMO_PERIOD


@pytest.fixture(scope="module")
def ctx(demo):
    path, settings = demo
    return atsnb.Context.from_settings(settings, store=path)


@pytest.fixture(scope="module")
def calls(demo):
    path, settings = demo
    lo, hi = period_range(**DEMO_PERIOD, tz=settings.pbx.timezone)
    return load_calls(lo, hi, store=Store.open(path), settings=settings)


def a_transferred_client_call(calls: pd.DataFrame) -> pd.Series:
    chosen = calls[(calls["direction"] == "incoming") & (calls["transfers"] > 0) & calls["external_number"].str.startswith("79")]
    return chosen.iloc[len(chosen) // 2]


def test_without_arguments_find_calls_returns_every_call_in_the_store(ctx, demo):
    path, settings = demo
    every = load_calls("2000-01-01", "2100-01-01", store=Store.open(path), settings=settings)
    found = ctx.find_calls()
    assert len(found) == len(every) > 1000
    pd.testing.assert_frame_equal(found[every.columns].reset_index(drop=True), every.reset_index(drop=True),
                                  check_dtype=False)


@pytest.mark.parametrize("spelling", ["+7 {a} {b}-{c}-{d}", "8{a}{b}{c}{d}", "8 ({a}) {b}", "{a}{b}", "{b}-{c}"])
def test_a_number_in_any_spelling_finds_the_calls_with_it(spelling, ctx, calls):
    number = a_transferred_client_call(calls)["external_number"]  # 7 916 123 45 67
    typed = spelling.format(a=number[1:4], b=number[4:7], c=number[7:9], d=number[9:11])
    digits = "".join(ch for ch in typed if ch.isdigit())
    found = ctx.find_calls(number=typed, start=DEMO_PERIOD["start"], end="2025-03-17")
    assert number in set(found["external_number"])
    wanted = digits if not digits.startswith("8") else "7" + digits[1:]
    for row in found.itertuples():  # nothing that does not hold the digits
        texts = [row.external_number, "".join(ch for ch in str(row.caller) if ch.isdigit()),
                 "".join(ch for ch in str(row.dialed) if ch.isdigit())]
        assert any(wanted in text or digits in text for text in texts), row


def test_number_patterns_read_the_national_eight_as_seven():
    assert number_patterns("8 916 12") == ("7916" + "12", "891612")
    assert number_patterns("+7 916") == ("7916",)
    with pytest.raises(InputError, match="хотя бы две цифры"):
        number_patterns("x")


def test_filters_agree_with_the_calls_columns(ctx, calls):
    lo = DEMO_PERIOD["start"]
    found = ctx.find_calls(start=lo, end="2025-03-17", status="unanswered", direction="incoming", talk_over=None)
    expected = calls[(calls["status"] == "unanswered") & (calls["direction"] == "incoming")]
    assert sorted(found["call_id"]) == sorted(expected["call_id"])
    long = ctx.find_calls(start=lo, end="2025-03-17", talk_over=300, wait_over=5)
    assert sorted(long["call_id"]) == sorted(calls[(calls["talk_s"] > 300) & (calls["wait_s"] > 5)]["call_id"])
    recorded = ctx.find_calls(start=lo, end="2025-03-17", recording=True)
    assert len(recorded) == (calls["recording"] != "").sum() > 0


def test_an_employee_finds_the_calls_they_handled_or_that_rang_them(ctx, calls, demo):
    call = a_transferred_client_call(calls)
    route = ctx.route(call["call_id"], raw=False)
    rung = set(route.steps.loc[route.steps["kind"] == "ring", "target"]) - {call["employee"]}
    someone = sorted(rung)[0]
    found = ctx.find_calls(employee=someone, start=DEMO_PERIOD["start"], end="2025-03-17")
    assert call["call_id"] in set(found["call_id"])
    assert ((found["employee"] == someone) | (found["answered_by"] == someone)).sum() < len(found)  # rang, not handled


def test_a_partner_is_found_by_a_part_of_its_name(ctx, demo):
    path, _ = demo
    partners = Store.open(path).catalog.read("partners")
    name = partners["name"].iloc[0]
    found = ctx.find_calls(partner=name.split("«")[-1][:4])
    assert len(found) and set(found["external_number"]) <= set(partners["number"])
    with pytest.raises(InputError, match="Контрагента «Нет такого» нет"):
        ctx.find_calls(partner="Нет такого")


def test_a_page_is_the_slice_of_the_whole_sorted_list(demo):
    path, settings = demo
    search = find(**DEMO_PERIOD, direction="incoming", store=path, settings=settings)
    talk = t("rep_col_talk")
    whole = search.everything("talk_s", descending=True).data
    third = search.page(2, 50, "talk_s", descending=True)
    assert third.rows_total == len(search) == len(whole)
    assert third.data[talk].tolist() == whole[talk].iloc[100:150].tolist()
    newest = search.page(0, 50)
    assert newest.data[t("rep_col_start")].is_monotonic_decreasing
    assert newest.links.iloc[0].startswith("records.ipynb?call=")


def test_the_records_report_links_every_row_to_its_call(demo, calls):
    path, settings = demo
    report = REPORTS["records"].build(**DEMO_PERIOD, number=a_transferred_client_call(calls)["external_number"][-7:],
                                      store=path, settings=settings)
    table = report["calls"]
    assert 0 < len(table.data) == table.rows_total
    assert len(table.links) == len(table.data)


def test_a_call_opens_with_its_route_and_its_raw_rows(ctx, calls):
    call = a_transferred_client_call(calls)
    route = ctx.route(call["call_id"])
    assert route.call["call_id"] == call["call_id"] and route.steps["seq"].is_monotonic_increasing
    assert {"line", "ring", "answer", "transfer", "hangup"} <= set(route.steps["kind"])
    assert (route.raw["cdr"]["linkedid"] == call["call_id"]).all() and len(route.raw["cdr"]) >= call["legs"]
    assert len(route.raw["cel"]) > 0 and len(route.raw["queue_log"]) >= 0
    assert str(route).startswith(t("route_title", call_id=call["call_id"]))
    # by number and a time near it: the same call
    near = ctx.route(number="8" + call["external_number"][1:], around=call["start"] + pd.Timedelta(minutes=20))
    assert near.call_id == call["call_id"]


def test_an_unknown_call_is_named(ctx):
    with pytest.raises(InputError, match="Звонка 1700000000.1 в хранилище нет"):
        ctx.route("1700000000.1")
    with pytest.raises(InputError, match="call_id"):
        ctx.route()


def test_detail_tables_of_other_reports_link_their_calls(demo):
    from tests.support.demo_store import build_report

    detail = build_report("employees", demo)["detail"]
    assert len(detail.links) == len(detail.data)
    assert detail.links.iloc[0] == call_address(detail.links.iloc[0].split("=", 1)[1])
    assert call_address("1742043121.28619", "https://calls.example.ru/") == \
        "https://calls.example.ru/voila/render/records.ipynb?call=1742043121.28619"
