"""The missed-call recovery report held against the simulator's truth: every missed call of the
demo period is recovered (or not) exactly when, how and by whom the simulated company reached the
client again; the per-person tables, the filters and the call-back list agree with each other."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb.i18n import t
from atsnb.reports.links import call_address
from atsnb.simulate import simulate
from tests.support.demo_store import DEMO_DAYS, DEMO_END, DEMO_PERIOD, DEMO_SEED, build_report

TZ = "Europe/Moscow"
INBOUND = ("incoming", "mixed")
EXTERNAL = ("incoming", "outgoing", "mixed")


@pytest.fixture(scope="module")
def truth():
    """The demo store's ground truth (the same simulation: same days, seed and end)."""
    frame = simulate(days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END).truth
    for column in ("start", "answer", "end"):
        frame[column] = frame[column].dt.tz_localize(TZ)
    return frame


@pytest.fixture(scope="module")
def report(demo):
    return build_report("recovery", demo)


def expected_recovery(truth: pd.DataFrame) -> pd.DataFrame:
    """Each missed call of the period with the truth's next answered external call with its number."""
    lo = pd.Timestamp(DEMO_PERIOD["start"], tz=TZ)
    hi = pd.Timestamp(DEMO_PERIOD["end"], tz=TZ) + pd.Timedelta(days=1)
    missed = truth[truth["direction"].isin(INBOUND) & truth["status"].ne("answered") & truth["external_number"].ne("")
                   & (truth["start"] >= lo) & (truth["start"] < hi)]
    later = truth[truth["direction"].isin(EXTERNAL) & truth["status"].eq("answered")].sort_values("start")
    rows = []
    for call in missed.itertuples():
        after = later[(later["external_number"] == call.external_number) & (later["start"] > call.start)]
        first = after.iloc[0] if len(after) else None
        rows.append({"call_id": call.call_id, "start": call.start, "number": call.external_number,
                     "scenario": None if first is None else first["scenario"],
                     "by": "" if first is None else first["employee"],
                     "delay_s": None if first is None else max((first["start"] - call.end).total_seconds(), 0.0)})
    return pd.DataFrame(rows)


def shown_missed(report) -> pd.DataFrame:
    table = report["missed"].data
    return pd.DataFrame({"start": table[t("rep_col_start")].dt.floor("s"), "number": table[t("rep_col_caller")].astype(str),
                         "how": table[t("rep_col_recovered_how")], "by": table[t("rep_col_recovered_by")],
                         "delay_s": table[t("rep_col_recovery_delay")], "link": report["missed"].links})


def test_every_missed_call_is_recovered_as_the_simulated_company_recovered_it(report, truth):
    expected = expected_recovery(truth).assign(start=lambda f: f["start"].dt.floor("s"))
    shown = shown_missed(report)
    assert len(shown) == len(expected) > 300
    merged = expected.merge(shown, on=["start", "number"], how="left", validate="one_to_one",
                            suffixes=("_truth", "_shown"))
    assert merged["how"].notna().all()
    never = merged["scenario"].isna()
    assert never.any() and (~never).any()  # the demo has both
    assert (merged.loc[never, "how"] == "").all()
    callback = merged["scenario"].isin(["callback_missed", "outgoing", "website_callback"])
    assert (merged.loc[callback, "how"] == t("rep_recovery_how_callback")).all()
    assert (merged.loc[~never & ~callback, "how"] == t("rep_recovery_how_called_again")).all()
    done = merged[~never]
    # by whom: "Фамилия Имя (201)" for the employee the truth's recovering call counts for
    assert all(shown_by.endswith(f"({by})") for shown_by, by in zip(done["by_shown"], done["by_truth"], strict=True))
    # how fast, to the PBX's whole seconds
    assert (done["delay_s_shown"] - done["delay_s_truth"]).abs().max() <= 2
    # every row opens its own missed call's page
    assert merged["link"].tolist() == [call_address(c) for c in merged["call_id"]]


def test_a_call_called_back_within_minutes_is_recovered_within_the_first_window_by_that_employee(report, truth):
    expected = expected_recovery(truth)
    quick = expected[(expected["scenario"] == "callback_missed") & (expected["delay_s"] <= 20 * 60)]
    assert len(quick) > 20
    shown = shown_missed(report).set_index(["start", "number"])
    for row in quick.head(30).itertuples():
        got = shown.loc[(row.start.floor("s"), row.number)]
        assert got["how"] == t("rep_recovery_how_callback")
        assert got["by"].endswith(f"({row.by})")  # "Фамилия Имя (201)": the employee who called back
        assert abs(got["delay_s"] - row.delay_s) <= 2
        assert got["delay_s"] <= 20 * 60
    funnel = report["funnel"].data.set_index(t("rep_col_stage"))[t("rep_col_calls")]
    delays = shown_missed(report)["delay_s"]
    assert funnel[t("rep_recovery_within", window=t("rep_minutes", n=20))] == int((delays <= 20 * 60).sum())


def test_the_call_back_list_holds_every_client_still_waiting_newest_first(report, truth):
    element = report["to_call_back"]
    table = element.data
    shown = shown_missed(report)
    waiting = shown[shown["how"] == ""]
    assert set(table[t("rep_col_caller")].astype(str)) == set(waiting["number"])
    assert len(table) == waiting["number"].nunique() == element.rows_total
    assert table[t("rep_col_recovery_last_missed")].is_monotonic_decreasing
    attempts = waiting.groupby("number").size()
    assert (table[t("rep_col_recovery_attempts")].to_numpy()
            == attempts.loc[table[t("rep_col_caller")].astype(str)].to_numpy()).all()
    last = waiting.sort_values("start").groupby("number")["link"].last()
    assert element.links.tolist() == last.loc[table[t("rep_col_caller")].astype(str)].tolist()
    assert element.links.str.startswith("records.ipynb?call=").all()


def test_per_department_figures_are_what_the_department_filter_shows(report, demo):
    per_department = report["missed_by_department"].data.set_index(t("rep_col_department"))
    per_department.index = per_department.index.str.strip()
    department = "Техническая поддержка"
    filtered = build_report("recovery", demo, department=department)
    kpis = filtered["kpis"].data.iloc[0]
    assert kpis[t("rep_kpi_missed_calls")] == per_department.loc[department, t("rep_col_recovery_missed")] > 20
    assert kpis[t("rep_kpi_never_recovered")] == per_department.loc[department, t("rep_col_recovery_never")]
    assert filtered.filters["department"] == department
    # a parent department counts a call once, however many of its teams it reached
    sales = per_department.loc[["Отдел продаж", "Продажи: команда 1", "Продажи: команда 2"], t("rep_col_recovery_missed")]
    assert max(sales.iloc[1:]) <= sales.iloc[0] <= sales.iloc[1:].sum()
    per_employee = report["missed_by_employee"].data
    assert (per_employee[t("rep_col_recovery_recovered")] + per_employee[t("rep_col_recovery_never")]
            == per_employee[t("rep_col_recovery_missed")]).all()
