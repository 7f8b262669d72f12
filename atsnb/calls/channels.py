"""Channel names taken apart: ``PJSIP/201-0000001a`` → tech PJSIP, peer 201;
``Local/201@from-queue-0000002b;2`` → tech Local, number 201, context from-queue.

Asterisk appends an 8-hex-digit counter to every channel name, so names are unique and useless
as keys, while the part before it (the peer) has few distinct values.  The counter is cut in one
Arrow pass and the few distinct peers are parsed once each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.text import object_frame

# Asterisk appends "-" and an 8-hex-digit counter to every channel name (and ";1"/";2" to Local halves).
_COUNTER = r"-[0-9a-fA-F]{8}(;[12])?$"


def parse_channels(names: pd.Series) -> pd.DataFrame:
    """Columns ``tech``, ``peer``, ``number``, ``context`` as numpy object arrays ('' where empty).

    Both halves of a Local channel give the same parts: they are one hop of the call.
    """
    arr = pa.array(names.fillna("").astype(str), type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):  # a column read from several store files
        arr = arr.combine_chunks()
    stem = pc.replace_substring_regex(arr, _COUNTER, "")
    encoded = stem.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    uniques = encoded.dictionary.to_pylist()
    parts = np.array([_split_peer(u) for u in uniques] + [("", "", "", "")], dtype=object).reshape(-1, 4)
    out = {name: parts[:, i][codes] for i, name in enumerate(("tech", "peer", "number", "context"))}
    return object_frame(out, index=names.index)


def local_base(names: pd.Series) -> pd.Series:
    """The name without the ``;1``/``;2`` half marker: both halves of one Local channel share it."""
    return names.fillna("").astype(str).str.replace(r";[12]$", "", regex=True)


def _split_peer(stem: str) -> tuple[str, str, str, str]:
    """``tech/peer`` → (tech, peer, number, context); number/context split ``peer`` at ``@``."""
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
    return (tech, peer, number, context)
