"""atsnb — call analytics for Asterisk-based PBXs.

Data flows one way: source (PBX MySQL, or the simulator) → sync → store → calls → metrics →
reports → views / delivery.  Analysts use the names exported here.
"""

__version__ = "0.1.0"
