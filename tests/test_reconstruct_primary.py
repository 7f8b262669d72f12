"""``primary`` computed by reconstruct itself: the first call of each external number."""

from __future__ import annotations

import pandas as pd
import pytest

from atsnb.calls import reconstruct
from tests.support.cdr_rows import CLIENT_NORMAL, TOPOLOGY, cdr_row, frame

TZ = "Europe/Moscow"
OTHER = "89167654321"


def _day() -> pd.DataFrame:
    return frame(
        cdr_row("10:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1"),
        cdr_row("11:00:00", "PJSIP/trunk1-3", "PJSIP/202-4", "NO ANSWER", 20, 0, uid="1.3"),  # the same client again
        cdr_row("10:30:00", "PJSIP/trunk1-5", "PJSIP/201-6", "ANSWERED", 40, 30, uid="1.5", src=OTHER),
        cdr_row("10:30:00", "PJSIP/trunk1-7", "PJSIP/202-8", "ANSWERED", 40, 30, uid="1.7", src=OTHER),  # same second
        cdr_row("12:00:00", "PJSIP/201-9", "PJSIP/202-a", "ANSWERED", 40, 30, uid="1.9", src="201", dst="202",
                dcontext="from-internal", did=""),  # internal: no external number, never primary
    )


def _primary(**kw) -> dict[str, bool]:
    calls = reconstruct(_day(), TOPOLOGY, tz=TZ, **kw).calls
    return dict(zip(calls["call_id"], calls["primary"].tolist(), strict=True))


def test_the_first_call_of_each_number_in_the_frame_is_primary():
    # Same second: the smaller call id is first, as in the store.
    assert _primary() == {"1.1": True, "1.3": False, "1.5": True, "1.7": False, "1.9": False}
    # Whatever order the rows come in.
    shuffled = reconstruct(_day().iloc[::-1], TOPOLOGY, tz=TZ).calls
    assert dict(zip(shuffled["call_id"], shuffled["primary"], strict=True)) == _primary()


def test_numbers_seen_before_are_no_longer_primary():
    assert _primary(seen_before=[CLIENT_NORMAL]) == {"1.1": False, "1.3": False, "1.5": True, "1.7": False,
                                                     "1.9": False}


def test_the_first_seen_table_keeps_a_call_that_is_the_stored_first_or_earlier():
    at = pd.Timestamp("2025-03-03 10:00:00", tz=TZ).value // 1000  # UTC microseconds

    def seen(first_us: int, call_id: str) -> dict[str, bool]:
        table = pd.DataFrame({"number": [CLIENT_NORMAL], "first_us": [first_us], "call_id": [call_id]})
        return _primary(seen_before=table)

    assert seen(at, "1.1")["1.1"] is True  # the stored first is this very call (re-derived)
    assert seen(at - 86_400_000_000, "0.1")["1.1"] is False  # seen a day earlier
    assert seen(at + 86_400_000_000, "2.1")["1.1"] is True  # the stored first was later: this one takes over


def test_a_first_seen_table_without_its_columns_is_refused_by_name():
    with pytest.raises(ValueError, match="missing: first_us, call_id"):
        _primary(seen_before=pd.DataFrame({"number": [CLIENT_NORMAL]}))
