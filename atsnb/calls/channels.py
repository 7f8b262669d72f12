"""Channel names taken apart by Asterisk's own rule, ``<tech>/<resource>-<suffix>``, for every driver.

Asterisk names a channel after its driver and resource and appends a suffix that makes the name
unique: 8 hex digits for PJSIP, SIP and Local (``PJSIP/201-0000001a``,
``Local/201@from-queue-0000002b;2``), a decimal call number for IAX2 (``IAX2/trunk-14818``), a
sequence number for DAHDI (``DAHDI/1-1``, ``DAHDI/i1/79161234567-5``: span ``i1``, the far
party's number), other counters for other drivers.  The suffix is whatever follows the last ``-``
(letters and digits only, fewer than :data:`_LONGEST_SUFFIX`), before a Local half's ``;1`` /
``;2``.  Names are unique and useless as keys, while the part before the suffix (the stem) has few
distinct values: the suffix is found by looking at the bytes of every name at once (numpy over the
Arrow buffers), the stems are dictionary-encoded, and the few distinct stems are parsed once each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.vocabulary import BULK_POOL, CODE, Vocabulary
from atsnb.vectors import object_frame

PARTS = ("tech", "peer", "number", "context")
# Channel drivers whose names the parser was written against (docs/calls.md); any other technology
# is parsed by the same general rule, and the data-quality audit counts it.
KNOWN_TECHS = frozenset({
    "PJSIP", "SIP", "IAX2", "DAHDI", "Local",  # phones, trunks and the dialplan's own hops
    "Dongle", "Skinny", "MGCP", "USTM", "OOH323", "Motif", "Console", "AudioSocket", "WebSocket",
    "UnicastRTP", "MulticastRTP", "Announcer", "Recorder", "Snoop", "CBAnn", "CBRec", "Bridge",
    "Message", "Surrogate",
})
_HALF = 2  # ";1" / ";2" of a Local channel's halves
_LONGEST_SUFFIX = 16  # UnicastRTP's "0x7f3b1c0012a0" is the longest seen; 16 bytes are two words


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
    """Each name's code into the distinct stems (the name without ``-<suffix>`` and ``;1``/``;2``).

    A name loses a suffix only when it really ends with one; anything else (no ``-``, a suffix
    with other characters) is its own stem.  The cuts are byte slices (the suffix is ASCII), and
    names are cut in groups of equal cut length — a few groups, since each driver's suffixes have
    one or a few lengths: each group loses its last bytes in one pass and is dictionary-encoded
    once, and the groups' few distinct stems are merged at the end.
    """
    names = pc.fill_null(names.cast(pa.large_string()), "")
    if isinstance(names, pa.ChunkedArray):
        names = names.combine_chunks()
    if not len(names):
        return np.zeros(0, dtype=np.int64), []
    cut = _suffix_lengths(names)
    raw = names.cast(pa.large_binary())
    counts = np.bincount(cut)
    lengths = np.flatnonzero(counts)
    codes = np.empty(len(names), dtype=np.int64)
    stems: list[pa.Array] = []
    for length in lengths.tolist():
        rows = None if len(lengths) == 1 else np.flatnonzero(cut == length)
        group = raw if rows is None else raw.take(pa.array(rows))
        if length:
            group = pc.binary_slice(group, 0, -length, memory_pool=BULK_POOL)
        encoded = pc.dictionary_encode(group, memory_pool=BULK_POOL)
        local = np.asarray(encoded.indices, dtype=np.int64) + sum(len(d) for d in stems)
        if rows is None:
            codes[:] = local
        else:
            codes[rows] = local
        stems.append(encoded.dictionary)
    joint = pc.dictionary_encode(pa.concat_arrays(stems))
    return np.asarray(joint.indices, dtype=np.int64)[codes], joint.dictionary.cast(pa.large_string()).to_pylist()


def _suffix_lengths(names: pa.Array) -> np.ndarray:
    """Per name, how many bytes ``-<suffix>`` and a Local half's ``;1``/``;2`` take (0: no suffix).

    The sixteen bytes before each name's stop (its end, or its ``;1``/``;2``) are read as two
    little-endian 64-bit words, the byte just before the stop being the top byte of the nearer one:
    the run of letters and digits down from the top is the suffix, and the byte below it must be a
    ``-`` inside the name.
    """
    offsets = np.frombuffer(names.buffers()[1], dtype=np.int64)[names.offset:names.offset + len(names) + 1]
    data_buffer = names.buffers()[2]
    if data_buffer is None or offsets[-1] - offsets[0] < 2:
        return np.zeros(len(names), dtype=np.int64)
    data = np.frombuffer(data_buffer, dtype=np.uint8)[:offsets[-1]]
    start, end = offsets[:-1], offsets[1:]
    tail = np.take(data, end - 1, mode="clip")
    half = (end - start >= _HALF) & (np.take(data, end - 2, mode="clip") == ord(";")) & (
        (tail == ord("1")) | (tail == ord("2")))
    stop = end - _HALF * half
    words = _words_before(data, stop)
    near = _alphanumeric(words(8))  # bytes stop-8 .. stop-1
    # The usual case, 8 hex digits (PJSIP, SIP, Local), is settled by the nearer word alone.
    length = np.where((near == _HIGH) & (np.take(data, stop - 9, mode="clip") == ord("-")), 8, 0)
    rest = np.flatnonzero(length == 0)
    if len(rest):
        run = _top_run(near[rest])
        longer = np.flatnonzero(run == 8)
        if len(longer):
            run[longer] += _top_run(_alphanumeric(words(16, rest[longer])))
        length[rest] = run
    dash = stop - length - 1
    has = (length >= 1) & (length < _LONGEST_SUFFIX) & (dash > start)
    has &= np.take(data, dash, mode="clip") == ord("-")
    return np.where(has, end - dash, 0)


_HIGH = np.uint64(0x8080808080808080)


def _words_before(data: np.ndarray, stop: np.ndarray):
    """``words(k, rows)``: for each name (of ``rows``), the eight bytes from ``stop - k`` as one
    little-endian 64-bit word.  Bytes before the buffer's start read as zeros (only names within its
    first sixteen bytes reach there, so only they are read through a padded copy of its head)."""
    view = np.ndarray(shape=(max(len(data) - 7, 0),), dtype="<u8", buffer=data, strides=(1,))
    padded = np.concatenate([np.zeros(16, dtype=np.uint8), data[:32], np.zeros(8, dtype=np.uint8)])
    head = np.ndarray(shape=(len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))

    def words(k: int, rows: np.ndarray | None = None) -> np.ndarray:
        at = (stop if rows is None else stop[rows]) - k
        out = view[np.clip(at, 0, max(len(view) - 1, 0))] if len(view) else np.zeros(len(at), dtype=np.uint64)
        early = np.flatnonzero(at < 0)
        if len(early):
            out[early] = head[at[early] + 16]
        return out

    return words


def _alphanumeric(words: np.ndarray) -> np.ndarray:
    """Per byte of each 64-bit word, its high bit set when the byte is an ASCII letter or digit
    (SWAR range checks; letters are folded to lower case by setting bit 0x20)."""
    ones = np.uint64(0x0101010101010101)

    def within(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
        # With every byte below 0x80, adding (0x80 - lo) sets a byte's high bit iff byte >= lo, and
        # adding (0x7F - hi) sets it iff byte > hi; no byte carries into the next.
        return (x + ones * np.uint64(0x80 - lo)) & ~(x + ones * np.uint64(0x7F - hi)) & _HIGH

    low = words & ~_HIGH
    fits = within(low, ord("0"), ord("9")) | within(low | ones * np.uint64(0x20), ord("a"), ord("z"))
    return fits & ~words


def _top_run(fits: np.ndarray) -> np.ndarray:
    """How many top bytes in a row, down from the top, have their high bit set in ``fits`` (0–8).

    The highest byte that has not ends the run; its position is read off the exponent of the other
    bytes' high bits taken as a float (each sits at bit 8·j + 7, so rounding to 53 bits never moves
    the exponent).
    """
    other = _HIGH & ~fits
    top = np.frexp(other.astype(np.float64))[1]  # 8·j + 8 for the highest such byte j
    return np.where(other == 0, 8, 7 - (top - 8) // 8).astype(np.int64)


def local_base(names: pd.Series) -> pd.Series:
    """The name without the ``;1``/``;2`` half marker: both halves of one Local channel share it."""
    return names.fillna("").astype(str).str.replace(r";[12]$", "", regex=True)


def _split_peer(stem: str) -> tuple[str, str, str, str]:
    """``tech/resource`` → (tech, peer, number, context).

    ``Local/<exten>@<context>``: the number and context the hop runs in (options after a slash in a
    dial string are not part of the context).  ``DAHDI/i1/79161234567``: the span is the peer and
    the far party's number the number.  Otherwise the resource is the peer (``PJSIP/201``,
    ``IAX2/trunk``); a name without a technology is taken for a bare peer.
    """
    if not stem:
        return ("", "", "", "")
    if "/" not in stem:
        return ("", stem, stem, "")
    tech, resource = stem.split("/", 1)
    if "@" in resource and (tech == "Local" or "/" not in resource):
        number, context = resource.split("@", 1)
        return (tech, resource.split("/", 1)[0], number, context.split("/", 1)[0])
    if "/" in resource:
        peer, number = resource.split("/", 1)
        return (tech, peer, number, "")
    return (tech, resource, resource, "")
