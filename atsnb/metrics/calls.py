"""The glossary's call classes (docs/glossary.md §3, §6) as boolean masks over a calls frame.

Every metric builds on these, so "missed" or "external" means the same thing in every report.
A mixed call (an incoming call forwarded to an external number) is an incoming call for the
incoming KPIs: the client rang the company.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EXTERNAL = ("incoming", "outgoing", "mixed")
INBOUND = ("incoming", "mixed")
DIRECTIONS = ("incoming", "outgoing", "internal", "mixed")
STATUSES = ("answered", "unanswered", "dropped")


def one_of(values: pd.Series, wanted: Iterable[str]) -> pd.Series:
    """``values.isin(wanted)``; for a categorical by looking its codes up in a table of its few
    categories, or comparing the codes with the few wanted ones (pandas' own ``isin`` on a categorical
    takes ~10 ms per million rows, a lookup ~3.5 ms, a comparison well under 1 ms)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.isin(list(wanted))
    codes = values.cat.codes.to_numpy()
    is_wanted = values.cat.categories.isin(list(wanted))
    hits = np.flatnonzero(is_wanted)
    if len(hits) <= 3:  # comparing the codes with a few values is several times faster than a lookup
        mask = np.zeros(len(codes), bool)
        for code in hits:
            mask |= codes == code
    else:
        mask = np.take(np.append(is_wanted, False), codes)  # code -1 (missing) takes the last entry
    return pd.Series(mask, index=values.index, name=values.name)


def external(calls: pd.DataFrame) -> pd.Series:
    """Calls that use an external line: incoming, outgoing, mixed."""
    return one_of(calls["direction"], EXTERNAL)


def inbound(calls: pd.DataFrame) -> pd.Series:
    """Calls from outside into the company: incoming and mixed."""
    return one_of(calls["direction"], INBOUND)


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


def call_runs(call_ids: pd.Series) -> np.ndarray:
    """Run number of every row, where a run is consecutive rows with the same call id.

    Frames with several rows per call (the attribution frame, its roll-ups) keep a call's rows
    together, so runs are calls; comparing neighbours is far cheaper than hashing a million ids.
    """
    ids = pa.array(call_ids.astype("string"))
    if len(ids) == 0:
        return np.zeros(0, np.int64)
    changed = pc.not_equal(ids[1:], ids[:-1]).fill_null(True).to_numpy(zero_copy_only=False)
    return np.concatenate([[0], np.cumsum(changed)]).astype(np.int64)
