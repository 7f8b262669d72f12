"""Per-call reductions of atsnb.calls.runs.Runs against a plain per-call loop over the same legs."""

from __future__ import annotations

import numpy as np
import pytest

from atsnb.calls.runs import NO_ROW, Runs, call_time_order


def _legs(seed: int, n_legs: int = 400, n_calls: int = 60):
    rng = np.random.default_rng(seed)
    cidx = rng.integers(0, n_calls, n_legs)
    cidx[:n_calls] = np.arange(n_calls)  # every call has a leg
    t0 = rng.integers(0, 50, n_legs).astype(float)  # few distinct times: many ties
    key = rng.integers(0, 5, n_legs).astype(float)
    key[rng.random(n_legs) < 0.2] = np.nan
    mask = rng.random(n_legs) < 0.4
    order = call_time_order(cidx, t0, np.arange(n_legs))
    return Runs(cidx, order), cidx, key, mask


def _expected(runs: Runs, cidx, key, mask, *, last: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Best key, its leg (first/last on ties in call order), any and count — one call at a time."""
    best = np.full(runs.n, np.nan)
    row = np.full(runs.n, -1 if last else NO_ROW, dtype=np.int64)
    anyof = np.zeros(runs.n, dtype=bool)
    count = np.zeros(runs.n, dtype=np.int64)
    for call in range(runs.n):
        legs = [r for r in runs.order if cidx[r] == call and mask[r]]
        anyof[call], count[call] = bool(legs), len(legs)
        values = [key[r] for r in legs if not np.isnan(key[r])]
        if not values:
            continue
        best[call] = max(values) if last else min(values)
        tied = [r for r in legs if key[r] == best[call]]
        row[call] = tied[-1] if last else tied[0]
    return best, row, anyof, count


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reductions_match_a_loop_per_call(seed: int) -> None:
    runs, cidx, key, mask = _legs(seed)
    low, first, anyof, count = _expected(runs, cidx, key, mask, last=False)
    high, last, _, _ = _expected(runs, cidx, key, mask, last=True)
    np.testing.assert_array_equal(runs.min(key, mask), low)
    np.testing.assert_array_equal(runs.max(key, mask), high)
    np.testing.assert_array_equal(runs.first_row_by(key, mask), first)
    np.testing.assert_array_equal(runs.last_row_by(key, mask), last)
    np.testing.assert_array_equal(runs.any(mask), anyof)
    np.testing.assert_array_equal(runs.count(mask), count)
    np.testing.assert_array_equal(runs.count(), np.bincount(cidx, minlength=runs.n))


def test_a_call_whose_keys_are_all_missing_has_no_best_leg() -> None:
    runs = Runs(np.array([0, 0, 1, 1, 2]), np.arange(5))
    key = np.array([np.nan, np.nan, 3.0, 3.0, np.nan])
    mask = np.array([True, True, True, True, False])
    assert runs.first_row_by(key, mask).tolist() == [NO_ROW, 2, NO_ROW]
    assert runs.last_row_by(key, mask).tolist() == [-1, 3, -1]
    assert runs.first_row_by(key, np.zeros(5, dtype=bool)).tolist() == [NO_ROW] * 3
