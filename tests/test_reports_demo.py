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
from tests.support.demo_store import DEMO_PERIOD, build_report

run = build_report


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
    # external calls unless told otherwise: internal calls are not in the mean talk
    assert kpis[t("rep_kpi_mean_talk")] == pytest.approx(durations.mean_talk_s(calls[external(calls)]))
    every = run("dashboard", demo, direction="all")["kpis"].data.iloc[0]
    assert every[t("rep_kpi_mean_talk")] == pytest.approx(durations.mean_talk_s(calls))
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
    weekday = report["weekday_share"].data
    assert weekday[t("rep_col_calls")].sum() == external(calls).sum()
    assert weekday[t("rep_col_dates")].tolist() == [2, 2, 2, 2, 2, 2, 2]  # 14 days: every weekday twice
    assert (weekday[t("rep_col_calls_per_day")] == weekday[t("rep_col_calls")] / 2).all()
    answered_external = (calls["status"] == "answered") & external(calls)
    assert report["talk_buckets"].data[t("rep_col_calls")].sum() == answered_external.sum()



def test_the_line_load_profile_and_daily_peaks_reconcile_with_the_hourly_load(demo):
    """Ten working days and four weekend days: each profile's mean × its days is the busy-line time
    of those days' hours, its max their highest hour; the daily peak of all numbers is the day's
    highest hour, and never below any one number's peak."""
    from atsnb.metrics.line_load import line_load_per_hour

    _, settings = demo
    report = run("dashboard", demo)
    lo, hi = period_range(**DEMO_PERIOD, tz=settings.pbx.timezone)
    hourly = line_load_per_hour(period_calls(demo), lo, hi)
    weekend = hourly["hour"].dt.day_of_week.ge(5).to_numpy()
    mean, peak = t("rep_col_load_mean"), t("rep_col_load_max")
    for key, days, hours in (("line_load", 10, hourly[~weekend]), ("line_load_weekend", 4, hourly[weekend])):
        profile = report[key].data
        assert len(profile) == 24 and f"{days}" in report[key].note
        assert profile[mean].sum() * days == pytest.approx(hours["mean"].sum())
        assert profile[peak].max() == hours["max"].max()
    assert report["line_load"].data[peak].max() >= 2
    daily = report["line_load_per_line"].data.set_index(t("rep_col_day"))
    assert len(daily) == 14
    by_day = hourly.groupby(hourly["hour"].dt.date)["max"].max()
    assert daily[t("rep_line_load_all")].tolist() == by_day.tolist()
    assert (daily.drop(columns=t("rep_line_load_all")).max(axis=1) <= daily[t("rep_line_load_all")]).all()


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
    with pytest.raises(FilterError, match="'callbacks' takes no filter direction"):
        ctx.report("callbacks", direction="incoming")
    assert ctx.report("callbacks", direction=None, **DEMO_PERIOD).name == "callbacks"  # None means unset


def test_people_come_in_name_order_with_the_figures_a_manager_reads_first(demo):
    """Every per-employee table lists people alphabetically (case ignored, ё as е); the efficiency
    tables open with effective calls, the target and its completion, the summaries with calls and
    effective calls — what stays in view before any sideways scrolling."""
    employees, departments = run("employees", demo), run("departments", demo)
    recovered_by = run("recovery", demo)["by_employee"].data[t("rep_col_employee")]
    for names in [employees[key].data[t("rep_col_employee")] for key in ("efficiency", "summary", "by_scale")] + [
            recovered_by[recovered_by != t("rep_recovery_nobody")]]:
        assert len(names) > 5
        assert names.tolist() == sorted(names, key=lambda name: name.casefold().replace("ё", "е"))
    assert list(employees["efficiency"].data.columns[:4]) == [
        t("rep_col_employee"), t("rep_col_effective"), t("rep_col_target"), t("rep_col_target_pct")]
    assert list(departments["efficiency"].data.columns[:4]) == [
        t("rep_col_department"), t("rep_col_effective"), t("rep_col_target"), t("rep_col_target_pct")]
    for report, holder in ((employees, "rep_col_employee"), (departments, "rep_col_department")):
        assert list(report["summary"].data.columns[:3]) == [t(holder), t("rep_col_calls"), t("rep_col_effective")]


def test_effective_calls_are_one_figure_in_every_table(demo):
    """"Эффективных" is one count (atsnb.metrics.effective.effective_calls): the efficiency table and
    the summary agree for every employee and every department; a department counts a call its
    employees both made effective once, so it is at most the sum of its employees'."""
    effective = t("rep_col_effective")
    people = run("employees", demo)
    by_person = people["efficiency"].data.set_index(t("rep_col_employee"))[effective]
    assert by_person.sort_index().to_dict() == \
        people["summary"].data.set_index(t("rep_col_employee"))[effective].sort_index().to_dict()
    departments = run("departments", demo)
    efficiency = departments["efficiency"].data.set_index(t("rep_col_department"))[effective]
    summary = departments["summary"].data.set_index(t("rep_col_department"))[effective]
    assert len(efficiency) >= 5 and efficiency.gt(0).all()
    assert efficiency.to_dict() == summary.to_dict()
    department_of = people["efficiency"].data.set_index(t("rep_col_employee"))[t("rep_col_department")]
    for name, count in efficiency.items():
        members = by_person[department_of == name.strip("\u2003")]
        if len(members):  # a department with its own employees (a parent adds its sub-departments')
            assert count <= members.sum()
    sales = run("departments", demo, department="Отдел продаж")
    assert sales["efficiency"].data.set_index(t("rep_col_department"))[effective].to_dict() == \
        sales["summary"].data.set_index(t("rep_col_department"))[effective].to_dict()


def test_totals_add_what_adds_and_recompute_the_rates(demo):
    from atsnb.reports.export import totals

    report = run("employees", demo)
    efficiency = report["efficiency"]
    row, data = totals(efficiency), efficiency.data
    effective, target = data[t("rep_col_effective")], data[t("rep_col_target")]
    assert row[t("rep_col_effective")] == effective.sum() and row[t("rep_col_target")] == target.sum()
    assert row[t("rep_col_days")] is None and row[t("rep_col_daily_target")] is None  # not added up
    with_target = target > 0
    assert not with_target.all()  # the administration has no target: its calls are not in the completion
    assert row[t("rep_col_target_pct")] == pytest.approx(100 * effective[with_target].sum() / target.sum())
    assert row[t("rep_col_effective_per_day")] == pytest.approx(effective.sum() / data[t("rep_col_days")].sum())
    summary = report["summary"]
    row, data = totals(summary), summary.data
    assert row[t("rep_col_talk_mean")] == pytest.approx(data[t("rep_col_talk_total")].sum() / data[t("answered")].sum())
    assert row[t("rep_col_wait_mean")] == pytest.approx(data[t("rep_col_wait_total")].sum() / data[t("incoming")].sum())
    lines = totals(run("lines", demo)["summary"])
    assert lines[t("rep_col_share")] == pytest.approx(100)


def test_a_filter_value_that_names_nothing_is_refused_with_what_there_is(demo):
    from atsnb.reports.scope import FilterError

    with pytest.raises(FilterError, match="Отдела «Продажи» нет в справочнике отделов. Есть: .*Отдел продаж"):
        run("departments", demo, department="Продажи")
    with pytest.raises(FilterError, match="Сотрудника «999» нет .* Есть: .*\\(101\\)"):
        run("employees", demo, employee="999")
    with pytest.raises(FilterError, match="Линии «74950000000» нет"):
        run("lines", demo, line="74950000000")
    with pytest.raises(FilterError, match="Направления «sideways» нет. Есть: external, all, incoming"):
        run("dashboard", demo, direction="sideways")
    # an extension that is in no directory but in the calls is a real filter
    path, settings = demo
    extensions = choices(path, settings)["employees"]
    assert run("employees", demo, employee=extensions[0]["value"])["summary"].data[t("rep_col_calls")].sum() > 0


def test_a_report_on_a_missing_or_empty_store_says_so_and_creates_nothing(demo, tmp_path):
    from atsnb.composition import Context
    from atsnb.errors import StoreError

    _, settings = demo
    missing = tmp_path / "nowhere"
    ctx = Context.from_settings(settings, store=missing)
    with pytest.raises(StoreError, match=f"В папке «{missing}» нет хранилища atsnb"):
        ctx.report("dashboard")
    with pytest.raises(StoreError, match="нет хранилища"):
        ctx.load_calls("2025-03-03", "2025-03-04")
    with pytest.raises(StoreError, match="нет хранилища"):
        reports.REPORTS["employees"].build(store=missing, settings=settings)
    assert not missing.exists()  # never a new, empty store
    empty = Store.open(tmp_path / "empty")
    with pytest.raises(StoreError, match="нет ни одного звонка"):
        Context.from_settings(settings, store=empty.root).report("departments")

