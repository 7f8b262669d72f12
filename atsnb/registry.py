"""What the product's registries have in common: things by name, in the order they were
registered, a name registered once, an unknown name answered with the known ones.

The reports (:mod:`atsnb.reports.registry`) and the delivery channels
(:mod:`atsnb.delivery.channels`) are such registries; each adds its own ``register``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TypeVar

from atsnb.errors import AtsnbError

T = TypeVar("T")


class UnknownName(AtsnbError, KeyError):
    """A name that is not in a registry (a KeyError too, as a mapping's missing key is)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class Registry(Mapping[str, T]):
    """``kind`` names what the registry holds, for its messages ("report", "delivery channel")."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"A {self.kind} named {name!r} is registered already.")
        self._items[name] = item
        return item

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(self._items) or "none"
            raise UnknownName(f"There is no {self.kind} named {name!r} (known: {known}).") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)
