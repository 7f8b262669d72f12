"""The columns every table of calls shows about the client and the recording: the partner's name, the
number's operator and region (:mod:`atsnb.reference.callers`), whether there is a recording and
which call a player opens.

Report modules import this instead of each other, so "who the caller is" reads the same in the
clients, red-phone, detail and records tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.i18n import t
from atsnb.reference.callers import IDENTITY_COLUMNS, Callers
from atsnb.reports.elements import ElementColumn
from atsnb.reports.links import call_addresses
from atsnb.reports.model import Element
from atsnb.reports.scope import Scope
from atsnb.store import Store

# the partner's name, then where the number is from (numbering registry)
CALLER_COLUMNS = [
    ElementColumn("partner", "rep_col_partner"),
    ElementColumn("operator", "rep_col_operator"),
    ElementColumn("region", "rep_col_region"),
]
RECORDING_COLUMN = ElementColumn("has_recording", "rep_col_recording")


def callers_of(scope: Scope) -> Callers:
    """The scope's store's partners and numbering registry, read once per report."""
    return scope.once("callers", lambda: Callers.from_store(scope.store))


def caller_identity(numbers: pd.Series, store: Store | None = None, callers: Callers | None = None) -> pd.DataFrame:
    """``partner``, ``operator``, ``region`` of each number of a column (index kept): what any table
    showing a client's number adds beside it.  ``callers``: already read, else from ``store``."""
    return (callers or Callers.from_store(store)).identify(numbers)


def with_callers(frame: pd.DataFrame, numbers: pd.Series, callers: Callers) -> pd.DataFrame:
    """``frame`` with the :data:`IDENTITY_COLUMNS` of ``numbers`` (aligned with its rows)."""
    found = callers.identify(pd.Series(numbers.to_numpy(), index=frame.index))
    return frame.assign(**{c: found[c].to_numpy() for c in IDENTITY_COLUMNS})


def recording_mark(recording: pd.Series) -> np.ndarray:
    """The recording column as shown: "есть" where the call was recorded, empty otherwise."""
    has = recording.astype(object).fillna("").astype(str).ne("").to_numpy()
    return np.where(has, t("rep_recording_yes"), "").astype(object)


def attach_calls(table: Element, call_ids: pd.Series, recording: pd.Series) -> Element:
    """A calls table's rows linked to their calls' pages and, where recorded, to a player: the
    dashboard offers to play the recording of a row (never an audio control per row)."""
    ids = call_ids.astype(str).reset_index(drop=True)
    has = recording.astype(object).fillna("").astype(str).ne("").to_numpy()
    table.links = call_addresses(ids)
    table.recordings = ids.where(has, "")
    return table
