"""The route map of a transferred queue call: one lane per party in order, bars where the route
says, the transfer and the hang-up marked, the same layout drawn as HTML and as a PNG."""

from __future__ import annotations

import pandas as pd

from atsnb.calls.evidence import CallRoute
from atsnb.views.route_map import route_layout, route_map_html, route_map_png

CALL = pd.Series({"call_id": "1742043121.1", "start": pd.Timestamp("2025-03-15 15:52:01", tz="Europe/Moscow"),
                  "answer": pd.Timestamp("2025-03-15 15:52:11", tz="Europe/Moscow"),
                  "end": pd.Timestamp("2025-03-15 15:54:23", tz="Europe/Moscow"), "direction": "incoming",
                  "caller": "79060490275"})
STEPS = [  # seq, offset s, kind, party, target, outcome, duration
    (0, 0, "line", "79060490275", "74957654321", "", 142),
    (1, 0, "queue", "79060490275", "701", "answered", 122),
    (2, 1, "ring", "79060490275", "300", "answered", 9),
    (3, 1, "ring", "79060490275", "301", "no_answer", 9),
    (4, 10, "answer", "79060490275", "300", "answered", 112),
    (5, 90, "hold", "300", "400", "", 30),
    (6, 121, "transfer", "300", "400", "", 0),
    (7, 122, "ring", "79060490275", "400", "no_answer", 20),
    (8, 142, "hangup", "caller", "", "answered", 0),
]


def route() -> CallRoute:
    steps = pd.DataFrame(STEPS, columns=["seq", "offset", "kind", "party", "target", "outcome", "duration_s"])
    steps.insert(0, "call_id", CALL["call_id"])
    steps.insert(2, "at", CALL["start"] + pd.to_timedelta(steps.pop("offset"), unit="s"))
    return CallRoute(CALL["call_id"], steps, call=CALL)


def names(extension: str) -> str:
    return {"300": "Васильев Артём (300)"}.get(extension, extension)


def test_every_party_has_a_lane_in_the_order_the_call_met_them():
    layout = route_layout(route(), names)
    assert layout.lanes == ["Клиент 79060490275", "Линия 74957654321", "Очередь 701", "Васильев Артём (300)", "301", "400"]
    assert layout.total == 142
    talk = [b for b in layout.bars if b.kind == "talk"]
    assert [(layout.lanes[b.lane], b.start, b.end) for b in talk] == [("Васильев Артём (300)", 10, 122)]
    hold = next(b for b in layout.bars if b.kind == "hold")
    assert (hold.lane, hold.start, hold.end) == (0, 90, 120)  # the client waits on hold
    assert [(m.symbol, layout.lanes[m.lane], m.at) for m in layout.marks] == [
        ("↪", "Васильев Артём (300)", 121), ("✕", "Клиент 79060490275", 142)]
    missed = [b for b in layout.bars if b.kind == "ring"]
    assert {layout.lanes[b.lane] for b in missed} == {"301", "400"}


def test_the_html_map_places_bars_by_their_share_of_the_call_and_labels_the_axis_in_hms():
    text = route_map_html(route_layout(route(), names))
    assert text.count('class="atsnb-route-lane"') == 6
    assert 'data-kind="talk"' in text and "left:7.04%" in text  # 10 s of 142
    assert "0:00:30" in text and "0:02:22" in text


def test_the_static_map_is_a_png():
    png = route_map_png(route_layout(route(), names))
    assert png.startswith(b"\x89PNG") and len(png) > 5000
