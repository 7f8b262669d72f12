"""A dashboard table: title and note, sorting by any column, a totals row, rows shown a page at a
time (the export always holds them all), and CSV/XLSX download of exactly what is shown.

The table itself is the same HTML the notebooks and snapshots print (:mod:`atsnb.views.html`);
sorting happens in the kernel on the numeric data, so durations sort as durations.
"""

from __future__ import annotations

import dataclasses
import html

import ipywidgets as w
import pandas as pd

from atsnb.i18n import t
from atsnb.reports.model import Element, Report
from atsnb.views.export import DownloadButtons
from atsnb.views.format import column_title
from atsnb.views.html import heading_html, rows_note, table_html
from atsnb.views.recording_picker import RecordingPicker

PAGE_ROWS = 100


def sorted_frame(frame: pd.DataFrame, column: str | None, descending: bool) -> pd.DataFrame:
    """The rows ordered by one column (blanks last), or as the report gave them without a column."""
    if not column or column not in frame.columns:
        return frame
    return frame.sort_values(column, ascending=not descending, kind="stable", na_position="last")


class TableView:
    """One table element with its sort controls, paging and downloads."""

    def __init__(self, element: Element, stem: str, report: Report | None = None, page_rows: int = PAGE_ROWS):
        self.element = element
        self.page_rows = page_rows
        self.shown_rows = page_rows
        self.sort_by = w.Dropdown(
            options=[(t("dash_sort_as_is"), "")] + [(column_title(element, c), c) for c in element.data.columns],
            value="", description=t("dash_sort"), style={"description_width": "initial"},
            layout=w.Layout(width="auto", max_width="260px"),
        )
        self.descending = w.ToggleButton(value=True, description="↓", tooltip=t("dash_sort_descending"),
                                         layout=w.Layout(width="36px"))
        self.body = w.HTML(layout=w.Layout(width="100%", overflow="auto", max_height="560px"))
        self.body.add_class("atsnb-table-body")
        self.rows = w.HTML()  # how many rows are shown and what a download holds, under the scrolling box
        self.more = w.Button(description=t("dash_show_more"), layout=w.Layout(width="auto"))
        self.more.on_click(lambda _b: self._show_more())
        self.downloads = DownloadButtons(self.current, stem, report)
        self.sort_by.observe(lambda _c: self.render(), "value")
        self.descending.observe(lambda _c: self._flip(), "value")
        controls = w.Box([self.sort_by, self.descending, self.downloads.widget],
                         layout=w.Layout(display="flex", flex_flow="row wrap", align_items="center"))
        controls.add_class("atsnb-controls")
        # a table of calls "with recording": one player for the row chosen (atsnb.views.recording_picker)
        self.picker = RecordingPicker(element) if element.recordings is not None else None
        extra = [self.picker.widget] if self.picker is not None else []
        self.widget = w.VBox([w.HTML(heading_html(element)), controls, self.body, self.rows, self.more, *extra],
                             layout=w.Layout(width="100%", margin="0 0 12px 0"))
        self.widget.add_class("atsnb-table-view")
        self.render()

    def frame(self) -> pd.DataFrame:
        """The rows in the order shown."""
        return sorted_frame(self.element.data, self.sort_by.value, self.descending.value)

    def current(self) -> Element:
        """The element as shown (sorted): what a download must contain."""
        return dataclasses.replace(self.element, data=self.frame())

    def render(self) -> None:
        frame = self.frame()
        self.body.value = table_html(self.element, frame, max_rows=self.shown_rows, rows_noted=False)
        cut = len(frame) > self.shown_rows
        self.rows.value = f'<p class="atsnb-note">{html.escape(rows_note(self.element, self.shown_rows, len(frame)))}</p>' \
            if cut else ""
        self.more.layout.display = "inline-flex" if cut else "none"
        if self.picker is not None:
            self.picker.update(frame.head(self.shown_rows))

    def _flip(self) -> None:
        self.descending.description = "↓" if self.descending.value else "↑"  # text, no icon font needed
        self.render()

    def _show_more(self) -> None:
        self.shown_rows += self.page_rows
        self.render()
