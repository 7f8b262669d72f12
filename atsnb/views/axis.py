"""The category axis of every chart, dashboard (bqplot) and static (matplotlib) alike: what each
point is labelled, and which points carry a label.

Dates read as ``dd.mm`` (the year is in the period line above the charts), never as ISO dates; an
hourly series over several days is labelled at its midnights only, so a month of hours is not 720
colliding labels.  No drawing library is imported here: the dashboards must not load matplotlib,
nor the notebooks bqplot.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.views.format import cell

MAX_X_LABELS = 16  # more category labels than this collide on a phone; show every n-th


def _midnights(times: pd.Series) -> np.ndarray:
    return ((times.dt.hour == 0) & (times.dt.minute == 0)).to_numpy()


def _within_one_day(times: pd.Series) -> bool:
    return times.dt.normalize().nunique() <= 1


def category_labels(values: pd.Series) -> list[str]:
    """x categories as short text: days as ``dd.mm``; times within one day as ``HH:MM``; times over
    several days as ``dd.mm HH:MM``, midnights as just ``dd.mm`` (the axis ticks only those, see
    :func:`day_ticks`); others as shown in tables."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        return [cell(v, None) for v in values]
    midnight = _midnights(values)
    if midnight.all():
        return list(values.dt.strftime("%d.%m"))
    if _within_one_day(values):
        return list(values.dt.strftime("%H:%M"))
    days, times = values.dt.strftime("%d.%m"), values.dt.strftime("%d.%m %H:%M")
    return list(np.where(midnight, days, times))


def day_ticks(values: pd.Series) -> list[int] | None:
    """Positions of the points an hourly line over several days labels: its midnights, every n-th
    of them so that no more than :data:`MAX_X_LABELS` show.  ``None`` where every point may carry
    a label (thinned evenly) — for hours over days that would pick odd hours with long labels."""
    if not pd.api.types.is_datetime64_any_dtype(values) or len(values) <= MAX_X_LABELS:
        return None
    midnight = _midnights(values)
    if midnight.all() or not midnight.any() or _within_one_day(values):
        return None
    days = np.flatnonzero(midnight)
    return [int(i) for i in days[::-(-len(days) // MAX_X_LABELS)]]
