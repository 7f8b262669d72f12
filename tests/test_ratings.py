"""The quality ratings report held against the simulator's own ratings table: every rating of the
period counted once for the operator it names, matched to its call or not (the ones the module
could not tie to a call are counted and listed, never dropped); departments rolled up the tree;
the low-rated calls open their call's page and play their recording under the table."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb.i18n import t
from atsnb.reports.links import call_address
from atsnb.simulate import simulate
from atsnb.views.recording_picker import RecordingPicker
from tests.support.demo_store import DEMO_DAYS, DEMO_END, DEMO_PERIOD, DEMO_SEED, build_report

TZ = "Europe/Moscow"


@pytest.fixture(scope="module")
def sim():
    return simulate(days=DEMO_DAYS, seed=DEMO_SEED, end=DEMO_END)


@pytest.fixture(scope="module")
def rated(sim):
    """The simulator's ratings of the demo period, times in the PBX zone."""
    ratings = sim.tables["ratings"].copy()
    ratings["rated_at"] = pd.to_datetime(ratings["rated_at"]).dt.tz_localize(TZ)
    lo = pd.Timestamp(DEMO_PERIOD["start"], tz=TZ)
    hi = pd.Timestamp(DEMO_PERIOD["end"], tz=TZ) + pd.Timedelta(days=1)
    return ratings[(ratings["rated_at"] >= lo) & (ratings["rated_at"] < hi)].reset_index(drop=True)


@pytest.fixture(scope="module")
def report(demo):
    return build_report("ratings", demo)


def test_every_rating_counts_once_for_its_operator_matched_or_not(report, rated):
    kpis = report["kpis"].data.iloc[0]
    unmatched = rated["linkedid"].eq("")
    assert kpis[t("rat_kpi_ratings")] == len(rated) > 100
    assert kpis[t("rat_kpi_unmatched")] == unmatched.sum() > 0
    assert kpis[t("rat_kpi_mean")] == pytest.approx(rated["rating"].mean())
    low = (rated["rating"] <= 3).sum()
    assert kpis[t("rat_kpi_low_pct", low=3)] == pytest.approx(100 * low / len(rated))
    distribution = report["distribution"].data.set_index(t("rat_col_rating"))[t("rat_col_ratings")]
    assert distribution.to_dict() == {str(m): int((rated["rating"] == m).sum()) for m in range(1, 6)}
    per_employee = report["by_employee"].data
    means = rated.groupby("extension")["rating"].agg(["size", "mean"])
    for name, count, mean in zip(per_employee[t("rep_col_employee")], per_employee[t("rat_col_ratings")],
                                 per_employee[t("rat_col_mean")], strict=True):
        extension = name.rsplit("(", 1)[1].rstrip(")")
        assert (count, mean) == (means.loc[extension, "size"], pytest.approx(means.loc[extension, "mean"]))
    listed = report["unmatched"].data
    assert len(listed) == unmatched.sum()
    assert sorted(listed[t("rep_col_caller")]) == sorted(rated.loc[unmatched, "number"])


def test_departments_roll_up_and_the_filters_keep_their_operators(report, demo, rated):
    per_department = report["by_department"].data.set_index(t("rep_col_department"))[t("rat_col_ratings")]
    per_department.index = per_department.index.str.strip()
    teams = per_department.loc["Продажи: команда 1"] + per_department.loc["Продажи: команда 2"]
    assert per_department.loc["Отдел продаж"] == teams > 0  # the department has no operators of its own
    sales = build_report("ratings", demo, department="Отдел продаж", scale="week")
    assert sales["kpis"].data.iloc[0][t("rat_kpi_ratings")] == per_department.loc["Отдел продаж"]
    assert all(name.startswith(("Продажи", "\u2003Продажи", "Отдел продаж"))
               for name in sales["by_department"].data[t("rep_col_department")])
    one = build_report("ratings", demo, employee="200")
    assert one["kpis"].data.iloc[0][t("rat_kpi_ratings")] == (rated["extension"] == "200").sum()
    # a line filter keeps the ratings of calls on that number: those without a call have no line
    on_line = build_report("ratings", demo, line="74957654321")
    assert on_line["kpis"].data.iloc[0][t("rat_kpi_unmatched")] == 0
    assert 0 < on_line["kpis"].data.iloc[0][t("rat_kpi_ratings")] < len(rated)


def test_low_rated_calls_open_their_call_and_play_their_recording(report, rated, sim):
    element = report["low_rated"]
    low = rated[rated["rating"] <= 3]
    assert len(element.data) == element.rows_total == len(low)
    assert element.data[t("rat_col_rated_at")].is_monotonic_decreasing
    truth = sim.truth.set_index("call_id")
    ratings = rated.set_index("linkedid")
    matched = element.links.ne("")
    assert (~matched).any() and matched.sum() == len(low) - low["linkedid"].eq("").sum()
    ids = element.links[matched].str.removeprefix("records.ipynb?call=")
    assert element.links[matched].tolist() == [call_address(c) for c in ids]
    rated_numbers = ratings.loc[ids, "number"].astype(str).str[-10:].to_numpy()  # as the caller id came
    assert (truth.loc[ids, "external_number"].str[-10:].to_numpy() == rated_numbers).all()  # the rated call
    # a row plays the rated call's own recording, as the simulated PBX wrote it
    recorded = truth.loc[ids, "recording"].ne("").to_numpy()
    assert element.recordings[matched].tolist() == [c if r else "" for c, r in zip(ids, recorded, strict=True)]
    assert (element.recordings[~matched] == "").all() and recorded.any()
    picker = RecordingPicker(element)
    picker.update(element.data)
    assert len(picker.choice.options) == 1 + recorded.sum()
    picker.choice.value = picker.choice.options[1][1]
    assert f'data-call-id="{picker.choice.value}"' in picker.player.children[0].value


def test_a_bad_scale_is_refused_with_the_scales_there_are(demo):
    with pytest.raises(ValueError, match="hour, day, week, month"):
        build_report("ratings", demo, scale="year")
