"""What the red-phone reports share: the red phones directory read for a scope, which of the scope's
calls reached one (:mod:`atsnb.metrics.red_phones`), and how a red phone is named in a table.

The Red phone report lists those calls; New clients counts them by time scale.  Neither imports the
other, so both take this from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.calls.reached_column import REACHED
from atsnb.i18n import t
from atsnb.metrics.red_phones import RedPhoneHits, red_phone_hits
from atsnb.reports.scope import Scope

# what finding the red-phone calls reads of a call (an employee or department filter reads what the
# attribution needs besides), and what the Red phone report's table shows of them
HIT_COLUMNS = ["start", "direction", "status", REACHED]
RED_COLUMNS = ["call_id", *HIT_COLUMNS, "line", "answered_by", "wait_s", "talk_s", "external_number", "primary"]


def red_phones(scope: Scope) -> list[tuple[str, str]]:
    """The directory's ``(target, kind)`` pairs (kind extension, queue or group; may be empty)."""
    def read() -> list[tuple[str, str]]:
        if scope.store is None:
            return []
        rows = scope.store.catalog.read("red_phones")
        kinds = rows["kind"] if "kind" in rows else pd.Series("", index=rows.index)
        return [(str(target).strip(), "" if pd.isna(kind) else str(kind).strip())
                for target, kind in zip(rows["target"], kinds, strict=True) if str(target).strip()]
    return scope.once("red_phones", read)


def red_hits(scope: Scope) -> RedPhoneHits:
    """Which of the scope's calls reached a red phone, computed once per report."""
    return scope.once("red_hits", lambda: red_phone_hits(scope.calls, red_phones(scope)))


def red_phone_label(scope: Scope, target: str) -> str:
    """``"Иванов Иван (101)"`` for an extension, ``"очередь 700"`` / ``"группа 600"`` otherwise."""
    kinds = dict(red_phones(scope))
    kind = kinds.get(target, "")
    if kind in ("queue", "group"):
        return t(f"rep_red_{kind}", target=target)
    return scope.employee_label(target)


def red_phone_labels(scope: Scope, targets: np.ndarray) -> np.ndarray:
    """:func:`red_phone_label` of each target, computed once per distinct one."""
    codes, names = pd.factorize(pd.Series(targets, dtype=object))
    labels = np.array([red_phone_label(scope, str(n)) for n in names] + [""], dtype=object)
    return labels[np.where(codes < 0, len(labels) - 1, codes)]
