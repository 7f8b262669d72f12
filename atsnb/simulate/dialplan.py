"""The company's dialplan, call by call: what happens and which rows a FreePBX-style Asterisk writes.

Each public method plays one call from its first ring to its last hang-up, keeps the employees'
phones busy while they talk (so callers wait and give up at peaks), writes the CDR rows, CEL events
and queue_log lines through :class:`~atsnb.simulate.pbx.Pbx` in the shapes docs/pbx-data.md
describes, and records the ground truth of the call in :attr:`Dialplan.truth`.

The parts, each in its own module:

* :mod:`.staff` — who is at the desk, whose phone is free, when the lines open, people's random draws;
* :mod:`.call_records` — an incoming call's state, the caller's CDR rows, the ground-truth rows;
* :mod:`.incoming` — the time condition, IVR, queues, ring groups, direct calls, forwards, voicemail;
* :mod:`.talk` — a person answered: talk, which hand-over (if any), parking;
* :mod:`.transfers` — blind, attended, blonde, ``*2`` and phone (REFER) transfers in the company's styles;
* :mod:`.conversation` — the answering chain's rows, the hang-ups, ratings;
* :mod:`.outgoing` — calls to clients, internal calls, website callbacks.
"""

from __future__ import annotations

from atsnb.simulate.call_records import TRUTH_FIELDS
from atsnb.simulate.incoming import IncomingRoutes
from atsnb.simulate.outgoing import OutgoingCalls

__all__ = ["TRUTH_FIELDS", "Dialplan"]


class Dialplan(IncomingRoutes, OutgoingCalls):
    """Plays calls through the company's PBX, in arrival order, keeping phones busy in between."""
