"""Effective calls against the efficiency panels' daily targets (SPEC §2, §4).

A call is **effective** for an employee when it is answered, external, of a direction the
employee's panel counts (incoming — mixed counts as incoming — and/or outgoing) and its talk
time for that employee reaches the panel's ``min_talk_s``.

Per employee over a period:
``days`` = days on which the employee had at least one call;
``target`` = daily_target × days;
``per_day`` = effective / days;
``target_pct`` = 100 × effective / target (empty when there is no target);
``level`` = "good" when target_pct ≥ 100, "warn" when ≥ 70, else "bad" (colours the row).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from atsnb.metrics.counts import time_key

WARN_FROM_PCT = 70.0


def _counted_direction(direction: pd.Series) -> pd.Series:
    return direction.where(direction != "mixed", "incoming")


def _direction_set(spec: Iterable[str] | str) -> list[str]:
    items = spec.split(",") if isinstance(spec, str) else spec
    return [d.strip() for d in items]


def effective_mask(
    frame: pd.DataFrame, min_talk_s: pd.Series | float, directions: pd.Series | Iterable[str] | str
) -> pd.Series:
    """Which rows are effective calls.  ``min_talk_s`` and ``directions`` (a set, or comma-separated
    text such as ``"incoming,outgoing"``) are one value for all rows or a per-row Series aligned on
    ``frame``."""
    direction = _counted_direction(frame["direction"])
    if not isinstance(directions, pd.Series):
        allowed = direction.isin(_direction_set(directions))
    else:
        codes, specs = pd.factorize(directions)
        allowed = pd.Series(False, index=frame.index)
        for code, spec in enumerate(specs):
            allowed |= (codes == code) & direction.isin(_direction_set(spec))
    return (
        frame["status"].eq("answered")
        & direction.isin(["incoming", "outgoing"])
        & allowed
        & (frame["talk_s"] >= min_talk_s)
    )


def effective_by_employee(frame: pd.DataFrame, panels: pd.DataFrame) -> pd.DataFrame:
    """Effective calls per employee against target.

    ``frame``: one row per (call, employee) — columns employee, start, direction, status, talk_s.
    ``panels``: indexed by employee with min_talk_s, directions, daily_target.
    Returns employee, min_talk_s, directions, daily_target, days, effective, per_day, target,
    target_pct, level (see the module docstring).
    """
    panel = panels.reindex(frame["employee"])
    panel.index = frame.index
    is_eff = effective_mask(frame, panel["min_talk_s"], panel["directions"])
    days = time_key(frame["start"], "day")
    per = pd.DataFrame({"employee": frame["employee"], "day": days, "effective": is_eff.astype(int)})
    out = per.groupby("employee", sort=True).agg(days=("day", "nunique"), effective=("effective", "sum"))
    out = panels.reindex(out.index)[["min_talk_s", "directions", "daily_target"]].join(out)
    out["per_day"] = out["effective"] / out["days"]
    out["target"] = out["daily_target"].fillna(0) * out["days"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(out["target"] > 0, 100.0 * out["effective"] / out["target"], np.nan)
    out["target_pct"] = pct
    out["level"] = np.select([pct >= 100.0, pct >= WARN_FROM_PCT], ["good", "warn"], "bad")
    out.loc[np.isnan(pct), "level"] = ""
    return out.rename_axis("employee").reset_index()
