"""The calls layer's name for the package-wide phone-number rule in :mod:`atsnb.numbers`.

Reconstruction, classification and the topology import the normaliser from here; the rule itself
lives one layer down so reference data and directories share it without importing the calls layer.
"""

from __future__ import annotations

from atsnb.numbers import normalize_number, normalize_numbers

__all__ = ["normalize_number", "normalize_numbers"]
