"""What a report is: an ordered list of elements (a table, a chart or a KPI), each a tidy,
already-aggregated DataFrame with a title and units.

Report functions (``atsnb.reports.*``) build these; views render them — bqplot and widgets in a
dashboard, static tables and PNG charts in a notebook or an e-mailed snapshot — so every medium
shows the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Element:
    """One table or chart of a report.

    ``kind``: "table", "kpi" (a one-row frame of headline figures), "bar", "stacked_bar", "line",
    "pie".  For charts ``x`` names the category/time column and ``y`` the value columns.
    ``units`` maps a column to its unit: "s" (a duration in seconds, shown as h:mm:ss), "%"
    (a share 0..100), "calls", "lines".  ``note`` states the formula or definition used.
    """

    key: str
    title: str
    data: pd.DataFrame
    kind: str = "table"
    x: str | None = None
    y: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    note: str = ""
    totals: bool = False  # a table whose numeric columns get a totals row
    # The columns a totals row adds up (counts, total durations); None leaves it to the renderer.
    # Means, shares, minima and targets are left out: their sum means nothing.
    summable: list[str] | None = None
    # The rates a totals row recomputes from the rows: column → (numerator, denominator, factor), the
    # total being factor × Σ numerator / Σ denominator over the rows with a positive denominator
    # (blank without one) — a mean talk of the totals is Σ talk / Σ answered, not a sum of means.
    ratios: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    # The counts a percentage is taken of, shown beside it: column → (part, whole), "1 722 of 5 822".
    counts: dict[str, tuple[float, float]] = field(default_factory=dict)
    # A table capped to its latest rows: how many there are in all (None: ``data`` holds every row),
    # so the screen and the exported file say "20 000 of 28 821" rather than "all".
    rows_total: int | None = None
    # Columns a chart shows on hover besides x and y (the counts a mean is taken of).
    tooltip: list[str] = field(default_factory=list)
    # A table of calls: per row of ``data`` (same index) the address of that call's page
    # (atsnb.reports.links); the row's first cell links there.  Not exported.
    links: pd.Series | None = None
    # A table of calls "with recording": per row of ``data`` (same index) the call id whose
    # recording a dashboard may play, "" for a call without one (one player for the row chosen,
    # never an audio control per row).  Not exported.
    recordings: pd.Series | None = None


@dataclass
class Report:
    name: str
    title: str
    filters: dict[str, object]
    elements: list[Element]

    def __getitem__(self, key: str) -> Element:
        for element in self.elements:
            if element.key == key:
                return element
        raise KeyError(key)
