"""What reconstruction returns: the calls, their steps, and one call's route for a person to read."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from atsnb.i18n import t


@dataclass
class Route:
    """One call's route: ``table`` (its steps) and ``text`` (one line per step, in the UI language)."""

    call_id: str
    table: pd.DataFrame

    @property
    def text(self) -> str:
        lines = [t("route_title", call_id=self.call_id)]
        for step in self.table.itertuples(index=False):
            at = step.at.strftime("%H:%M:%S") if pd.notna(step.at) else "--:--:--"
            what = t(f"step_{step.kind}")
            who = " → ".join(x for x in (step.party, step.target) if x)
            outcome = f" ({t(f'outcome_{step.outcome}')})" if step.outcome else ""
            took = f", {_clock(step.duration_s)}" if step.duration_s else ""
            lines.append(f"{at}  {what}: {who}{outcome}{took}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.table.to_html(index=False)


def _clock(seconds: int) -> str:
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


@dataclass
class CallSet:
    """``calls`` (one row per call) and ``steps`` (the routes), as stored in the ``calls`` and
    ``steps`` tables of the store; ``unlinked_transfers``: the ids of the internal calls that look
    like the consultation of a phone-made attended transfer which nothing (no CEL) joined to its call."""

    calls: pd.DataFrame
    steps: pd.DataFrame
    unlinked_transfers: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.calls)

    def route(self, call_id: str) -> Route:
        """The route of one call; an unknown id gives an empty route."""
        table = self.steps[self.steps["call_id"] == call_id].sort_values("seq").reset_index(drop=True)
        return Route(call_id, table)
