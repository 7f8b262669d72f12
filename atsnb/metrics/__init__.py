"""Pure functions on the calls frame (docs/architecture.md): every report figure is computed here,
each function's docstring states its formula, and docs/reports.md lists them per report element.

Modules: :mod:`.calls` (the glossary's call classes as masks), :mod:`.load` (line load per hour),
:mod:`.counts` (counts and shares by time or column), :mod:`.durations` (wait, talk, talk buckets),
:mod:`.service` (service level, ASA, abandon rate), :mod:`.effective` (effective calls against
targets), :mod:`.recovery` (missed-call recovery), :mod:`.attribution` (one row per call and
employee, following transfers), :mod:`.holders` (one entry per employee or department and call),
:mod:`.summary` (per-employee / per-department summaries and time pivots), :mod:`.who_missed` (who
missed each incoming call: the calls that reached an employee or a department).
"""

from atsnb.metrics.calls import answered, dropped, external, inbound, lost, missed
from atsnb.metrics.counts import (
    counts_by,
    daily_external,
    daily_unanswered_incoming,
    time_key,
    unanswered_rates,
)
from atsnb.metrics.durations import mean_talk_s, mean_wait_s, talk_buckets
from atsnb.metrics.effective import effective_by_employee, effective_mask
from atsnb.metrics.line_load import coarsen_load, line_load_by_line, line_load_per_hour
from atsnb.metrics.recovery import missed_call_recovery, recovery_by_employee, recovery_funnel
from atsnb.metrics.service import abandon_rate_pct, asa_s, service_level_pct

__all__ = [
    "abandon_rate_pct", "answered", "asa_s", "coarsen_load", "counts_by", "daily_external",
    "daily_unanswered_incoming", "dropped", "effective_by_employee", "effective_mask", "external", "inbound",
    "line_load_by_line", "line_load_per_hour", "lost", "mean_talk_s", "mean_wait_s", "missed",
    "missed_call_recovery", "recovery_by_employee", "recovery_funnel", "service_level_pct", "talk_buckets",
    "time_key", "unanswered_rates",
]
