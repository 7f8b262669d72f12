"""Calls rebuilt from raw PBX records: topology, route reconstruction, classification, the
``calls``/``steps`` store tables (docs/calls.md)."""

from atsnb.calls.callset import CallSet, Route
from atsnb.calls.reading import load_calls
from atsnb.calls.reconstruct import reconstruct
from atsnb.calls.topology import Topology

__all__ = ["CallSet", "Route", "Topology", "load_calls", "reconstruct"]
