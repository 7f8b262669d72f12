"""Red phones: which incoming calls reached an extension, queue or ring group of the red phones
directory — by definition the calls of new clients (docs/glossary.md).

A call reached a red phone when its route did (the calls' ``reached`` column,
:mod:`atsnb.calls.reached_column`): an extension whose phone rang or which forwarded the call to a
mobile, a queue or ring group the call waited in.  Being a member of a queue the call waited in
without the phone ringing is not reaching it.  Each distinct ``reached`` text is parsed once
(:func:`atsnb.metrics.who_missed.reach`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from atsnb.calls.reached_column import LETTERS
from atsnb.metrics.who_missed import reach

# the letters of the places a red phone of each kind is reached at (the reached column's tokens)
KIND_LETTERS = {"extension": ("r", "f"), "queue": ("q",), "group": ("g",)}
ANY_KIND = ("r", "f", "q", "g")


@dataclass
class RedPhoneHits:
    """Per call of the frame: ``hit`` (it reached a red phone), ``target`` (the first one in route
    order, "" without a hit) and ``answered`` (someone answered the call there)."""

    hit: np.ndarray
    target: np.ndarray
    answered: np.ndarray


def red_phone_hits(calls: pd.DataFrame, red_phones: Iterable[tuple[str, str]]) -> RedPhoneHits:
    """Which incoming and mixed ``calls`` (with the ``reached`` column) reached a red phone;
    ``red_phones`` are ``(target, kind)`` pairs of the directory (kind extension, queue or group;
    empty: any place of that number)."""
    n = len(calls)
    none = RedPhoneHits(np.zeros(n, bool), np.full(n, "", dtype=object), np.zeros(n, bool))
    wanted = sorted({(str(target).strip(), LETTERS.index(letter))
                     for target, kind in red_phones if str(target).strip()
                     for letter in KIND_LETTERS.get(str(kind or "").strip(), ANY_KIND)})
    if not n or not wanted:
        return none
    r = reach(calls)
    names = np.asarray(r.names, dtype=object)
    # a (place name, letter) table of the red ones: each token looked up by its two codes
    red_places = np.zeros((len(names) + 1, len(LETTERS)), bool)
    at = pd.Index(names).get_indexer([name for name, _ in wanted]) if len(names) else np.empty(0, np.int64)
    for (_, letter), row in zip(wanted, at, strict=True):
        if row >= 0:
            red_places[row, letter] = True
    is_red = red_places[r.target, np.maximum(r.letter, 0)] & (r.letter >= 0)
    first_hit = np.full(r.texts, -1, dtype=np.int64)
    red = np.flatnonzero(is_red)
    # tokens come in route order within a text: the first token of each text among the red ones
    texts, first = np.unique(r.token_text[red], return_index=True)
    first_hit[texts] = red[first]
    answered_text = np.zeros(r.texts, bool)
    answered_text[r.token_text[red[r.answered[red]]]] = True
    token = first_hit[r.text]
    hit = (token >= 0) & (r.status >= 0)
    target = np.full(n, "", dtype=object)
    target[hit] = names[r.target[token[hit]]]
    return RedPhoneHits(hit, target, answered_text[r.text] & hit)
