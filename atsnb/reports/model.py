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
