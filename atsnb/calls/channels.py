"""Channel names taken apart: ``PJSIP/201-0000001a`` → tech PJSIP, peer 201;
``Local/201@from-queue-0000002b;2`` → tech Local, number 201, context from-queue.

Asterisk appends an 8-hex-digit counter to every channel name, so names are unique and useless
as keys, while the part before it (the stem) has few distinct values.  The counter is found by
looking at the last bytes of every name at once (numpy over the Arrow buffers), the stems are
dictionary-encoded, and the few distinct stems are parsed once each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.vocabulary import BULK_POOL, CODE, Vocabulary
from atsnb.vectors import object_frame

PARTS = ("tech", "peer", "number", "context")
_COUNTER = 9  # "-" and 8 hex digits
_HALF = 2  # ";1" / ";2" of a Local channel's halves


def parse_channels(names: pd.Series) -> pd.DataFrame:
    """Columns ``tech``, ``peer``, ``number``, ``context`` as numpy object arrays ('' where empty).

    Both halves of a Local channel give the same parts: they are one hop of the call.
    """
    codes, stems = channel_stems(arrow_text(names))
    parts = np.array([_split_peer(s) for s in stems] + [("", "", "", "")], dtype=object).reshape(-1, 4)
    return object_frame({name: parts[:, i][codes] for i, name in enumerate(PARTS)}, index=names.index)


def coded_channels(names: pa.Array | pa.ChunkedArray, vocab: Vocabulary) -> dict[str, np.ndarray]:
    """:func:`parse_channels` as codes of ``vocab``: each distinct stem is parsed and encoded once."""
    stems, parts = channel_parts(names, vocab)
    return {name: np.take(parts[:, i], stems) for i, name in enumerate(PARTS)}


def channel_parts(names: pa.Array | pa.ChunkedArray, vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """Each name's stem, and the stems' :data:`PARTS` as codes of ``vocab`` (one row per stem).

    For a caller that reads some parts of a million names, or values derived from the parts:
    those are worked out per stem and gathered once per name.
    """
    codes, stems = channel_stems(names)
    parts = np.array([vocab.encode(_split_peer(s)) for s in stems] + [[0, 0, 0, 0]], dtype=CODE).reshape(-1, 4)
    return codes, parts


def arrow_text(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column in Arrow large_string, missing values as '' (a column read from several store
    files stays in its chunks: most work on it does not need them joined)."""
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        values = values.fillna("").astype(str)
    arr = pa.array(values)
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return pc.fill_null(arr, "") if arr.null_count else arr


def channel_stems(names: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Each name's code into the distinct stems (the name without ``-<8 hex>`` and ``;1``/``;2``).

    A name keeps its counter-less form only when it really ends with the counter; anything else
    (no counter, a malformed one) is its own stem.  The cuts are byte slices (the counter is ASCII):
    every name loses its last nine bytes in one pass and is dictionary-encoded once; a Local half's
    cut still ends with "-" and the counter's first digit, which come off the few distinct pairs of
    (cut, half) rather than off every name.
    """
    names = pc.fill_null(names.cast(pa.large_string()), "")
    if isinstance(names, pa.ChunkedArray):
        names = names.combine_chunks()
    if not len(names):
        return np.zeros(0, dtype=np.int64), []
    half, counted = _counter_ends(names)
    raw = names.cast(pa.large_binary())
    # Every name without its last nine bytes: the stem itself where the name ends with the counter,
    # the stem and two more bytes ("-" and the counter's first digit) where ";1"/";2" follows it.
    cut = pc.dictionary_encode(pc.binary_slice(raw, 0, -_COUNTER, memory_pool=BULK_POOL), memory_pool=BULK_POOL)
    cuts = cut.dictionary
    key = np.asarray(cut.indices, dtype=np.int64) + len(cuts) * half  # (cut, whether a half) per name
    used = np.zeros(2 * len(cuts), dtype=bool)
    used[key[counted]] = True
    pairs = np.flatnonzero(used)
    slot = np.zeros(2 * len(cuts), dtype=np.int64)
    slot[pairs] = np.arange(len(pairs))  # ascending: the plain pairs first, then the halves
    halves = pairs >= len(cuts)
    lone = np.flatnonzero(~counted)  # no counter: the name is its own stem
    rest = pc.dictionary_encode(pc.take(raw, pa.array(lone), memory_pool=BULK_POOL))
    joint = pc.dictionary_encode(pa.concat_arrays([
        cuts.take(pa.array(pairs[~halves])),
        pc.binary_slice(cuts.take(pa.array(pairs[halves] - len(cuts))), 0, -_HALF), rest.dictionary]))
    remap = np.asarray(joint.indices, dtype=np.int64)
    codes = remap[slot[key]]  # names without a counter get a stand-in here, replaced next
    codes[lone] = remap[len(pairs) + np.asarray(rest.indices, dtype=np.int64)]
    return codes, joint.dictionary.cast(pa.large_string()).to_pylist()


def _counter_ends(names: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per name: does it end with ``;1``/``;2``, and does ``-<8 hex>`` precede that end."""
    offsets = np.frombuffer(names.buffers()[1], dtype=np.int64)[names.offset:names.offset + len(names) + 1]
    data_buffer = names.buffers()[2]
    none = np.zeros(len(names), dtype=bool)
    if data_buffer is None or offsets[-1] - offsets[0] < _COUNTER:
        return none, none
    data = np.frombuffer(data_buffer, dtype=np.uint8)[:offsets[-1]]
    start, end = offsets[:-1], offsets[1:]
    tail = np.take(data, end - 1, mode="clip")
    half = (end - start >= _HALF) & (np.take(data, end - 2, mode="clip") == ord(";")) & (
        (tail == ord("1")) | (tail == ord("2")))
    stop = end - _HALF * half
    # The eight bytes before the stop of every name, read as one 64-bit word each.
    words = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    digits = words[np.clip(stop - 8, 0, len(words) - 1)]
    return half, (stop - start >= _COUNTER) & (np.take(data, stop - _COUNTER, mode="clip") == ord("-")) & _all_hex(digits)


def _all_hex(words: np.ndarray) -> np.ndarray:
    """Whether all eight bytes of each 64-bit word are ASCII hex digits (SWAR range checks)."""
    ones, high = np.uint64(0x0101010101010101), np.uint64(0x8080808080808080)

    def within(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
        # With every byte below 0x80, adding (0x80 - lo) sets a byte's high bit iff byte >= lo, and
        # adding (0x7F - hi) sets it iff byte > hi; no byte carries into the next.
        return (x + ones * np.uint64(0x80 - lo)) & ~(x + ones * np.uint64(0x7F - hi)) & high

    ascii_ = (words & high) == 0
    digit = within(words, ord("0"), ord("9"))
    letter = within(words | ones * np.uint64(0x20), ord("a"), ord("f"))
    return ascii_ & ((digit | letter) == high)


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
