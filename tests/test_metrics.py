"""Formula tests on calls frames small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from atsnb.metrics import counts, durations, effective, recovery, service
from tests.support.calls_frame import at, calls_frame


def incoming_mix() -> pd.DataFrame:
    """Monday 3 March 2025: 4 answered incoming (waits 5, 10, 20, 40 s), 2 missed, 1 dropped,
    2 outgoing (one answered), 1 internal; Tuesday: 1 answered incoming."""
    rows = [
        {"start": "2025-03-03 09:00", "direction": "incoming", "status": "answered", "wait_s": 5, "talk_s": 25},
        {"start": "2025-03-03 09:10", "direction": "incoming", "status": "answered", "wait_s": 10, "talk_s": 60},
        {"start": "2025-03-03 10:00", "direction": "incoming", "status": "answered", "wait_s": 20, "talk_s": 200},
        {"start": "2025-03-03 10:30", "direction": "mixed", "status": "answered", "wait_s": 40, "talk_s": 700},
        {"start": "2025-03-03 11:00", "direction": "incoming", "status": "unanswered", "wait_s": 15},
        {"start": "2025-03-03 11:05", "direction": "incoming", "status": "unanswered", "wait_s": 60},
        {"start": "2025-03-03 11:10", "direction": "incoming", "status": "dropped", "wait_s": 3},
        {"start": "2025-03-03 12:00", "direction": "outgoing", "status": "answered", "wait_s": 8, "talk_s": 90},
        {"start": "2025-03-03 12:30", "direction": "outgoing", "status": "unanswered", "wait_s": 30},
        {"start": "2025-03-03 13:00", "direction": "internal", "status": "answered", "wait_s": 2, "talk_s": 30},
        {"start": "2025-03-04 09:00", "direction": "incoming", "status": "answered", "wait_s": 6, "talk_s": 45},
    ]
    return calls_frame(rows)


def test_daily_external_calls_by_direction_list_every_day_of_the_period():
    daily = counts.daily_external(incoming_mix(), at("2025-03-02 00:00"), at("2025-03-05 00:00"))
    assert daily["day"].dt.day.tolist() == [2, 3, 4]
    assert daily[["incoming", "outgoing", "mixed", "calls"]].to_numpy().tolist() == [
        [0, 0, 0, 0], [6, 2, 1, 9], [1, 0, 0, 1]]


def test_unanswered_incoming_split_missed_and_dropped_per_day():
    daily = counts.daily_unanswered_incoming(incoming_mix(), at("2025-03-03 00:00"), at("2025-03-05 00:00"))
    assert daily[["missed", "dropped", "calls"]].to_numpy().tolist() == [[2, 1, 3], [0, 0, 0]]


def test_unanswered_and_dropped_shares_of_incoming():
    rates = counts.unanswered_rates(incoming_mix())
    # 8 incoming (mixed counts as incoming): 3 not answered, 1 of them dropped.
    assert rates == {"unanswered_pct": pytest.approx(300 / 8), "dropped_pct": pytest.approx(100 / 8),
                     "incoming": 8, "unanswered": 3, "dropped": 1}
    none = counts.unanswered_rates(incoming_mix().iloc[0:0])
    assert math.isnan(none["unanswered_pct"]) and none["incoming"] == 0


def test_counts_by_weekday_and_hour_give_shares_that_sum_to_100():
    by_weekday = counts.counts_by(incoming_mix(), "weekday", start=at("2025-03-03"), end=at("2025-03-10"))
    assert by_weekday["calls"].tolist() == [10, 1, 0, 0, 0, 0, 0]
    assert by_weekday["share_pct"].sum() == pytest.approx(100)
    by_hour = counts.counts_by(incoming_mix(), "hour").set_index("hour")
    assert by_hour.loc[11, "calls"] == 3 and by_hour.loc[9, "share_pct"] == pytest.approx(300 / 11)


def test_calls_per_weekday_are_a_mean_over_the_whole_dates_of_that_weekday():
    rows = [{"start": f"2025-03-{day:02d} 10:00", "direction": "incoming", "status": "answered"}
            for day in (3, 3, 10, 10, 17, 17, 24, 24, 31, 31, 4, 4, 11, 11, 18, 18, 25, 25)]
    frame = calls_frame(rows + [{"start": "2025-04-01 09:00", "direction": "incoming", "status": "answered"}])
    # 3–31 March and 1 April, under way: five Mondays, four whole Tuesdays (today's call is not counted)
    out = counts.per_weekday(frame, at("2025-03-03"), at("2025-04-02"), until=at("2025-04-01 12:00"))
    week = out.set_index("weekday")
    assert week.loc[0, ["days", "calls", "per_day"]].tolist() == [5, 10, 2.0]
    assert week.loc[1, ["days", "calls", "per_day"]].tolist() == [4, 8, 2.0]  # as busy as Monday, per day
    assert week.loc[2:6, "days"].tolist() == [4, 4, 4, 4, 4] and week.loc[2:6, "calls"].sum() == 0
    one_day = counts.per_weekday(frame, at("2025-04-01"), at("2025-04-02"), until=at("2025-04-01 12:00"))
    assert one_day.empty  # only today, not over yet: no whole date, no mean


def test_counts_by_a_column_with_a_split():
    table = counts.counts_by(incoming_mix(), "direction", split="status").set_index("direction")
    assert table.loc["incoming", ["answered", "unanswered", "dropped", "calls"]].tolist() == [4, 2, 1, 7]


def test_day_codes_given_by_the_caller_count_as_the_timestamps_do():
    frame = incoming_mix()
    days = counts.bucket_codes(frame["start"], "day")
    for scale in ("day", "weekday", "week"):
        assert counts.from_days(days, scale).tolist() == counts.bucket_codes(frame["start"], scale).tolist()
    period = (at("2025-03-02 00:00"), at("2025-03-05 00:00"))
    pd.testing.assert_frame_equal(counts.daily_external(frame, *period, days), counts.daily_external(frame, *period))
    pd.testing.assert_frame_equal(counts.daily_unanswered_incoming(frame, *period, days),
                                  counts.daily_unanswered_incoming(frame, *period))
    by_weekday = counts.counts_by(frame, "weekday", start=period[0], end=period[1],
                                  codes=counts.from_days(days, "weekday"))
    assert by_weekday["calls"].tolist() == [10, 1, 0, 0, 0, 0, 0]


def test_weeks_start_on_monday_and_months_on_the_first():
    frame = calls_frame([{"start": "2025-03-09 23:30", "direction": "incoming", "status": "answered"}])
    assert counts.time_key(frame["start"], "week").iloc[0] == at("2025-03-03 00:00")
    assert counts.time_key(frame["start"], "month").iloc[0] == at("2025-03-01 00:00")


def test_mean_talk_is_over_answered_calls_and_mean_wait_over_incoming():
    frame = incoming_mix()
    assert durations.mean_talk_s(frame) == pytest.approx((25 + 60 + 200 + 700 + 90 + 30 + 45) / 7)
    assert durations.mean_wait_s(frame) == pytest.approx((5 + 10 + 20 + 40 + 15 + 60 + 3 + 6) / 8)
    assert math.isnan(durations.mean_talk_s(frame.iloc[0:0]))  # no data, not a mean of 0 s
    assert math.isnan(service.service_level_pct(frame.iloc[0:0])) and math.isnan(service.asa_s(frame.iloc[0:0]))


def test_talk_buckets_are_half_open():
    buckets = durations.talk_buckets(incoming_mix())
    # talks 25 | 30 (internal), 45 | 60, 90 | 200 | — | 700
    assert buckets["calls"].tolist() == [1, 2, 2, 1, 0, 1]
    assert buckets["from_s"].tolist() == [0, 30, 60, 180, 300, 600]
    assert math.isnan(buckets["to_s"].iloc[-1])
    assert buckets["share_pct"].sum() == pytest.approx(100)


def test_service_level_both_formulas():
    frame = incoming_mix()
    # answered incoming waits 5, 10, 20, 40, 6 → 4 within 20 s of 5.
    assert service.service_level_pct(frame, 20, "answered") == pytest.approx(80)
    # plus abandoned waits 15, 60, 3 → (4 + 2) / (5 + 3).
    assert service.service_level_pct(frame, 20, "offered") == pytest.approx(75)
    assert service.service_level_pct(frame, 5, "answered") == pytest.approx(20)
    with pytest.raises(ValueError):
        service.service_level_pct(frame, 20, "other")


def test_asa_and_abandon_rate():
    frame = incoming_mix()
    assert service.asa_s(frame) == pytest.approx((5 + 10 + 20 + 40 + 6) / 5)
    assert service.abandon_rate_pct(frame) == pytest.approx(3 / 8 * 100)
    assert math.isnan(service.abandon_rate_pct(frame.iloc[0:0]))  # no incoming call: no data


def test_effective_calls_follow_each_employees_panel():
    frame = calls_frame([
        {"start": "2025-03-03 09:00", "direction": "incoming", "status": "answered", "talk_s": 70, "employee": "101"},
        {"start": "2025-03-03 09:30", "direction": "outgoing", "status": "answered", "talk_s": 100, "employee": "101"},
        {"start": "2025-03-03 10:00", "direction": "incoming", "status": "answered", "talk_s": 50, "employee": "101"},
        {"start": "2025-03-04 10:00", "direction": "mixed", "status": "answered", "talk_s": 61, "employee": "101"},
        {"start": "2025-03-03 11:00", "direction": "outgoing", "status": "answered", "talk_s": 40, "employee": "102"},
        {"start": "2025-03-03 11:30", "direction": "internal", "status": "answered", "talk_s": 400, "employee": "102"},
        {"start": "2025-03-03 12:00", "direction": "outgoing", "status": "unanswered", "talk_s": 0, "employee": "102"},
    ])
    panels = pd.DataFrame(
        {"min_talk_s": [60, 30], "directions": [frozenset({"incoming"}), "incoming,outgoing"], "daily_target": [2, 4]},
        index=pd.Index(["101", "102"], name="employee"),
    )
    table = effective.effective_by_employee(frame, panels).set_index("employee")
    # 101 counts incoming ≥ 60 s: the 70 s call and the mixed 61 s call, over 2 days, target 2/day.
    assert table.loc["101", ["effective", "days", "target"]].tolist() == [2, 2, 4]
    assert table.loc["101", "target_pct"] == pytest.approx(50)
    # 102: the 40 s outgoing call only (internal never counts).
    assert table.loc["102", ["effective", "days", "target"]].tolist() == [1, 1, 4]
    assert table.loc["102", "per_day"] == 1
    # each row by its employee's panel, looked up per employee: the per-row rule, and no panel → not effective
    frame.loc[len(frame)] = frame.iloc[0].to_dict() | {"employee": "199"}
    per_row = panels.reindex(frame["employee"]).set_axis(frame.index)
    by_panel = effective.effective_by_panel(frame, panels)
    pd.testing.assert_series_equal(by_panel, effective.effective_mask(frame, per_row["min_talk_s"], per_row["directions"]))
    assert by_panel.tolist() == [True, False, False, True, True, False, False, False]


def test_effective_mask_with_one_rule_for_all():
    frame = incoming_mix()
    mask = effective.effective_mask(frame, 60, "incoming,outgoing")
    assert mask.tolist() == [False, True, True, True, False, False, False, True, False, False, False]


def recovery_calls() -> pd.DataFrame:
    n1, n2, n3 = "79120000001", "79120000002", "79120000003"
    return calls_frame([
        # n1 missed at 10:00, called back by 101 at 10:10 (within 20 min).
        {"start": "2025-03-03 10:00", "direction": "incoming", "status": "unanswered", "wait_s": 30, "external_number": n1},
        {"start": "2025-03-03 10:10", "direction": "outgoing", "status": "answered", "talk_s": 60,
         "external_number": n1, "employee": "101"},
        # n2 dropped at 11:00, a failed callback, then the client called again after 3 hours.
        {"start": "2025-03-03 11:00", "direction": "incoming", "status": "dropped", "wait_s": 3, "external_number": n2},
        {"start": "2025-03-03 11:30", "direction": "outgoing", "status": "unanswered", "wait_s": 20,
         "external_number": n2, "employee": "102"},
        {"start": "2025-03-03 14:00:03", "direction": "incoming", "status": "answered", "talk_s": 60,
         "external_number": n2, "employee": "103"},
        # n3 missed, never reached.
        {"start": "2025-03-03 12:00", "direction": "incoming", "status": "unanswered", "wait_s": 40, "external_number": n3},
    ])


def test_missed_calls_are_recovered_by_the_next_answered_call_with_that_number():
    table = recovery.missed_call_recovery(recovery_calls(), (20, 120, 1440)).set_index("external_number")
    n1 = table.loc["79120000001"]
    assert (n1["recovered"], n1["how"], n1["by"], n1["delay_s"]) == (True, "callback", "101", 570)
    assert (n1["within_20"], n1["within_120"], n1["within_1440"]) == (True, True, True)
    n2 = table.loc["79120000002"]
    assert (n2["how"], n2["by"], n2["delay_s"]) == ("called_again", "103", 3 * 3600)
    assert (n2["within_120"], n2["within_1440"]) == (False, True)
    assert not table.loc["79120000003", "recovered"]


def test_recovery_funnel_and_who_recovered():
    table = recovery.missed_call_recovery(recovery_calls(), (20, 120, 1440))
    funnel = recovery.recovery_funnel(table, (20, 120, 1440)).set_index("stage")
    assert funnel["calls"].to_dict() == {"missed": 3, "within_20": 1, "within_120": 1, "within_1440": 2,
                                         "recovered": 2, "never": 1}
    assert funnel.loc["never", "pct"] == pytest.approx(100 / 3)
    by = recovery.recovery_by_employee(table).set_index("by")
    assert by["calls"].to_dict() == {"101": 1, "103": 1}
    without_dropped = recovery.missed_call_recovery(recovery_calls(), include_dropped=False)
    assert len(without_dropped) == 2


def test_recovery_windows_come_from_the_setting_text():
    assert recovery.parse_windows("120, 20,1440") == (20, 120, 1440)


def test_transferred_calls_count_for_everyone_who_answered_them():
    from atsnb.metrics.attribution import calls_per_employee_per_day, employee_calls

    frame = calls_frame([
        # 101 answered, talked 40 s, transferred to 102 who talked 80 s.
        {"call_id": "a", "start": "2025-03-03 09:00", "direction": "incoming", "status": "answered",
         "talk_s": 120, "employee": "101", "transfers": 1},
        # 103 dialled out, no answer steps on the route: the call's talk is theirs.
        {"call_id": "b", "start": "2025-03-03 10:00", "direction": "outgoing", "status": "answered",
         "talk_s": 30, "employee": "103"},
        # Nobody answered.
        {"call_id": "c", "start": "2025-03-04 10:00", "direction": "incoming", "status": "unanswered", "wait_s": 30},
        # 103 dialled out again; the route's answer step names the client, who is no employee.
        {"call_id": "d", "start": "2025-03-04 11:00", "direction": "outgoing", "status": "answered",
         "talk_s": 10, "employee": "103"},
    ])
    steps = pd.DataFrame({
        "call_id": ["a", "a", "a", "c", "d"],
        "seq": [1, 2, 3, 1, 1],
        "kind": ["answer", "transfer", "answer", "ring", "answer"],
        "party": ["79120000001", "101", "79120000001", "79120000002", "103"],
        "target": ["101", "102", "102", "101", "79120000003"],
        "duration_s": [40.0, 0.0, 80.0, 0.0, 10.0],
    })
    rows = employee_calls(frame, steps)
    got = {(r.call_id, r.employee): (r.role, r.talk_s, r.status) for r in rows.itertuples()}
    assert got == {
        ("a", "101"): ("main", 40.0, "answered"),
        ("a", "102"): ("answered", 80.0, "answered"),
        ("b", "103"): ("main", 30.0, "answered"),
        ("d", "103"): ("main", 10.0, "answered"),
    }
    assert rows.set_index("employee").loc["102", "direction"] == "incoming"
    assert (frame["call_id"].to_numpy()[rows["call"]] == rows["call_id"].to_numpy()).all()
    coded = frame.astype({"employee": "category", "answered_by": "category", "direction": "category"})
    pd.testing.assert_frame_equal(employee_calls(coded, steps).astype({"direction": object}),
                                  rows.astype({"direction": object}))
    # (101, Mon), (102, Mon), (103, Mon), (103, Tue): 4 rows over 4 employee-days.
    assert calls_per_employee_per_day(rows) == 1.0


def test_masks_and_codes_of_categoricals_equal_those_of_text():
    from atsnb.metrics.calls import one_of
    from atsnb.vectors import drop_unused

    text = pd.Series(["incoming", "mixed", None, "internal", "outgoing", "incoming"], index=[5, 4, 3, 2, 1, 0])
    coded = text.astype(pd.CategoricalDtype(["unused", "outgoing", "mixed", "internal", "incoming"]))
    for wanted in (["incoming", "mixed"], ["outgoing"], ["nowhere"]):
        pd.testing.assert_series_equal(one_of(coded, wanted), text.isin(wanted))
    used = drop_unused(coded.array)
    assert list(used.categories) == ["outgoing", "mixed", "internal", "incoming"]
    assert list(used) == list(coded)


def test_a_roll_up_counts_a_call_once_per_department_with_its_employees_talk_added():
    """Departments Sales A (101) and Sales B (102) under Sales, Support (103).  Each attribution row
    is listed once per department above its employee (``index``), as the departments report does."""
    from atsnb.metrics.summary import pivot_by_time, summary_by

    rows = calls_frame([
        # call a: incoming, 101 answered (40 s) and transferred to 102 (80 s)
        {"call_id": "a", "start": "2025-03-03 09:00", "direction": "incoming", "status": "answered",
         "wait_s": 10, "talk_s": 40, "employee": "101"},
        {"call_id": "a", "start": "2025-03-03 09:00", "direction": "incoming", "status": "answered",
         "wait_s": 10, "talk_s": 80, "employee": "102"},
        # call b: 103 dialled out, 30 s
        {"call_id": "b", "start": "2025-03-03 10:00", "direction": "outgoing", "status": "answered",
         "talk_s": 30, "employee": "103"},
        # call c: incoming to 101, nobody answered
        {"call_id": "c", "start": "2025-03-04 10:00", "direction": "incoming", "status": "unanswered",
         "wait_s": 30, "employee": "101"},
        # call d: 101 called 103, 20 s each
        {"call_id": "d", "start": "2025-03-04 11:00", "direction": "internal", "status": "answered",
         "wait_s": 2, "talk_s": 20, "employee": "101"},
        {"call_id": "d", "start": "2025-03-04 11:00", "direction": "internal", "status": "answered",
         "wait_s": 2, "talk_s": 20, "employee": "103"},
    ])
    rows["role"] = ["main", "answered", "main", "main", "main", "answered"]
    rows["call"] = [0, 0, 1, 2, 3, 3]
    chains = {"101": ["Sales A", "Sales"], "102": ["Sales B", "Sales"], "103": ["Support"]}
    index = [i for i, e in enumerate(rows["employee"]) for _ in chains[e]]
    departments = pd.Series([d for e in rows["employee"] for d in chains[e]], name="department")

    table = summary_by(rows, departments, np.array(index)).set_index("department")
    columns = ["calls", "incoming", "outgoing", "internal", "answered", "unanswered", "talk_total_s", "wait_total_s"]
    assert table[columns].to_dict("index") == {
        "Sales": dict(zip(columns, [3, 2, 0, 1, 2, 1, 140.0, 40.0], strict=True)),
        "Sales A": dict(zip(columns, [3, 2, 0, 1, 2, 1, 60.0, 40.0], strict=True)),
        "Sales B": dict(zip(columns, [1, 1, 0, 0, 1, 0, 80.0, 10.0], strict=True)),
        "Support": dict(zip(columns, [2, 0, 1, 1, 2, 0, 50.0, 0.0], strict=True)),
    }
    assert table.loc["Sales", "talk_mean_s"] == 70.0 and table.loc["Sales", "wait_mean_s"] == 20.0

    pivot = pivot_by_time(rows, departments, "day", at("2025-03-03 00:00"), at("2025-03-05 00:00"), np.array(index))
    by_day = pivot.set_index("department").drop(columns="calls")
    assert by_day.to_numpy().tolist() == [[1, 2], [1, 2], [1, 0], [1, 1]]  # Sales, Sales A, Sales B, Support
