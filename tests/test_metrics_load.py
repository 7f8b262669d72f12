"""Line load per hour: hand-checkable cases and agreement with a slow, obviously right reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atsnb.metrics.line_load import (
    coarsen_load,
    line_load_by_line,
    line_load_per_hour,
    line_loads,
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
