"""Listening to the recordings of a calls table: one player under the table for the row chosen.

A table of a thousand recorded calls with an audio control in every row would make the page heavy
(each control is an element the browser lays out and may start loading), so a table "with
recording" gets a picker of its recorded rows — the time, the number and who it was — and the one
player of :mod:`atsnb.views.player` for the chosen call.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from atsnb.i18n import t
from atsnb.reports.model import Element
from atsnb.views.format import cell
from atsnb.views.player import recording_player

MAX_CHOICES = 500  # the newest recorded rows offered; the call page plays any other


def recorded_rows(element: Element, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """``(label, call id)`` of the rows of ``frame`` (the table as shown) that have a recording, in
    the table's order: the row's first cells joined ("14.03 10:15 · 79161234567 · ООО «Ромашка»")."""
    if element.recordings is None or frame.empty:
        return []
    ids = element.recordings.reindex(frame.index).fillna("").astype(str)
    has = ids.ne("").to_numpy()
    rows = frame[has].head(MAX_CHOICES)
    shown = [c for c in rows.columns[:3]]
    labels = [" · ".join(text for text in (cell(value, element.units.get(column)) if not isinstance(value, pd.Timestamp)
                                           else f"{value:%d.%m %H:%M}" for column, value in zip(shown, values, strict=True))
                         if text)
              for values in rows[shown].itertuples(index=False)]
    return list(zip(labels, ids[has].head(MAX_CHOICES).tolist(), strict=True))


class RecordingPicker:
    """A dropdown of a table's recorded rows and the player of the chosen one (nothing loads until
    a call is chosen)."""

    def __init__(self, element: Element):
        self.element = element
        self.choice = w.Dropdown(description=t("dash_play_label"), style={"description_width": "initial"},
                                 layout=w.Layout(width="auto", max_width="100%"))
        self.player = w.Box(layout=w.Layout(width="100%"))
        self.choice.observe(lambda _c: self._play(), "value")
        self.widget = w.VBox([self.choice, self.player], layout=w.Layout(width="100%", margin="4px 0"))
        self.widget.add_class("atsnb-recording-picker")

    def update(self, frame: pd.DataFrame) -> None:
        """Offer the recorded rows of the table as it is now shown (sorted); hidden without any."""
        rows = recorded_rows(self.element, frame)
        self.widget.layout.display = "flex" if rows else "none"
        current = self.choice.value
        self.choice.options = [(t("dash_play_choose"), "")] + rows
        self.choice.value = current if current in {value for _, value in rows} else ""

    def _play(self) -> None:
        call_id = self.choice.value
        old = self.player.children
        self.player.children = (recording_player(call_id, "yes"),) if call_id else ()
        for widget in old:
            widget.close()
