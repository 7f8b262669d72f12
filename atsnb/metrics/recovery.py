"""Missed-call recovery (docs/glossary.md §12, §14.11): was a client who could not get through reached later?

For every incoming call that nobody answered (missed, and dropped unless excluded), the
**recovering call** is the first *answered* external call with the same external number that
starts after the missed call started — in either direction: the company called back
(``how = "callback"``) or the client called again (``how = "called_again"``).

``delay_s`` = recovering call's start − missed call's end (0 if they overlap);
``within_<w>`` = recovered and delay_s ≤ w minutes, for each window (defaults 20 min, 2 h, 24 h);
``by`` = the employee the recovering call counts for.

A missed call near the end of the loaded frame has had less time to be recovered: load a day
more than the report period when recovery within 24 h matters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.metrics.calls import answered, external, inbound
from atsnb.metrics.counts import share_pct
from atsnb.metrics.who_missed import HoldersOf, Reach, holder_flags
from atsnb.vectors import text_in

DEFAULT_WINDOWS_MIN = (20, 120, 1440)


def parse_windows(spec: str) -> tuple[int, ...]:
    """``"20,120,1440"`` (the setting ``thresholds.recovery_windows_min``) → ``(20, 120, 1440)``."""
    return tuple(sorted(int(part) for part in spec.split(",") if part.strip()))


def missed_call_recovery(
    calls: pd.DataFrame,
    windows_min: tuple[int, ...] = DEFAULT_WINDOWS_MIN,
    *,
    include_dropped: bool = True,
) -> pd.DataFrame:
    """One row per unanswered incoming call with how, by whom and how fast it was recovered.

    Columns: call_id, start, external_number, line, status, last_target, recovered (bool),
    recovered_call_id, recovered_at, how, by, delay_s, within_<w> for each window.
    """
    statuses = ["unanswered", "dropped"] if include_dropped else ["unanswered"]
    has_number = calls["external_number"].fillna("").astype(str) != ""
    lost = calls[inbound(calls) & calls["status"].isin(statuses) & has_number]
    # only calls with a number that was missed can recover anything: a year's answered calls are
    # mostly other numbers, and the as-of join below costs what it is given
    later = calls[external(calls) & answered(calls) & has_number
                  & text_in(calls["external_number"], lost["external_number"])]
    left = lost[["call_id", "start", "end", "external_number", "line", "status", "last_target"]]
    right = pd.DataFrame({
        "start": later["start"],
        "external_number": later["external_number"],
        "recovered_call_id": later["call_id"],
        "recovered_at": later["start"],
        "how": np.where(later["direction"].eq("outgoing"), "callback", "called_again"),
        "by": later["employee"],
    })
    left = left.assign(external_number=left["external_number"].astype(str)).sort_values("start")
    right = right.assign(external_number=right["external_number"].astype(str)).sort_values("start")
    out = pd.merge_asof(left, right, on="start", by="external_number",
                        direction="forward", allow_exact_matches=False)
    out["recovered"] = out["recovered_call_id"].notna()
    delay = (out["recovered_at"] - out["end"]).dt.total_seconds().clip(lower=0)
    out["delay_s"] = delay
    for window in windows_min:
        out[f"within_{window}"] = out["recovered"] & (delay <= window * 60)
    return out.drop(columns=["end"]).reset_index(drop=True)


def recovery_funnel(recovery: pd.DataFrame, windows_min: tuple[int, ...] = DEFAULT_WINDOWS_MIN) -> pd.DataFrame:
    """The funnel: ``stage`` (``missed``, ``within_<w>`` for each window, ``recovered``, ``never``),
    ``calls``, ``pct`` = 100 × calls / missed."""
    total = len(recovery)
    stages = {"missed": total}
    for window in windows_min:
        stages[f"within_{window}"] = int(recovery[f"within_{window}"].sum())
    stages["recovered"] = int(recovery["recovered"].sum())
    stages["never"] = total - stages["recovered"]
    out = pd.DataFrame({"stage": list(stages), "calls": list(stages.values())})
    out["pct"] = 100.0 * out["calls"] / total if total else 0.0
    return out


def recovery_by_employee(recovery: pd.DataFrame) -> pd.DataFrame:
    """Recoveries per employee: ``by``, ``calls``, ``share_pct``, ``median_delay_s``."""
    done = recovery[recovery["recovered"]]
    out = done.groupby("by", sort=True).agg(calls=("call_id", "size"), median_delay_s=("delay_s", "median"))
    out = out.reset_index()
    out.insert(2, "share_pct", share_pct(out["calls"]))
    return out


def recovery_by_holder(recovery: pd.DataFrame, reached: Reach, holders_of: HoldersOf,
                       first_window: int | None, name: str = "employee") -> pd.DataFrame:
    """Per holder (an employee, or a department through its employees: ``holders_of(extension)``,
    as :func:`atsnb.metrics.who_missed.missed_by` takes it) the missed calls of ``recovery`` that
    reached them (``reached``: the :func:`~atsnb.metrics.who_missed.reach` of those same calls, in
    order) and what became of them: ``missed``, ``recovered``, ``recovered_pct`` = 100 × recovered /
    missed, ``within_first`` (recovered within the first window), ``median_delay_s`` (of the
    recovered ones), ``never``.  A call counts once per holder it reached, whoever recovered it."""
    flags = holder_flags(reached, holders_of)
    order = np.argsort(flags.text, kind="stable")
    per_text = np.bincount(flags.text, minlength=reached.texts)
    first = np.cumsum(per_text) - per_text
    repeats = per_text[reached.text]
    call = np.repeat(np.arange(len(reached.text)), repeats)
    within = np.arange(len(call)) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    holder = flags.holder[order][first[reached.text[call]] + within] if len(call) else np.zeros(0, np.int64)
    done = recovery["recovered"].to_numpy(dtype=bool)[call]
    quick = recovery[f"within_{first_window}"].to_numpy(dtype=bool)[call] if first_window else np.zeros(len(call), bool)
    pairs = pd.DataFrame({"holder": holder, "recovered": done, "within_first": quick,
                          "delay_s": np.where(done, recovery["delay_s"].to_numpy(dtype=float)[call], np.nan)})
    out = pairs.groupby("holder", sort=True).agg(missed=("recovered", "size"), recovered=("recovered", "sum"),
                                                 within_first=("within_first", "sum"),
                                                 median_delay_s=("delay_s", "median"))
    out = out.reindex(range(len(flags.names)), fill_value=0).reset_index(drop=True)
    out.insert(0, name, flags.names)
    out = out[out["missed"] > 0].reset_index(drop=True)
    out["recovered_pct"] = 100.0 * out["recovered"] / out["missed"]
    out["never"] = out["missed"] - out["recovered"]
    return out
