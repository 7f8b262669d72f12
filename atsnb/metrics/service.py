"""Call-centre KPIs on incoming calls (docs/glossary.md §11), the service level's formula switchable.

Incoming = direction incoming or mixed.  Abandoned = incoming and not answered (missed + dropped).

- **service level**, threshold T (default 20 s, setting ``thresholds.service_level_s``):
  - ``variant="answered"``:  SL = 100 × answered with wait ≤ T / answered;
  - ``variant="offered"``:   SL = 100 × (answered with wait ≤ T + abandoned with wait ≤ T)
    / (answered + abandoned) — short abandons count in the caller's favour.
- **ASA** (average speed of answer) = Σ wait_s of answered incoming / answered incoming.
- **abandon rate** = 100 × abandoned / incoming.

Without a single call in the denominator each is NaN (no data): a report shows "no data", never a
service level of 0 % for a day nobody called.
"""

from __future__ import annotations

import pandas as pd

from atsnb.metrics.calls import answered, inbound, lost

SL_VARIANTS = ("answered", "offered")


def service_level_counts(calls: pd.DataFrame, threshold_s: float = 20, variant: str = "answered") -> tuple[int, int]:
    """The two counts the service level is the ratio of: ``(within, base)`` — for ``answered``
    (answered incoming with wait ≤ T, answered incoming), for ``offered`` the same plus the
    abandoned ones (module docstring).  A report shows them beside the percentage."""
    if variant not in SL_VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(SL_VARIANTS)}, got {variant!r}")
    incoming = inbound(calls)
    fast = calls["wait_s"] <= threshold_s
    ok = incoming & answered(calls)
    if variant == "offered":
        ok = ok | lost(calls)
    return int((ok & fast).sum()), int(ok.sum())


def service_level_pct(calls: pd.DataFrame, threshold_s: float = 20, variant: str = "answered") -> float:
    """Service level in percent, by the formula ``variant`` (see the module docstring); NaN when no calls."""
    within, base = service_level_counts(calls, threshold_s, variant)
    return 100.0 * within / base if base else float("nan")


def asa_s(calls: pd.DataFrame) -> float:
    """Average speed of answer, seconds: mean wait of answered incoming calls (NaN when none)."""
    waits = calls.loc[inbound(calls) & answered(calls), "wait_s"]
    return float(waits.mean()) if len(waits) else float("nan")


def abandon_rate_pct(calls: pd.DataFrame) -> float:
    """100 × incoming calls not answered (missed + dropped) / incoming calls (NaN when none)."""
    incoming = int(inbound(calls).sum())
    return 100.0 * int(lost(calls).sum()) / incoming if incoming else float("nan")
