"""Line load per hour: hand-checkable cases and agreement with a slow, obviously right reference;
the hour-of-day profile per day type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atsnb.metrics.line_load import (
    coarsen_load,
    line_load_by_line,
    line_load_per_hour,
    line_loads,
    load_profile,
    peak_per_line,
)
from tests.support.calls_frame import TZ, at, calls_frame

PERIOD = (at("2025-03-03 10:00"), at("2025-03-03 12:00"))


def two_hours_of_calls() -> pd.DataFrame:
    return calls_frame([
        {"start": "2025-03-03 09:50", "end": "2025-03-03 10:15", "direction": "incoming", "status": "answered", "line": "L1"},
        {"start": "2025-03-03 10:00", "end": "2025-03-03 10:30", "direction": "incoming", "status": "answered", "line": "L1"},
        {"start": "2025-03-03 10:15", "end": "2025-03-03 11:15", "direction": "outgoing", "status": "answered", "line": "L2"},
        {"start": "2025-03-03 10:00", "end": "2025-03-03 12:00", "direction": "internal", "status": "answered"},
    ])


def test_overall_load_counts_overlaps_and_ignores_internal_calls():
    load = line_load_per_hour(two_hours_of_calls(), *PERIOD)
    assert list(load["hour"]) == [at("2025-03-03 10:00"), at("2025-03-03 11:00")]
    # 10:00–10:15 two calls, 10:15–10:30 two (one ends as the other starts), 10:30–11:00 one.
    assert load.iloc[0][["min", "mean", "max"]].tolist() == [1, pytest.approx(1.5), 2]
    # 11:00–11:15 one call, then none.
    assert load.iloc[1][["min", "mean", "max"]].tolist() == [0, pytest.approx(0.25), 1]


def test_load_per_line_has_every_line_for_every_hour():
    load = line_load_per_hour(two_hours_of_calls(), *PERIOD, by_line=True).set_index(["line", "hour"])
    assert len(load) == 4
    l1 = load.loc[("L1", at("2025-03-03 10:00"))]
    assert (l1["min"], l1["mean"], l1["max"]) == (0, pytest.approx(0.75), 2)
    assert load.loc[("L1", at("2025-03-03 11:00"))][["min", "mean", "max"]].tolist() == [0, 0, 0]
    l2 = load.loc[("L2", at("2025-03-03 10:00"))]
    assert (l2["min"], l2["mean"], l2["max"]) == (0, pytest.approx(0.75), 1)


def test_load_by_line_names_the_peak_and_its_hour():
    table = line_load_by_line(two_hours_of_calls(), *PERIOD).set_index("line")
    assert table.loc["L1", "max"] == 2
    assert table.loc["L1", "peak_hour"] == at("2025-03-03 10:00")
    assert table.loc["L2", "mean"] == pytest.approx((0.75 + 0.25) / 2)


def test_an_empty_period_has_zero_load_every_hour():
    load = line_load_per_hour(calls_frame([]), *PERIOD)
    assert load[["min", "mean", "max"]].to_numpy().tolist() == [[0, 0, 0], [0, 0, 0]]


def reference_load(starts, ends, bounds):
    """Per hour: cut the hour at every start/end inside it and count the calls covering each piece."""
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        cuts = sorted({lo, hi, *[t for t in np.concatenate([starts, ends]) if lo < t < hi]})
        levels, lengths = [], []
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            mid = (a + b) / 2
            levels.append(int(((starts <= mid) & (mid < ends)).sum()))
            lengths.append(b - a)
        out.append((min(levels), float(np.dot(levels, lengths)) / (hi - lo), max(levels)))
    return out


def test_sweep_equals_the_per_hour_reference_on_random_calls():
    rng = np.random.default_rng(7)
    day = at("2025-03-03 00:00")
    starts = day + pd.to_timedelta(rng.integers(0, 86_400, 300), unit="s")
    lengths = pd.to_timedelta(rng.exponential(600, 300).round(), unit="s")
    frame = pd.DataFrame({"start": starts, "end": starts + lengths, "direction": "incoming", "line": "L"})
    end = day + pd.Timedelta(days=1)
    load = line_load_per_hour(frame, day, end)
    to_s = lambda ts: (pd.DatetimeIndex(ts).as_unit("s").asi8).astype(float)  # noqa: E731
    bounds = to_s(pd.date_range(day, end, freq="h"))
    expected = reference_load(to_s(frame["start"]), np.minimum(to_s(frame["end"]), bounds[-1]), bounds)
    assert load["min"].tolist() == [e[0] for e in expected]
    assert load["max"].tolist() == [e[2] for e in expected]
    assert np.allclose(load["mean"], [e[1] for e in expected])


def test_days_roll_up_min_of_mins_mean_of_means_max_of_maxes():
    hourly = line_load_per_hour(two_hours_of_calls(), *PERIOD)
    daily = coarsen_load(hourly)
    assert len(daily) == 1
    assert daily.iloc[0]["hour"] == pd.Timestamp("2025-03-03", tz=TZ)
    assert daily.iloc[0][["min", "mean", "max"]].tolist() == [0, pytest.approx(0.875), 2]


def test_line_loads_are_the_overall_and_the_per_line_load():
    overall, by_line = line_loads(two_hours_of_calls(), *PERIOD)
    pd.testing.assert_frame_equal(overall, line_load_per_hour(two_hours_of_calls(), *PERIOD))
    pd.testing.assert_frame_equal(by_line, line_load_per_hour(two_hours_of_calls(), *PERIOD, by_line=True))


def test_peak_per_line_per_hour_and_per_day():
    hourly = line_load_per_hour(two_hours_of_calls(), *PERIOD, by_line=True)
    per_hour = peak_per_line(hourly)
    assert list(per_hour.index) == [at("2025-03-03 10:00"), at("2025-03-03 11:00")]
    assert per_hour.to_dict("list") == {"L1": [2, 0], "L2": [1, 1]}
    per_day = peak_per_line(hourly, "D")
    assert list(per_day.index) == [pd.Timestamp("2025-03-03", tz=TZ)]
    assert per_day.to_dict("list") == {"L1": [2], "L2": [1]}


def test_peak_per_line_equals_the_pivot_of_each_line_rolled_up_to_days():
    rng = np.random.default_rng(3)
    day = pd.Timestamp("2025-10-24", tz="Europe/Berlin")  # the days include the end of summer time
    starts = day + pd.to_timedelta(np.sort(rng.integers(0, 5 * 86_400, 2000)), unit="s")
    frame = pd.DataFrame({"start": starts, "end": starts + pd.to_timedelta(rng.exponential(900, 2000).round(), unit="s"),
                          "direction": "incoming", "line": rng.choice(["L2", "L10", "A", "L1"], 2000)})
    hourly = line_load_per_hour(frame, day + pd.Timedelta(hours=3), day + pd.Timedelta(days=4, hours=5), by_line=True)
    daily = pd.concat([coarsen_load(part.drop(columns="line")).assign(line=line)
                       for line, part in hourly.groupby("line", sort=True)], ignore_index=True)
    expected = daily.pivot(index="hour", columns="line", values="max").rename_axis(columns=None)
    pd.testing.assert_frame_equal(peak_per_line(hourly, "D"), expected)


WEEK = (at("2025-03-03 00:00"), at("2025-03-10 00:00"))  # Monday to Sunday


def a_week_of_calls() -> pd.DataFrame:
    return calls_frame([
        # Monday 10:00–10:45: one line, two from 10:15 to 10:30 → that hour's mean 1.0, max 2
        {"start": "2025-03-03 10:00", "end": "2025-03-03 10:30", "direction": "incoming", "status": "answered", "line": "L1"},
        {"start": "2025-03-03 10:15", "end": "2025-03-03 10:45", "direction": "outgoing", "status": "answered", "line": "L2"},
        {"start": "2025-03-04 10:00", "end": "2025-03-04 11:00", "direction": "incoming", "status": "answered", "line": "L1"},
        {"start": "2025-03-08 12:00", "end": "2025-03-08 12:30", "direction": "incoming", "status": "answered", "line": "L1"},
    ])


def test_the_profile_folds_the_hours_onto_the_day_per_day_type():
    profile = load_profile(line_load_per_hour(a_week_of_calls(), *WEEK)).set_index(["day_type", "hour"])
    assert len(profile) == 48
    # 10 o'clock on the five working days: 1.0 on Monday, 1.0 on Tuesday, nothing on the other three
    assert profile.loc[("working", 10)].tolist() == [pytest.approx(0.4), 2, 5]
    assert profile.loc[("working", 12)].tolist() == [0, 0, 5]
    assert profile.loc[("weekend", 12)].tolist() == [pytest.approx(0.25), 1, 2]  # Saturday's half hour
    assert profile.loc[("weekend", 10)].tolist() == [0, 0, 2]


def test_the_profile_counts_only_the_hours_that_have_ended():
    hourly = line_load_per_hour(a_week_of_calls(), *WEEK)
    profile = load_profile(hourly, until=at("2025-03-05 10:30")).set_index(["day_type", "hour"])
    assert set(profile.index.get_level_values(0)) == {"working"}  # no weekend reached yet: no rows for it
    assert profile.loc[("working", 9), "days"] == 3  # Monday to Wednesday
    assert profile.loc[("working", 10), "mean"] == pytest.approx(1.0)  # Wednesday 10:00 is still on
    one_day = load_profile(hourly[hourly["hour"] >= at("2025-03-05 00:00")], until=at("2025-03-05 10:30"))
    assert len(one_day) == 24 and one_day["mean"].isna().tolist() == [False] * 10 + [True] * 14


def test_the_profile_of_a_summer_time_switch_counts_the_doubled_hour_twice():
    day = pd.Timestamp("2025-10-26", tz="Europe/Berlin")  # a Sunday: 02:00–03:00 happens twice
    first_two = day + pd.Timedelta(hours=2)  # the first 02:00 (summer time)
    frame = pd.DataFrame({"start": [first_two + pd.Timedelta(minutes=10)], "end": [first_two + pd.Timedelta(minutes=40)],
                          "direction": ["incoming"], "line": ["L"]})
    hourly = line_load_per_hour(frame, day, pd.Timestamp("2025-10-27", tz="Europe/Berlin"))
    assert len(hourly) == 25
    profile = load_profile(hourly).set_index("hour")
    assert profile.loc[2, ["mean", "max", "days"]].tolist() == [pytest.approx(0.25), 1, 1]  # (0.5 + 0) / 2


def test_an_empty_hourly_frame_has_no_profile():
    assert load_profile(line_load_per_hour(calls_frame([]), *PERIOD), until=PERIOD[0]).empty
