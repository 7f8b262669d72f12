"""The calls a row of a PBX vendor module names by its ``linkedid`` (a rating's call, the call a
website callback made): read by id for just the rows a table shows, never for the whole period.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa

from atsnb.calls.reading import read_calls
from atsnb.reports.scope import Scope
from atsnb.vectors import is_in

# a module's row comes after its call started (a rating seconds after the call ends, a callback's
# call at most minutes after the request): a call is looked for from this long before the row on
LEAD = pd.Timedelta(hours=12)


def calls_by_id(scope: Scope, ids: Iterable[object], since: pd.Timestamp, columns: list[str]) -> pd.DataFrame:
    """``columns`` of the calls with these ids, indexed by call id (a call found once), read from
    ``since`` − :data:`LEAD` to the end of the period plus a day; ids that name no call are absent."""
    wanted = sorted({str(i) for i in ids if isinstance(i, str) and i})
    if not wanted:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="call_id"))
    # the span's ids read whole and the wanted ones picked by one Arrow hash lookup: thousands of
    # ids as a Parquet filter are turned into an expression value by value, several times slower
    found = read_calls(scope.store, scope.settings, since - LEAD, scope.end + pd.Timedelta(days=1),
                       ["call_id", *columns], categorical=False)
    found = found[is_in(pa.array(found["call_id"]), pa.array(wanted, pa.large_string()))] if len(found) else found
    return found.drop_duplicates("call_id").set_index("call_id")[columns]
