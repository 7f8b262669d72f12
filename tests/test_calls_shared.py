"""The answers column: a transferred or internal call's answer steps stored beside it, read back exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.calls.answers_column import pack_answers, shared_calls, unpack_answers


def test_answers_keep_the_answer_steps_of_shared_calls_only_and_read_back_exactly():
    calls = pd.DataFrame({
        "call_id": ["in", "tr", "int", "out-tr", "lost"],
        "direction": ["incoming", "incoming", "internal", "outgoing", "internal"],
        "transfers": [0, 2, 0, 1, 0],
    })
    steps = pd.DataFrame({
        "call_id": ["in", "tr", "tr", "tr", "tr", "int", "out-tr", "out-tr", "lost"],
        "seq": [1, 3, 1, 2, 4, 1, 1, 2, 1],
        "kind": ["answer", "answer", "answer", "transfer", "answer", "answer", "answer", "answer", "ring"],
        "target": ["101", "103", "101", "102", "102", "201", "79161234567", "105", "202"],
        "duration_s": [30.0, 1 / 3, 12.0, 0.0, 1e-7, 45.5, 60.0, 7.0, 0.0],
    })
    assert list(shared_calls(calls)) == [False, True, True, True, True]
    packed = pack_answers(calls, steps)
    assert packed.iloc[0] == "" and packed.iloc[4] == ""  # not shared; shared but nobody answered
    pos, target, talk = unpack_answers(packed)
    assert list(pos) == [1, 1, 1, 2, 3, 3]  # route order within a call
    assert list(target) == ["101", "103", "102", "201", "79161234567", "105"]
    np.testing.assert_array_equal(talk, [12.0, 1 / 3, 1e-7, 45.5, 60.0, 7.0])


def test_no_shared_calls_store_empty_answers():
    calls = pd.DataFrame({"call_id": ["a"], "direction": ["incoming"], "transfers": [0]})
    steps = pd.DataFrame({"call_id": ["a"], "seq": [1], "kind": ["answer"], "target": ["101"], "duration_s": [3.0]})
    assert list(pack_answers(calls, steps)) == [""]
    pos, target, talk = unpack_answers(pd.Series([""], dtype="str"))
    assert len(pos) == len(target) == len(talk) == 0
