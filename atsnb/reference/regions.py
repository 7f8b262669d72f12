"""One spelling per region of the numbering registry.

The regulator's files name the same federal subject several ways — ``г. Москва и Московская
область``, ``Москва и Московская область``, ``Московская область * Москва``; ``Курская обл.`` and
``Курская область``; ``Республика Удмуртская`` and ``Удмуртская Республика``.  A chart of calls by
region would show one region as two bars, so every region name is brought to one form where the
registry is loaded (:func:`canonical_region`, applied once per distinct name by
:func:`canonical_regions`):

* ``обл.`` is ``область``, ``АО`` is ``автономный округ``, ``/Якутия/`` is ``(Якутия)``;
* a city's ``г.`` or ``Город`` is dropped: ``г. Севастополь`` is ``Севастополь``;
* two subjects named together (joined by ``и``, ``*`` or a comma) are joined by ``и`` in
  alphabetical order: ``Москва и Московская область``;
* ``Республика Удмуртская`` (an adjective after the word) is ``Удмуртская Республика``;
* a few names the rules cannot reach are mapped as they are (:data:`ALIASES`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# spellings no general rule brings to the common one
ALIASES = {
    "Ханты - Мансийский - Югра автономный округ": "Ханты-Мансийский автономный округ - Югра",
    "Кемеровская область - Кузбасс область": "Кемеровская область - Кузбасс",
    "Кемеровская область": "Кемеровская область - Кузбасс",  # the region's name since 2019
    "Чувашская Республика - Чувашия": "Чувашская Республика",
}
_JOINERS = re.compile(r"\s+и\s+|\s*\*\s*|\s*,\s*")
_CITY = re.compile(r"^(?:г\.|город)\s*", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def canonical_region(name: str) -> str:
    """``name`` in its one spelling (see the module docstring); "" stays "" ."""
    text = _SPACES.sub(" ", str(name)).strip()
    if not text:
        return ""
    parts = [_one_subject(part) for part in _JOINERS.split(text) if part.strip()]
    joined = " и ".join(sorted(dict.fromkeys(parts)))
    return ALIASES.get(joined, joined)


def _one_subject(part: str) -> str:
    text = _CITY.sub("", part.strip())
    text = re.sub(r"\bобл\.?$", "область", text)
    text = re.sub(r"/([^/]+)/", r"(\1)", text)
    text = re.sub(r"\bАвтономный округ\b", "автономный округ", text)
    if "автономный округ" in text:
        text = re.sub(r"\s+АО$", "", text)
    text = re.sub(r"\bАО\b", "автономный округ", text)
    republic = re.fullmatch(r"Республика (.+(?:ая|кая))", text)
    if republic:
        text = f"{republic.group(1)} Республика"
    return text.strip()


def canonical_regions(regions: np.ndarray) -> np.ndarray:
    """:func:`canonical_region` of every entry of an object array, computed once per distinct name
    (a registry's ~450,000 ranges name a few hundred regions)."""
    if not len(regions):
        return np.asarray(regions, dtype=object)
    codes, distinct = pd.factorize(np.asarray(regions, dtype=object), use_na_sentinel=False)
    return np.array([canonical_region("" if r is None else r) for r in distinct], dtype=object)[codes]
