"""The four reports on a simulated company's store: their figures reconcile with each other and with
the metrics computed straight from ``load_calls``."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb import reports
from atsnb.calls import load_calls
from atsnb.calls.answers_column import ANSWERS, pack_answers, shared_calls
from atsnb.i18n import t
from atsnb.metrics import counts, durations, external, inbound, service
from atsnb.reports.export import csv_bytes
from atsnb.reports.filters import choices
from atsnb.reports.period import period_range
from atsnb.store import Store
from tests.support.demo_store import DEMO_PERIOD, demo_store


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    return demo_store(tmp_path_factory)


@pytest.fixture(autouse=True)
def russian(monkeypatch):
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "ru")


def run(name, demo, **filters):
    path, settings = demo
    return reports.REPORTS[name].build(**DEMO_PERIOD, store=path, settings=settings, **filters)


def period_calls(demo):
    path, settings = demo
    lo, hi = period_range(**DEMO_PERIOD, tz=settings.pbx.timezone)
    return load_calls(lo, hi, store=Store.open(path), settings=settings)


def test_dashboard_figures_equal_the_metrics_on_load_calls(demo):
    _, settings = demo
    calls = period_calls(demo)
    assert len(calls) > 1000
    kpis = run("dashboard", demo)["kpis"].data.iloc[0]
    assert kpis[t("rep_kpi_external")] == external(calls).sum()
    assert kpis[t("rep_kpi_incoming")] == inbound(calls).sum()
    assert kpis[t("rep_kpi_unanswered_pct")] == pytest.approx(counts.unanswered_rates(calls)["unanswered_pct"])
    assert kpis[t("rep_kpi_mean_talk")] == pytest.approx(durations.mean_talk_s(calls))
    assert kpis[t("rep_kpi_asa")] == pytest.approx(service.asa_s(calls))
    threshold = settings.thresholds.service_level_s
    assert kpis[t("rep_kpi_service_level", threshold=threshold)] == pytest.approx(service.service_level_pct(calls, threshold))
    assert 0 < kpis[t("rep_kpi_unanswered_pct")] < 60


def test_reports_read_the_cells_load_calls_returns(demo):
    from atsnb.calls.reading import CATEGORICAL_COLUMNS, SCOPE_COLUMNS, read_call_columns, read_calls

    path, settings = demo
    lo, hi = period_range(**DEMO_PERIOD, tz=settings.pbx.timezone)
    full = period_calls(demo)
    got = read_calls(Store.open(path), settings, lo, hi)
    assert list(got.columns) == SCOPE_COLUMNS
    for column in CATEGORICAL_COLUMNS:
        assert list(got[column].cat.categories) == sorted(set(full[column].dropna()))
    same = [c for c in SCOPE_COLUMNS if c != ANSWERS]
    pd.testing.assert_frame_equal(got[same].astype({c: full[c].dtype for c in CATEGORICAL_COLUMNS}), full[same])
    # the stored answers are the answer steps of the transferred and internal calls' routes
    steps = Store.open(path).table("steps").read(lo, hi + pd.Timedelta(days=1))
    pd.testing.assert_series_equal(got[ANSWERS], pack_answers(full, steps), check_names=False)
    assert 0 < got[ANSWERS].ne("").sum() <= shared_calls(full).sum()  # an unanswered internal call has none
    some = got.iloc[::7]
    extra = read_call_columns(Store.open(path), settings, some, ["caller", "recording"])
    pd.testing.assert_frame_equal(extra, full[["caller", "recording"]].iloc[::7])
    moved = some.assign(start=some["start"].where(some.index != some.index[1], some["start"] + pd.Timedelta(seconds=1)))
    extra = read_call_columns(Store.open(path), settings, moved, ["caller"])  # a call rewritten meanwhile
    assert extra["caller"].isna().tolist() == [False, True] + [False] * (len(some) - 2)
    assert extra["caller"].drop(some.index[1]).tolist() == full["caller"].iloc[::7].drop(some.index[1]).tolist()


def test_dashboard_daily_charts_cover_every_day_and_add_up(demo):
    report = run("dashboard", demo)
    calls = period_calls(demo)
    daily = report["external_daily"].data
    assert len(daily) == 14
    assert daily[t("rep_col_calls")].sum() == external(calls).sum()
    unanswered = report["unanswered_daily"].data
    lost = inbound(calls) & calls["status"].isin(["unanswered", "dropped"])
    assert unanswered[t("rep_col_calls")].sum() == lost.sum()
    assert report["weekday_share"].data[t("rep_col_share")].sum() == pytest.approx(100)
    assert report["talk_buckets"].data[t("rep_col_calls")].sum() == (calls["status"] == "answered").sum()
    load = report["line_load"].data
    assert len(load) == 14 * 24 and load[t("rep_col_load_max")].max() >= 2


def test_employee_counts_reconcile_with_the_calls_plus_transfers_and_callees(demo):
    report = run("employees", demo)
    calls = period_calls(demo)
    summary = report["summary"].data
    handled = calls["employee"].astype(str).ne("").sum()
    total = summary[t("rep_col_calls")].sum()
    # every handled call, plus a row for each transferee and each internal call's callee
    assert total >= handled
    assert total - handled <= calls["transfers"].sum() + (calls["direction"] == "internal").sum()
    efficiency = report["efficiency"].data
    assert (efficiency[t("rep_col_effective")] <= summary.set_index(t("rep_col_employee")).loc[
        efficiency[t("rep_col_employee")], t("rep_col_calls")].to_numpy()).all()
    detail = report["detail"].data
    assert len(detail) == len(calls)
    assert detail[t("rep_col_route")].str.len().gt(0).mean() > 0.95


def test_departments_roll_children_into_parents(demo):
    report = run("departments", demo)
    summary = report["summary"].data.set_index(t("rep_col_department"))[t("rep_col_calls")]
    children = [name for name in summary.index if name.startswith("\u2003")]
    assert children, "the simulated company has sub-departments"
    sales = summary["Отдел продаж"]
    assert sales >= max(summary[c] for c in children)
    assert sales <= sum(summary[c] for c in children) + summary.sum()


def test_a_department_filter_keeps_only_its_calls(demo):
    everything = run("employees", demo)["summary"].data
    sales = run("employees", demo, department="Отдел продаж")["summary"].data
    assert 0 < len(sales) < len(everything)
    assert set(sales[t("rep_col_department")]) <= {"Отдел продаж", "Продажи: команда 1", "Продажи: команда 2"}


def test_lines_summary_adds_up_to_the_external_calls(demo):
    calls = period_calls(demo)
    report = run("lines", demo)
    summary = report["summary"].data
    assert summary[t("rep_col_calls")].sum() == external(calls).sum()
    assert summary[t("rep_col_share")].sum() == pytest.approx(100)
    assert summary[t("rep_col_talk_total")].sum() == pytest.approx(calls.loc[external(calls), "talk_s"].sum())


def test_choices_name_the_simulated_company(demo):
    path, settings = demo
    options = choices(path, settings)
    assert {"value": "Отдел продаж", "label": "Отдел продаж", "depth": 0} in options["departments"]
    assert len(options["employees"]) >= 10 and all(e["label"] for e in options["employees"])
    assert any("(" in line["label"] for line in options["lines"])


def test_every_table_exports_to_csv_with_its_rows(demo):
    for name in reports.REPORTS:
        for element in run(name, demo).elements:
            raw = csv_bytes(element)
            back = pd.read_csv(pd.io.common.BytesIO(raw), sep=";", encoding="utf-8-sig")
            assert len(back) == len(element.data) + (1 if element.totals and len(element.data) else 0), element.key


def test_a_scope_of_some_columns_has_no_attribution_unless_a_filter_needs_it(demo):
    from atsnb.errors import AtsnbError
    from atsnb.reports.lines import LINES_COLUMNS
    from atsnb.reports.scope import load_scope

    path, settings = demo
    scope = load_scope(**DEMO_PERIOD, store=path, settings=settings, columns=LINES_COLUMNS)
    assert list(scope.calls.columns) == LINES_COLUMNS
    with pytest.raises(AtsnbError, match="too few"):
        _ = scope.attributed
    filtered = load_scope(**DEMO_PERIOD, store=path, settings=settings, columns=LINES_COLUMNS, employee="200")
    assert len(filtered.attributed) > 0
    assert set(filtered.attributed["employee"].astype(str)) == {"200"}


def test_recovery_follows_missed_calls_past_the_period_and_reconciles_with_the_metrics(demo):
    from atsnb.metrics.recovery import missed_call_recovery

    path, settings = demo
    period = {"start": "2025-03-03", "end": "2025-03-10"}  # the store goes on for a week after it
    report = reports.REPORTS["recovery"].build(**period, store=path, settings=settings)
    lo, hi = period_range(**period, tz=settings.pbx.timezone)
    calls = load_calls(lo, hi + pd.Timedelta(days=1), store=Store.open(path), settings=settings)
    expected = missed_call_recovery(calls, (20, 120, 1440))
    expected = expected[expected["start"] < hi]
    assert len(expected) > 50
    assert (expected["recovered_at"] >= hi).any()  # some are reached only after the period ends

    kpis = report["kpis"].data.iloc[0]
    assert kpis[t("rep_kpi_missed_calls")] == len(expected)
    assert kpis[t("rep_kpi_never_recovered")] == (~expected["recovered"]).sum()
    assert kpis[t("rep_kpi_recovered_pct")] == pytest.approx(100 * expected["recovered"].mean())
    funnel = report["funnel"].data[t("rep_col_calls")].tolist()
    assert funnel == [len(expected), *(int(expected[f"within_{w}"].sum()) for w in (20, 120, 1440)),
                      int(expected["recovered"].sum()), int((~expected["recovered"]).sum())]
    assert report["by_employee"].data[t("rep_col_calls")].sum() == expected["recovered"].sum()
    missed = report["missed"].data
    assert len(missed) == len(expected)
    never = (~expected["recovered"]).sum()
    assert (missed[t("rep_col_recovered_how")].iloc[:never] == "").all()  # never recovered first
    assert (missed[t("rep_col_recovered_how")].iloc[never:] != "").all()

    per_line = [reports.REPORTS["recovery"].build(**period, line=line, store=path, settings=settings)
                for line in expected["line"].astype(str).unique()]
    assert sum(r["kpis"].data.iloc[0][t("rep_kpi_missed_calls")] for r in per_line) == len(expected)


def test_a_report_through_the_context_refuses_a_filter_it_does_not_take(demo):
    from atsnb.composition import Context
    from atsnb.reports.scope import FilterError

    path, settings = demo
    ctx = Context.from_settings(settings, store=Store.open(path))
    with pytest.raises(FilterError, match="'recovery' takes no filter department"):
        ctx.report("recovery", department="Отдел продаж")
    assert ctx.report("recovery", department=None, **DEMO_PERIOD).name == "recovery"  # None means unset
