"""One call shown: its card, the route map, the recording, the steps, and — on demand — the PBX's
own rows (CDR, CEL, queue_log) it was rebuilt from.

:func:`show_call` prints it in a notebook (the map as a PNG, tables as HTML: papermill, nbconvert
and a mailed snapshot read it without script); :class:`CallView` is the same as widgets in the
records dashboard, where the raw rows are read only when asked for.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from atsnb.calls.evidence import CallRoute
from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.reports.model import Element
from atsnb.reports.records import Labels, call_elements_report, raw_elements
from atsnb.store import Store
from atsnb.views.html import heading_html, table_html
from atsnb.views.player import Checker, player_html, recording_player
from atsnb.views.route_map import route_layout, route_map_html, route_map_png
from atsnb.views.style import STYLESHEET

TABLE_BOX = "overflow-x:auto;max-width:100%"


def _table(element: Element) -> str:
    return heading_html(element) + f'<div style="{TABLE_BOX}">{table_html(element)}</div>'


def show_call(route: CallRoute, *, store: Store, settings: Settings) -> None:
    """Display one call in a notebook: title, card, route map, recording link, steps and raw rows."""
    from IPython.display import HTML, Image, display

    labels = Labels(store, settings)
    report = call_elements_report(route, labels)
    display(HTML(f'{STYLESHEET}<h2 class="atsnb-title" style="font-size:20px">{html.escape(report.title)}</h2>'))
    display(HTML(_table(report["card"])))
    display(Image(data=route_map_png(route_layout(route, labels.employee)), format="png"))
    display(HTML(f'<p class="atsnb-note">{html.escape(t("rec_map_note"))}</p>'
                 f'<div class="atsnb-title">{html.escape(t("rep_col_recording"))}</div>'
                 + player_html(route.call_id, route.call.get("recording"))))
    for element in report.elements[1:]:
        display(HTML(_table(element)))


class CallView:
    """The call as widgets: a back button, the card, the route map, the player, the steps and a
    toggle that reads and shows the raw rows (``read_raw`` gives the route with them)."""

    def __init__(self, route: CallRoute, labels: Labels, *, back: Callable[[], None],
                 read_raw: Callable[[], CallRoute], checker: Checker | None = None):
        self.route = route
        self.read_raw = read_raw
        report = call_elements_report(route, labels)
        self.back = w.Button(description=t("rec_back"), layout=w.Layout(width="auto"))
        self.back.add_class("atsnb-call-back")
        self.back.on_click(lambda _b: back())
        title = w.HTML(f'<h3 class="atsnb-title" style="font-size:18px;margin:6px 0">{html.escape(report.title)}</h3>')
        card = w.HTML(_table(report["card"]), layout=w.Layout(width="100%"))
        layout = route_layout(route, labels.employee)
        route_map = w.HTML(f'<div class="atsnb-title">{html.escape(t("rec_map"))}</div>{route_map_html(layout)}'
                           f'<p class="atsnb-note">{html.escape(t("rec_map_note"))}</p>',
                           layout=w.Layout(width="100%"))
        route_map.add_class("atsnb-route-map")
        player = recording_player(route.call_id, route.call.get("recording"), checker=checker)
        steps = w.HTML(_table(report["steps"]), layout=w.Layout(width="100%"))
        self.raw_toggle = w.ToggleButton(description=t("rec_show_raw"), layout=w.Layout(width="auto"))
        self.raw_toggle.add_class("atsnb-raw-toggle")
        self.raw = w.HTML(layout=w.Layout(width="100%"))
        self.raw.add_class("atsnb-raw")
        self.raw_toggle.observe(lambda _c: self._toggle_raw(), "value")
        self.widget = w.VBox([self.back, title, card, route_map, player, steps, self.raw_toggle, self.raw],
                             layout=w.Layout(width="100%"))
        self.widget.add_class("atsnb-call-view")

    def _toggle_raw(self) -> None:
        if not self.raw_toggle.value:
            self.raw.value = ""
            return
        if not self.route.raw:
            self.route = self.read_raw()
        self.raw.value = "".join(_table(element) for element in raw_elements(self.route))
