"""Tiny hand-made calls frames for formula tests: a few readable rows, every other column defaulted."""

from __future__ import annotations

import pandas as pd

TZ = "Europe/Moscow"
COLUMNS = ["call_id", "start", "answer", "end", "direction", "status", "caller", "dialed", "external_number",
           "line", "answered_by", "employee", "last_target", "group", "wait_s", "talk_s", "transfers", "legs",
           "recording", "primary"]


def at(text: str) -> pd.Timestamp:
    """``"2025-03-03 10:00"`` as a PBX-zone timestamp."""
    return pd.Timestamp(text, tz=TZ)


def calls_frame(rows: list[dict]) -> pd.DataFrame:
    """A calls frame with the contract's columns from rows giving at least start, direction, status.

    ``end`` defaults to start + wait_s + talk_s; ``answer`` to start + wait_s for answered calls.
    """
    out = []
    for i, row in enumerate(rows):
        r = {"call_id": f"c{i}", "caller": "", "dialed": "", "external_number": "", "line": "", "answered_by": "",
             "employee": "", "last_target": "", "group": "", "wait_s": 0.0, "talk_s": 0.0, "transfers": 0,
             "legs": 1, "recording": "", "primary": False, **row}
        r["start"] = at(r["start"]) if isinstance(r["start"], str) else r["start"]
        if "end" not in row:
            r["end"] = r["start"] + pd.Timedelta(seconds=r["wait_s"] + r["talk_s"])
        elif isinstance(r["end"], str):
            r["end"] = at(r["end"])
        if "answer" not in row:
            r["answer"] = r["start"] + pd.Timedelta(seconds=r["wait_s"]) if r["status"] == "answered" else pd.NaT
        out.append(r)
    frame = pd.DataFrame(out, columns=COLUMNS)
    for column in ("start", "answer", "end"):
        frame[column] = pd.to_datetime(frame[column]).dt.tz_convert(TZ) if len(frame) else frame[column]
    return frame
