"""Text columns as integer codes into one shared vocabulary of the distinct texts.

A million CDR rows hold only a few thousand distinct peers, contexts, apps and numbers.  Each text
column is dictionary-encoded once in Arrow, every column's codes point into the same vocabulary, so
reconstruction compares, picks and mixes integers (``np.where`` across columns stays valid), runs a
string function once per distinct text, and builds the output frames' text in Arrow from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

CODE = np.int32
EMPTY = 0  # the code of ''
# Tables are read through codes with ``np.take``: numpy's fancy indexing converts int32 indices to
# its own index type first, which makes ``table[codes]`` two to three times slower over a million legs.
_SHORT = 64  # lists up to this long are looked up word by word
# A predicate runs on the whole vocabulary when it is this many times shorter than the codes asked
# about (a Python call per word against a few nanoseconds per code to find the codes present).
_WHOLE_VOCABULARY = 64
# Arrow buffers as long as the legs (the CDR text worked on, the output text) come from the system
# allocator: it hands back the memory numpy's temporaries of the previous steps just released, where
# Arrow's default pool takes fresh pages from the kernel and faults every one of them in again, each
# reconstruction.  The page faults cost more system time than the work itself (docs/performance.md,
# Reconstruction).
BULK_POOL = pa.system_memory_pool()


class Vocabulary:
    """The distinct texts, ``''`` first (code 0); grows when reconstruction derives new texts."""

    def __init__(self, words: list[str]):
        self._words = words
        self._index: dict[str, int] | None = None
        self._objects: np.ndarray | None = None
        self._arrow: pa.Array | None = None

    @classmethod
    def of_columns(cls, columns: list[pa.Array | pa.ChunkedArray]) -> tuple[Vocabulary, list[np.ndarray]]:
        """The vocabulary of Arrow text columns (missing values read as '') and each column's codes.

        Each column is encoded on its own (a cheap hash pass), then only the columns' small
        dictionaries are encoded together into the shared one.
        """
        encoded = [dictionary(col) for col in columns]
        words = pa.concat_arrays([pa.array([""], pa.large_string()),
                                  *[e.dictionary.cast(pa.large_string()) for e in encoded]])
        joint = pc.dictionary_encode(words)
        remap = np.asarray(joint.indices, dtype=CODE)
        vocab = cls(joint.dictionary.to_pylist())
        codes, at = [], 1
        for e in encoded:
            size = len(e.dictionary)
            table = np.append(remap[at:at + size], CODE(EMPTY))  # the trailing entry serves nulls
            at += size
            indices = e.indices.fill_null(size) if e.indices.null_count else e.indices
            codes.append(np.take(table, np.asarray(indices)))
        return vocab, codes

    def __len__(self) -> int:
        return len(self._words)

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self._words)}
        return self._index

    def objects(self, codes: np.ndarray) -> np.ndarray:
        """The texts of ``codes`` as a numpy object array of Python strings."""
        if self._objects is None or len(self._objects) != len(self._words):
            self._objects = np.array(self._words, dtype=object)
        return self._objects[codes]

    def strings(self, *columns: np.ndarray) -> list[pd.Series]:
        """The texts of each code array as a pandas ``str`` column, built in Arrow (no Python string per
        row)."""
        if self._arrow is None or len(self._arrow) != len(self._words):
            self._arrow = pa.array(self._words, pa.large_string())
        return [gathered(self._arrow, np.asarray(c, dtype=CODE)) for c in columns]

    def code(self, word: str) -> int:
        """The code of ``word``, added when new (a code no column holds simply matches nothing)."""
        found = self.index.get(word)
        if found is None:
            found = len(self._words)
            self._words.append(word)
            self.index[word] = found
        return found

    def encode(self, words: Iterable[str]) -> np.ndarray:
        """Codes of Python strings, adding the new ones (a long list is factorised first)."""
        words = list(words)
        if len(words) <= _SHORT:
            return self._lookup(words)
        codes, distinct = pd.factorize(np.asarray(words, dtype=object))
        return np.take(self._lookup(distinct.tolist()), codes)

    def _lookup(self, words: list[str]) -> np.ndarray:
        return np.fromiter((self.code(w) for w in words), dtype=CODE, count=len(words))

    def encode_arrow(self, texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Codes of an Arrow text array without missing values, adding the new texts."""
        encoded = dictionary(texts)
        return np.take(self.encode(encoded.dictionary.to_pylist()), np.asarray(encoded.indices))

    def among(self, codes: np.ndarray, words: Iterable[str]) -> np.ndarray:
        """Mask of ``codes`` whose text is one of ``words``."""
        table = np.zeros(len(self._words), dtype=bool)
        known = [self.index[w] for w in words if w in self.index]
        table[known] = True
        return np.take(table, codes)

    def where(self, codes: np.ndarray, predicate: Callable[[str], bool]) -> np.ndarray:
        """Mask of ``codes`` whose text satisfies ``predicate``, evaluated once per distinct code.

        When the vocabulary is far shorter than ``codes`` (a few hundred words against a million
        legs), the predicate runs on every word: that costs less than finding the codes present.
        """
        table = np.zeros(len(self._words), dtype=bool)
        if len(self._words) * _WHOLE_VOCABULARY <= len(codes):
            table[:] = [bool(predicate(w)) for w in self._words]
        else:
            present = self._present(codes)
            table[present] = [bool(predicate(self._words[i])) for i in present]
        return np.take(table, codes)

    def derive(self, codes: np.ndarray, fn: Callable[[str], str]) -> np.ndarray:
        """Codes of ``fn`` of each text, evaluated once per distinct code."""
        present = self._present(codes)
        table = np.zeros(len(self._words), dtype=CODE)
        table[present] = self.encode(fn(self._words[i]) for i in present)
        return np.take(table, codes)

    def derive_all(self, codes: np.ndarray, fn: Callable[[pd.Series], pd.Series]) -> np.ndarray:
        """Codes of a vectorised ``fn`` (Series of texts → Series of texts), run on the distinct texts."""
        present = self._present(codes)
        table = np.zeros(len(self._words), dtype=CODE)
        texts = fn(pd.Series(self.objects(present), dtype=object))
        table[present] = self.encode(texts.tolist())
        return np.take(table, codes)

    def alphabetical(self, codes: np.ndarray) -> np.ndarray:
        """Ranks that order ``codes`` as their texts sort (equal texts, equal ranks)."""
        present = self._present(codes)
        table = np.zeros(len(self._words), dtype=np.int64)
        table[present[np.argsort(self.objects(present), kind="stable")]] = np.arange(len(present))
        return np.take(table, codes)

    def _present(self, codes: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.bincount(codes, minlength=len(self._words)))


def dictionary(texts: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """``texts`` dictionary-encoded as one array (a column read from several files comes in chunks:
    they are encoded together, then joined)."""
    encoded = pc.dictionary_encode(texts, memory_pool=BULK_POOL)
    return encoded.combine_chunks() if isinstance(encoded, pa.ChunkedArray) else encoded


def gathered(texts: pa.Array, rows: np.ndarray) -> pd.Series:
    """``texts[rows]`` as a pandas ``str`` column (output text: its buffers come from ``BULK_POOL``)."""
    return arrow_strings(pc.take(texts, pa.array(rows), memory_pool=BULK_POOL))


def arrow_strings(texts: pa.Array) -> pd.Series:
    """An Arrow text array as a pandas ``str`` column, without converting its values."""
    return pd.Series(pd.array(texts, dtype="str"))
