"""atsnb — call analytics for Asterisk-based PBXs.

Data flows one way: source (PBX MySQL, or the simulator) → sync → store → calls → metrics →
reports → views / delivery (docs/architecture.md).  Analysts use the names exported here:

>>> ctx = atsnb.context()                            # the configured settings and store
>>> atsnb.report("employees", "last_30_days")         # a report of the configured installation
>>> atsnb.load_calls("2025-07-01", "2025-08-01", direction="incoming")
>>> atsnb.find_calls(number="916 123", status="unanswered")   # a search; every argument optional
>>> print(atsnb.route("1733900000.42").text)                   # one call: steps, text, raw PBX rows
"""

__version__ = "0.1.0"

# Heavy modules (pandas, pyarrow) load on first use, so ``import atsnb`` stays fast for the CLI.
_LAZY = {
    "reconstruct": ("atsnb.calls.reconstruct", "reconstruct"),
    "Topology": ("atsnb.calls.topology", "Topology"),
    "CallSet": ("atsnb.calls.callset", "CallSet"),
    "Context": ("atsnb.composition", "Context"),
    "context": ("atsnb.composition", "context"),
    "report": ("atsnb.composition", "report"),
    "load_calls": ("atsnb.composition", "load_calls"),
    "find_calls": ("atsnb.composition", "find_calls"),
    "route": ("atsnb.composition", "route"),
}
_SUBPACKAGES = {"metrics", "reports", "views", "simulate", "flow"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        return getattr(importlib.import_module(module), attribute)
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"atsnb.{name}")
    raise AttributeError(f"module 'atsnb' has no attribute {name!r}")
