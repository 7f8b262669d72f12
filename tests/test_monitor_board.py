"""A wall-board's figures over the demo store: the same numbers as the metrics give for the same
calls, colours against the targets, the queue's waiting callers, unknown monitors named."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb.errors import AtsnbError
from atsnb.metrics.calls import missed
from atsnb.reports.scope import load_scope
from atsnb.store import Store
from atsnb.views.monitor_board import Monitor, board, day_share, monitor_named

NOW = pd.Timestamp("2025-03-14 15:00", tz="Europe/Moscow")  # a Friday afternoon of the demo
EVERYTHING = ("calls", "answered", "missed", "not_recovered", "waiting", "wait_s", "service_level", "effective", "talk_s")


@pytest.fixture(scope="module")
def store(demo):
    return Store.open(demo[0])


def test_total_row_is_the_department_filter_of_the_reports(demo, store):
    _path, settings = demo
    monitor = Monitor("sales", "Продажи", EVERYTHING, ("Отдел продаж",), 60)
    figures = board(monitor, store, settings, NOW)
    kinds = [r["kind"] for r in figures["rows"]]
    assert kinds[0] == "department" and kinds[-1] == "total" and kinds.count("employee") >= 5
    scope = load_scope("today", store=store, settings=settings, now=NOW, department="Отдел продаж")
    total = figures["rows"][-1]["cells"]
    assert total["calls"]["value"] == len(scope.calls)
    assert total["missed"]["value"] == int(missed(scope.calls).sum())
    assert 0 <= total["not_recovered"]["value"] <= total["missed"]["value"]
    assert figures["rows"][0]["cells"]["calls"] == total["calls"]  # one department: the same calls
    assert total["waiting"]["value"] is not None  # the demo PBX writes a queue_log
    assert total["effective"]["text"].endswith(" / 240")  # 25 a day × 9 people + 15 for the red phone
    for row in figures["rows"]:
        assert set(row["cells"]) == set(EVERYTHING)
        assert {c["level"] for c in row["cells"].values()} <= {"good", "warn", "bad", "plain"}
    assert pd.Timestamp(figures["newest_call"]).normalize() == NOW.normalize()


def test_targets_are_paced_over_the_working_day(demo):
    _path, settings = demo
    assert day_share(settings, NOW.replace(hour=8)) == 0
    assert day_share(settings, NOW.replace(hour=13, minute=30)) == 0.5
    assert day_share(settings, NOW.replace(hour=20)) == 1


def test_monitors_from_the_directory(demo, store):
    _path, settings = demo
    sales = monitor_named(store, settings, "sales")
    assert sales.indicators == ("answered", "missed", "effective", "talk_s") and sales.refresh_s == 60
    with pytest.raises(AtsnbError, match="sales, support"):
        monitor_named(store, settings, "nosuch")
