"""The glossary's call classes (SPEC §2) as boolean masks over a calls frame.

Every metric builds on these, so "missed" or "external" means the same thing in every report.
A mixed call (an incoming call forwarded to an external number) is an incoming call for the
incoming KPIs: the client rang the company.
"""

from __future__ import annotations

import pandas as pd

EXTERNAL = ("incoming", "outgoing", "mixed")
INBOUND = ("incoming", "mixed")
DIRECTIONS = ("incoming", "outgoing", "internal", "mixed")
STATUSES = ("answered", "unanswered", "dropped")


def external(calls: pd.DataFrame) -> pd.Series:
    """Calls that use an external line: incoming, outgoing, mixed."""
    return calls["direction"].isin(EXTERNAL)


def inbound(calls: pd.DataFrame) -> pd.Series:
    """Calls from outside into the company: incoming and mixed."""
    return calls["direction"].isin(INBOUND)


def answered(calls: pd.DataFrame) -> pd.Series:
    """A person was connected (status answered, talk time > 0)."""
    return calls["status"].eq("answered")


def missed(calls: pd.DataFrame) -> pd.Series:
    """Incoming calls nobody answered and whose caller waited longer than the short-abandon threshold."""
    return inbound(calls) & calls["status"].eq("unanswered")


def dropped(calls: pd.DataFrame) -> pd.Series:
    """Incoming calls whose caller gave up within the short-abandon threshold ("сорвавшийся")."""
    return inbound(calls) & calls["status"].eq("dropped")


def lost(calls: pd.DataFrame) -> pd.Series:
    """Incoming calls not answered at all: missed + dropped."""
    return missed(calls) | dropped(calls)
