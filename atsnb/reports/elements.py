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
    and what a totals row shows for it: the sum (``sum``, counts and total durations only), a rate
    recomputed from the totals (``ratio`` = (numerator, denominator, factor), names of the frame's
    columns: factor × Σ numerator / Σ denominator), or nothing."""

    name: str
    label: str
    unit: str | None = None
    sum: bool = False
    ratio: tuple[str, str, float] | None = None


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
    scope: str = "",
    **fmt: object,
) -> Element:
    """An element from ``frame``: ``title``/``note`` are translation keys (formatted with ``fmt``);
    ``x``/``y`` name source columns and become their headers; ``scope`` says which calls it counts
    (:func:`scoped_title`)."""
    labels = {c.name: t(c.label) for c in columns}
    data = frame[[c.name for c in columns]].rename(columns=labels).reset_index(drop=True)
    return Element(
        key=key,
        title=scoped_title(t(title, **fmt) if fmt else t(title), scope),
        data=data,
        kind=kind,
        x=labels[x] if x else None,
        y=[labels[name] for name in (y or [])],
        units={labels[c.name]: c.unit for c in columns if c.unit},
        note=(t(note, **fmt) if fmt else t(note)) if note else "",
        totals=totals,
        summable=[labels[c.name] for c in columns if c.sum] if totals else None,
        ratios={labels[c.name]: (labels[c.ratio[0]], labels[c.ratio[1]], c.ratio[2])
                for c in columns if c.ratio} if totals else {},
    )


def scoped_title(title: str, scope: str) -> str:
    """``"Звонки по дням недели — внешние звонки"``: the title with the calls it counts, so every
    medium (dashboard, notebook, exported file) says whether internal calls are in it."""
    return f"{title} — {scope}" if scope else title


def kpi(key: str, title: str, values: list[tuple], note: str = "", scope: str = "") -> Element:
    """A one-row KPI element from ``(label, value, unit)`` triples (labels already translated); a
    percentage may add a fourth item, the ``(part, whole)`` counts it is taken of, shown beside it."""
    data = pd.DataFrame([{value[0]: value[1] for value in values}])
    units = {value[0]: value[2] for value in values if value[2]}
    counts = {value[0]: value[3] for value in values if len(value) > 3 and value[3] is not None}
    return Element(key=key, title=scoped_title(t(title), scope), data=data, kind="kpi", units=units,
                   note=t(note) if note else "", counts=counts)


def translated(values: pd.Series) -> pd.Series:
    """Codes such as ``incoming`` or ``answered`` in the reader's language."""
    return values.map(lambda v: t(str(v)) if isinstance(v, str) and v else v)


def weekday_names(numbers: pd.Series) -> pd.Series:
    """0–6 → Пн … Вс (Mon … Sun)."""
    return numbers.map(lambda n: t(f"rep_weekday_{int(n)}"))
