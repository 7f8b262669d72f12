"""atsnb — call analytics for Asterisk-based PBXs.

Data flows one way: source (PBX MySQL, or the simulator) → sync → store → calls → metrics →
reports → views / delivery.  Analysts use the names exported here.
"""

__version__ = "0.1.0"

# Heavy modules (pandas, pyarrow) load on first use, so ``import atsnb`` stays fast for the CLI.
_LAZY = {
    "reconstruct": "atsnb.calls.reconstruct",
    "Topology": "atsnb.calls.topology",
    "CallSet": "atsnb.calls.callset",
    "load_calls": "atsnb.calls.load",
}
_SUBPACKAGES = {"metrics", "reports", "views", "simulate"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"atsnb.{name}")
    raise AttributeError(f"module 'atsnb' has no attribute {name!r}")
