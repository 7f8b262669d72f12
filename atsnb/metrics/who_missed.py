"""Who missed each incoming call: the calls that reached an employee or a department and what
became of them (docs/calls.md "Who a call reached", docs/glossary.md §6).

An unanswered call has no ``employee``: it counts for nobody in the attribution
(:mod:`atsnb.metrics.attribution`).  Its route still says whom it reached, and the store keeps that
beside the call, in the ``reached`` column (:mod:`atsnb.calls.reached_column`).  An incoming (or
mixed) call **reached** an employee when

- their phone rang for it (whatever the outcome: no answer, busy),
- they forwarded it to an outside number (their mobile), or
- nobody answered it and it waited in a queue or ring group they are a member of.

A holder — an employee, or a department through its employees — is reached when one of its
employees is.  Per holder:

- ``rang`` — calls that rang a phone of the holder's, not counting dropped ones (the caller gave
  up within the short-abandon threshold: no one's miss, docs/glossary.md §6);
- ``rang_missed`` — of those, the calls none of the holder's employees answered (talked on);
- ``missed_answered`` — of those, the calls someone else answered (a colleague; for a
  department, another department);
- ``unanswered_reached`` — unanswered calls (missed and dropped) that reached the holder.

So ``rang_missed`` = ``missed_answered`` + the missed (unanswered, not dropped) calls that rang
the holder, and every unanswered incoming call either reached someone or reached nobody (an IVR
hang-up, closed hours, a queue with no member known).

A year of a busy PBX has ~500,000 incoming calls but far fewer distinct ``reached`` texts (the
same queues ring the same phones): the texts are hashed once in Arrow, each distinct one is parsed
and mapped to its holders once (:class:`Reach`), and the calls are counted per text and status
with a few bincounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from atsnb.calls.reached_column import LETTERS, REACHED, unpack_coded
from atsnb.metrics.calls import INBOUND, one_of

STATUSES = ("answered", "unanswered", "dropped")  # a call's class here: its status, in this order
ANSWERED, MISSED, DROPPED = range(3)
PHONE, FORWARD, MEMBER = (LETTERS.index(x) for x in ("r", "f", "m"))
PERSONAL = (PHONE, FORWARD, MEMBER)  # the places that name an employee (queues and groups do not)
MISSED_COLUMNS = ["rang", "rang_missed", "missed_answered", "unanswered_reached"]
HoldersOf = Callable[[str], Iterable[str]]


@dataclass
class Reach:
    """The ``reached`` texts of a calls frame parsed once per distinct text.

    ``text``: every call's distinct text (an index below ``texts``, how many there are); ``status``:
    every inbound call's class (:data:`STATUSES`), -1 for other calls; one entry per token of the
    distinct texts: ``token_text``, ``letter`` (index into
    :data:`~atsnb.calls.reached_column.LETTERS`), ``target`` (a code of ``names``), ``answered``."""

    text: np.ndarray
    status: np.ndarray
    texts: int
    token_text: np.ndarray
    letter: np.ndarray
    target: np.ndarray
    names: np.ndarray
    answered: np.ndarray

    def counts(self) -> np.ndarray:
        """Calls per (distinct text, class): a ``texts`` × 3 matrix."""
        ok = self.status >= 0
        flat = np.bincount(self.text[ok] * len(STATUSES) + self.status[ok], minlength=self.texts * len(STATUSES))
        return flat.reshape(self.texts, len(STATUSES))


def reach(calls: pd.DataFrame) -> Reach:
    """Parse the ``reached`` column of ``calls`` (read from the store: ``atsnb.calls.reading``):
    its texts encoded in Arrow, each distinct one parsed once."""
    values = calls[REACHED]
    if isinstance(values.dtype, pd.CategoricalDtype):
        text = values.cat.codes.to_numpy().astype(np.int64)
        distinct = pa.array(np.asarray(values.cat.categories, dtype=object), pa.large_string())
    else:
        column = pa.array(values)  # the Arrow text pandas holds, not copied
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        encoded = (pc.fill_null(column, "") if column.null_count else column).dictionary_encode()
        distinct = encoded.dictionary
        text = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    texts = pa.concat_arrays([distinct, pa.array([""], distinct.type)])  # the last one: reached nothing
    text = np.where(text < 0, len(texts) - 1, text)
    return Reach(text, statuses(calls), len(texts), *unpack_coded(texts))


def statuses(calls: pd.DataFrame) -> np.ndarray:
    """Every inbound call's class (:data:`STATUSES`), -1 for other calls: looked up by the
    categorical's codes (the reports read ``status`` as one), not compared a million times."""
    status = calls["status"]
    status = status if isinstance(status.dtype, pd.CategoricalDtype) else status.astype("category")
    lookup = np.array([STATUSES.index(c) if c in STATUSES else -1 for c in status.cat.categories] + [-1], np.int64)
    inbound = one_of(calls["direction"], INBOUND).to_numpy(dtype=bool)
    return np.where(inbound, lookup[status.cat.codes.to_numpy()], -1)


def _reach(calls: pd.DataFrame | Reach) -> Reach:
    return calls if isinstance(calls, Reach) else reach(calls)


@dataclass
class HolderFlags:
    """The (distinct text, holder) pairs where the text reached the holder, and for each pair
    whether it rang a phone of theirs and whether one of theirs talked (or answered the forward)."""

    names: pd.Index
    text: np.ndarray
    holder: np.ndarray
    rang: np.ndarray
    talked: np.ndarray


_REACHED, _RANG, _TALKED = 1, 2, 4  # bits of a (text, holder) cell


def holder_flags(r: Reach, holders_of: HoldersOf) -> HolderFlags:
    """:class:`HolderFlags` of ``r``: each distinct extension's holders asked once, the tokens
    spread over them without a loop, their flags gathered in a text × holder table of bits (a few
    MB for a year)."""
    is_person = np.zeros(len(LETTERS) + 1, bool)
    is_person[list(PERSONAL)] = True
    personal = np.flatnonzero(is_person[r.letter])
    person = np.zeros(len(r.names), bool)
    person[r.target[personal]] = True  # the targets that are people (not a queue's or a group's number)
    owners = [list(holders_of(str(name))) if is_p else [] for name, is_p in zip(r.names, person, strict=True)]
    names = pd.Index(list(dict.fromkeys(h for hs in owners for h in hs)), dtype=object)
    if not len(names) or not len(personal):
        empty = np.zeros(0, np.int64)
        return HolderFlags(names, empty, empty, empty.astype(bool), empty.astype(bool))
    token, holder = _spread(personal, r.target[personal], [names.get_indexer(hs) for hs in owners])
    cell = r.token_text[token] * len(names) + holder
    table = np.zeros(r.texts * len(names), np.uint8)
    table[cell] |= _REACHED  # a repeated cell gets the same bit: no accumulation needed
    ring = r.letter[token] == PHONE
    table[cell[ring]] |= _RANG
    table[cell[r.answered[token]]] |= _TALKED
    at = np.flatnonzero(table)
    bits = table[at]
    text, holder = np.divmod(at, len(names))
    return HolderFlags(names, text, holder, (bits & _RANG) > 0, (bits & _TALKED) > 0)


def _spread(tokens: np.ndarray, targets: np.ndarray, holders: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each token once per holder of its target (``holders[target]``): (token, holder) pairs.  A
    person is one holder or none per employee, a list of departments in a roll-up."""
    size = np.array([len(h) for h in holders], dtype=np.int64)
    flat = np.concatenate([*holders, np.zeros(0, np.int64)]).astype(np.int64)
    if size.max(initial=0) <= 1:  # one holder or none each: a lookup, no repeat
        lookup = np.full(len(holders), -1, np.int64)
        lookup[size > 0] = flat
        holder = lookup[targets]
        return tokens[holder >= 0], holder[holder >= 0]
    first = np.cumsum(size) - size
    repeats = size[targets]
    within = np.arange(repeats.sum()) - np.repeat(np.cumsum(repeats) - repeats, repeats)
    return np.repeat(tokens, repeats), flat[np.repeat(first[targets], repeats) + within]


def missed_summary(calls: pd.DataFrame | Reach, holders_of: HoldersOf = lambda extension: (extension,),
                   name: str = "employee") -> tuple[pd.DataFrame, dict[str, int]]:
    """:func:`missed_by` and :func:`unanswered_reach` from one pass (what a report shows: the
    table, and the calls its note counts once each)."""
    r = _reach(calls)
    flags = holder_flags(r, holders_of)
    n, h = r.counts(), len(flags.names)
    not_dropped, lost = n[:, ANSWERED] + n[:, MISSED], n[:, MISSED] + n[:, DROPPED]
    missed = flags.rang & ~flags.talked

    def per_holder(keep: np.ndarray, weight: np.ndarray) -> np.ndarray:
        return np.bincount(flags.holder[keep], weights=weight[flags.text[keep]], minlength=h).astype(np.int64)

    everyone = np.ones(len(flags.text), bool)
    figures = [per_holder(flags.rang, not_dropped), per_holder(missed, not_dropped),
               per_holder(missed, n[:, ANSWERED]), per_holder(everyone, lost)]
    table = pd.DataFrame({name: flags.names, **dict(zip(MISSED_COLUMNS, figures, strict=True))})
    to_holder = np.zeros(r.texts, bool)
    to_holder[flags.text] = True
    anything = np.zeros(r.texts, bool)
    anything[r.token_text] = True
    split = {"unanswered": int(lost.sum()), "reached": int(lost[to_holder].sum()),
             "elsewhere": int(lost[anything & ~to_holder].sum()), "nobody": int(lost[~anything].sum())}
    return table, split


def missed_by(calls: pd.DataFrame | Reach, holders_of: HoldersOf = lambda extension: (extension,),
              name: str = "employee") -> pd.DataFrame:
    """Per holder (a column ``name``, then :data:`MISSED_COLUMNS`; module docstring): the incoming
    calls of ``calls`` (or their :func:`reach`) that reached them.  ``holders_of(extension)`` names
    the holders an extension counts for — itself by default (per employee), its department and
    those above it for a department roll-up, nothing for an employee left out.  Holders in the order
    of their extensions."""
    return missed_summary(calls, holders_of, name)[0]


def unanswered_reach(calls: pd.DataFrame | Reach,
                     holders_of: HoldersOf = lambda extension: (extension,)) -> dict[str, int]:
    """The unanswered incoming calls (missed + dropped) of ``calls`` (or their :func:`reach`),
    split by what they reached: ``reached`` some holder (as :func:`missed_by` counts them, each
    call once), ``elsewhere`` — a phone, queue or group but none of the holders (a queue with no
    member known, an employee left out), ``nobody`` — no phone, queue, group or forward at all (an
    IVR hang-up, closed hours).  ``unanswered`` = the sum of the three."""
    return missed_summary(calls, holders_of)[1]


def reaching(calls: pd.DataFrame | Reach, extensions: Iterable[str]) -> np.ndarray:
    """Per call: it reached one of ``extensions`` (module docstring) — what an employee or
    department filter adds to the calls its people handled."""
    r = _reach(calls)
    wanted = np.flatnonzero(np.isin(r.names, list(set(extensions))))
    hit = np.isin(r.letter, PERSONAL) & np.isin(r.target, wanted)
    by_text = np.zeros(r.texts, bool)
    by_text[r.token_text[hit]] = True
    return by_text[r.text] & (r.status >= 0)
