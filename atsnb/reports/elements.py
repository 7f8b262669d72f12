"""Turning a metric's frame into a report :class:`Element` the reader sees: chosen columns under
translated headers, their units, a translated title and note.

Metrics name their columns in English identifiers (``talk_s``, ``share_pct``); elements carry the
reader's words (``"Разговор, всего"``), because every medium — dashboard, notebook, export — shows
the headers as they are.  Values that are codes (directions, weekdays) are translated here too.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from atsnb.i18n import t
from atsnb.reports.model import Element


@dataclass(frozen=True)
class ElementColumn:
    """A column of an element: ``name`` in the metric's frame, ``label`` a translation key, ``unit``,
    and whether a totals row adds it up (``sum``)."""

    name: str
    label: str
    unit: str | None = None
    sum: bool = False


def element(
    key: str,
    title: str,
    frame: pd.DataFrame,
    columns: list[ElementColumn],
    *,
    kind: str = "table",
    x: str | None = None,
    y: list[str] | None = None,
    note: str = "",
    totals: bool = False,
    **fmt: object,
) -> Element:
    """An element from ``frame``: ``title``/``note`` are translation keys (formatted with ``fmt``);
    ``x``/``y`` name source columns and become their headers."""
    labels = {c.name: t(c.label) for c in columns}
    data = frame[[c.name for c in columns]].rename(columns=labels).reset_index(drop=True)
    return Element(
        key=key,
        title=t(title, **fmt) if fmt else t(title),
        data=data,
        kind=kind,
        x=labels[x] if x else None,
        y=[labels[name] for name in (y or [])],
        units={labels[c.name]: c.unit for c in columns if c.unit},
        note=(t(note, **fmt) if fmt else t(note)) if note else "",
        totals=totals,
        summable=[labels[c.name] for c in columns if c.sum] if totals else None,
    )


def kpi(key: str, title: str, values: list[tuple[str, object, str | None]], note: str = "") -> Element:
    """A one-row KPI element from ``(label, value, unit)`` triples (labels already translated)."""
    data = pd.DataFrame([{label: value for label, value, _ in values}])
    units = {label: unit for label, _, unit in values if unit}
    return Element(key=key, title=t(title), data=data, kind="kpi", units=units, note=t(note) if note else "")


def translated(values: pd.Series) -> pd.Series:
    """Codes such as ``incoming`` or ``answered`` in the reader's language."""
    return values.map(lambda v: t(str(v)) if isinstance(v, str) and v else v)


def weekday_names(numbers: pd.Series) -> pd.Series:
    """0–6 → Пн … Вс (Mon … Sun)."""
    return numbers.map(lambda n: t(f"rep_weekday_{int(n)}"))
