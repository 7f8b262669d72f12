"""Website callbacks (docs/glossary.md §14.6): a visitor leaves a number in the site's "call me
back" form, the PBX calls an employee, then the client.

The module's row says when the visitor asked (``requested_at``), when the PBX started calling
(``called_at``), when employee and client were connected (``connected_at``) and the outcome
(``status``: connected, employee_no_answer, client_no_answer, failed).  Per request:

- ``called`` — the PBX started calling (a ``called_at``); ``to_call_s`` = called_at − requested_at;
- ``connected`` — employee and client talked (status ``connected`` or a ``connected_at``);
  ``to_connect_s`` = connected_at − requested_at;
- ``reached_later`` — not connected by the request's own call, but the client was reached by the
  first answered external call with their number after the request (either direction, as a missed
  call is recovered: docs/glossary.md §12) within ``horizon_min``;
- ``never`` — neither: nobody has talked to this client since they asked.  These are the requests
  a manager must see first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atsnb.metrics.calls import answered, external
from atsnb.phone_numbers import normalize_numbers
from atsnb.vectors import text_in

CALLBACK_COLUMNS = ["requested_at", "site", "page", "utm_source", "utm_medium", "utm_campaign", "number",
                    "extension", "status", "called_at", "connected_at", "linkedid"]
DIMENSIONS = ("site", "page", "utm_source", "utm_medium", "utm_campaign")


def callback_outcomes(requests: pd.DataFrame, calls: pd.DataFrame, horizon_min: int) -> pd.DataFrame:
    """``requests`` with ``client`` (the typed number in one form), ``called``, ``connected``,
    ``to_call_s``, ``to_connect_s``, ``reached_later``, ``reached_at``, ``never`` (module
    docstring).  ``calls``: the calls from the first request on, at least ``horizon_min`` past the
    last (start, end, direction, status, external_number, employee)."""
    out = requests.copy()
    # as plain objects: a column read from many Parquet row groups is a chunked Arrow array underneath
    typed = pd.Series(out["number"].fillna("").astype(str).to_numpy(dtype=object), index=out.index)
    out["client"] = normalize_numbers(typed)
    out["to_call_s"] = (out["called_at"] - out["requested_at"]).dt.total_seconds()
    out["to_connect_s"] = (out["connected_at"] - out["requested_at"]).dt.total_seconds()
    out["called"] = out["called_at"].notna()
    out["connected"] = out["status"].astype(str).eq("connected") | out["connected_at"].notna()
    waiting = out[~out["connected"] & out["client"].ne("")]
    number = calls["external_number"].astype(str)
    later = calls[external(calls) & answered(calls) & text_in(number, waiting["client"])]
    left = pd.DataFrame({"at": waiting["requested_at"], "client": waiting["client"].astype(str),
                         "row": waiting.index}).sort_values("at")
    # in the requests' time unit (the calls of an empty period come in another): merge_asof needs one
    right = pd.DataFrame({"at": later["start"].astype(left["at"].dtype), "client": later["external_number"].astype(str),
                          "reached_at": later["start"]}).sort_values("at")
    found = pd.merge_asof(left, right, on="at", by="client", direction="forward")
    found = found[found["reached_at"] - found["at"] <= pd.Timedelta(minutes=horizon_min)]
    reached = pd.Series(found["reached_at"].to_numpy(), index=found["row"].to_numpy(), dtype=out["requested_at"].dtype)
    out["reached_at"] = reached.reindex(out.index)
    out["reached_later"] = out["reached_at"].notna()
    out["never"] = ~out["connected"] & ~out["reached_later"]
    return out


def percentile(values: pd.Series, q: float) -> float:
    """The ``q`` quantile of the values present (NaN when there are none: no data, not 0 s)."""
    present = values.dropna()
    return float(np.quantile(present.to_numpy(dtype=float), q)) if len(present) else float("nan")


def callback_figures(outcomes: pd.DataFrame) -> dict[str, float]:
    """The headline figures: requests, called, connected, reached later, never, connected % (of
    requests), and the median and 90th percentile of the time to the call and to the connection."""
    n = len(outcomes)
    connected = int(outcomes["connected"].sum())
    return {
        "requests": n, "called": int(outcomes["called"].sum()), "connected": connected,
        "reached_later": int(outcomes["reached_later"].sum()), "never": int(outcomes["never"].sum()),
        "connected_pct": 100.0 * connected / n if n else float("nan"),
        "to_call_median_s": percentile(outcomes["to_call_s"], 0.5),
        "to_call_p90_s": percentile(outcomes["to_call_s"], 0.9),
        "to_connect_median_s": percentile(outcomes["to_connect_s"].where(outcomes["connected"]), 0.5),
        "to_connect_p90_s": percentile(outcomes["to_connect_s"].where(outcomes["connected"]), 0.9),
    }


def callbacks_by(outcomes: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per value of the ``by`` columns (say site and page, or the UTM source, medium, campaign):
    ``requests``, ``connected``, ``connected_pct``, ``never``, ``to_call_median_s``,
    ``to_connect_median_s``, ``to_connect_p90_s``; most requests first."""
    keys = outcomes[by].fillna("").astype(str)
    frame = keys.assign(connected=outcomes["connected"], never=outcomes["never"], to_call_s=outcomes["to_call_s"],
                        to_connect_s=outcomes["to_connect_s"].where(outcomes["connected"]))
    groups = frame.groupby(by, sort=True)
    out = groups.agg(requests=("connected", "size"), connected=("connected", "sum"), never=("never", "sum"),
                     to_call_median_s=("to_call_s", "median"), to_connect_median_s=("to_connect_s", "median"))
    out["to_connect_p90_s"] = groups["to_connect_s"].quantile(0.9)  # linear, as np.quantile: one pass, no lambda
    out = out.reset_index()
    out["connected_pct"] = 100.0 * out["connected"] / out["requests"]
    return out.sort_values("requests", ascending=False, kind="stable", ignore_index=True)


def daily_callbacks(outcomes: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per day of ``[start, end)``: requests ``connected``, ``reached_later`` and ``never`` (they add
    up to the day's requests; empty days as 0)."""
    days = pd.date_range(start.normalize(), (end - pd.Timedelta(microseconds=1)).normalize(), freq="D")
    day = outcomes["requested_at"].dt.normalize()
    out = pd.DataFrame({"day": days})
    for column in ("connected", "reached_later", "never"):
        counts = day[outcomes[column].to_numpy(dtype=bool)].value_counts()
        out[column] = counts.reindex(days, fill_value=0).to_numpy(dtype=np.int64)
    return out
