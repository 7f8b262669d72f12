"""The address of one call's page: the records dashboard opened on that call.

Every table that lists calls links each row here, and mails and alerts build absolute links from
the dashboards' public address (``ui.public_url``), so the one rule for the address lives here.
"""

from __future__ import annotations

from urllib.parse import quote

import pandas as pd

RECORDS_PAGE = "records.ipynb"
RENDER_PATH = "voila/render/"  # where ``atsnb serve`` renders the dashboards, from the server's root


def call_address(call_id: str, base: str = "") -> str:
    """``records.ipynb?call=<id>`` — relative to the dashboards, as a page links it — or, with the
    server's ``base`` (``ui.public_url``, ``https://calls.example.ru/``), the absolute address."""
    relative = f"{RECORDS_PAGE}?call={quote(str(call_id), safe='')}"
    return f"{base.rstrip('/')}/{RENDER_PATH}{relative}" if base else relative


def call_addresses(call_ids: pd.Series) -> pd.Series:
    """:func:`call_address` of every call id, with a fresh 0..n-1 index — aligned with an element's
    rows, which :func:`atsnb.reports.elements.element` numbers so."""
    ids = call_ids.astype(str).reset_index(drop=True)
    plain = ids.str.fullmatch(r"[A-Za-z0-9._~-]*").to_numpy(dtype=bool)  # nothing to quote: the usual ids
    if plain.all():
        return (RECORDS_PAGE + "?call=" + ids).astype(object)
    return pd.Series([call_address(c) for c in ids], dtype=object)
