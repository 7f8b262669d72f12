"""Which channel peers are trunks and which numbers are extensions: the map reconstruction reads.

Call records never say "this came from outside"; only the channel names do (``PJSIP/<trunk>-…``
vs ``PJSIP/<ext>-…``).  The topology is that knowledge, given by the company (or the simulator),
guessed from the records by :meth:`Topology.infer`, and kept editable in the store's state.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from atsnb.calls.channels import parse_channels
from atsnb.phone_numbers import normalize_number
from atsnb.vectors import first_field, text_mask

if TYPE_CHECKING:
    from atsnb.calls.vocabulary import Vocabulary
    from atsnb.store import Store

STATE_KEY = "topology"
# Peers this long or longer, or with letters, are taken for trunks when nothing else says so.
_MAX_EXTENSION_DIGITS = 6


@dataclass
class Topology:
    """The PBX as reconstruction sees it.

    ``trunks``: trunk channels by peer (``trunk`` of ``IAX2/trunk-14818``, ``i1`` of
    ``DAHDI/i1/79161234567-5``) or with the technology (``DAHDI/i1``); ``extensions``:
    internal numbers; ``company_numbers``: DIDs and outbound caller ids; ``groups`` / ``queues``:
    ring-group / queue number → member extensions.
    """

    trunks: list[str] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)
    company_numbers: list[str] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    queues: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> Topology:
        return cls(
            trunks=[str(x) for x in data.get("trunks", [])],
            extensions=[str(x) for x in data.get("extensions", [])],
            company_numbers=[str(x) for x in data.get("company_numbers", [])],
            groups={str(k): [str(x) for x in v] for k, v in (data.get("groups") or {}).items()},
            queues={str(k): [str(x) for x in v] for k, v in (data.get("queues") or {}).items()},
        )

    def trunk_mask(self, tech: np.ndarray, peer: np.ndarray, vocab: Vocabulary) -> np.ndarray:
        """Which channels (their ``tech`` and ``peer`` as codes of ``vocab``) are trunks.

        A trunk is named by its peer (``trunk``, ``i1``) or with its technology (``IAX2/trunk``,
        ``DAHDI/i1``), whatever the driver.
        """
        named = vocab.objects(tech) + "/" + vocab.objects(peer)
        return vocab.among(peer, self.trunks) | np.isin(named, self.trunks)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_store(cls, store: Store, cdr: pd.DataFrame | None = None) -> Topology:
        """The topology saved in the store, else one inferred from ``cdr`` (empty if none given)."""
        raw = store.catalog.get_state(STATE_KEY)
        if raw:
            return cls.from_dict(json.loads(raw))
        return cls.infer(cdr) if cdr is not None else cls()

    def save(self, store: Store) -> None:
        store.catalog.set_state(STATE_KEY, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def infer(cls, cdr: pd.DataFrame) -> Topology:
        """Guess the topology from call records alone.

        A peer is a trunk when a row it owns carries a DID (FreePBX sets ``did`` on inbound
        routes only), when a row dialling it carries an outbound caller id, or when its name is not
        a short number.  Short numeric peers are extensions; ``Local/<ext>@from-queue`` members
        and ring-group rows (context ``ext-group``) give queue and group membership.
        """
        if cdr.empty:
            return cls()
        a = parse_channels(cdr["channel"])
        b = parse_channels(cdr["dstchannel"])
        did = _col(cdr, "did")
        obc = _col(cdr, "outbound_cnum")
        device_peers = pd.concat([a.peer[a.tech != "Local"], b.peer[b.tech != "Local"]])
        device_peers = device_peers[device_peers != ""]
        trunks = set(pd.unique(a.peer[((did != "") & (a.tech != "Local")).to_numpy()]))
        trunks |= set(pd.unique(b.peer[((obc != "") & (b.tech != "Local")).to_numpy()]))
        distinct = pd.unique(device_peers)
        trunks |= {p for p in distinct if not (str(p).isdigit() and len(str(p)) < _MAX_EXTENSION_DIGITS)}
        extensions = {p for p in distinct if p not in trunks}
        queue_member = (b.tech == "Local") & text_mask(b.context, lambda c: c.startswith("from-queue"))
        extensions |= set(pd.unique(b.number[queue_member]))
        is_queue = (_col(cdr, "lastapp") == "Queue") & queue_member
        queues = _members(pd.Series(first_field(_col(cdr, "lastdata")[is_queue], ","), dtype=object),
                          b.number[is_queue])
        is_group = (_col(cdr, "dcontext") == "ext-group") & (b.tech != "Local") & b.peer.isin(extensions)
        groups = _members(_col(cdr, "dst")[is_group], b.peer[is_group])
        numbers = pd.concat([did[did != ""], obc[obc != ""]]).unique()
        return cls(
            trunks=sorted(trunks),
            extensions=sorted(extensions),
            company_numbers=sorted({normalize_number(n) for n in numbers}),
            groups={k: sorted(v) for k, v in sorted(groups.items())},
            queues={k: sorted(v) for k, v in sorted(queues.items())},
        )


def _members(names: pd.Series, members: pd.Series) -> dict[str, set[str]]:
    """``{name: {member, …}}`` from two aligned columns, touching each distinct pair once."""
    pairs = pd.DataFrame({"name": names.to_numpy(dtype=object), "member": members.to_numpy(dtype=object)})
    out: dict[str, set[str]] = {}
    for name, member in pairs.drop_duplicates().itertuples(index=False):
        out.setdefault(name, set()).add(member)
    return out


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    """A text column as plain strings ('' for missing), so comparisons never meet NA."""
    if name not in df.columns:
        return pd.Series("", index=df.index, dtype=object)
    return df[name].fillna("").astype(str)
