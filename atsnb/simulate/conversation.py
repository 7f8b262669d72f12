"""A person talks to an incoming caller: the end of the answering chain's rows, the hang-ups, a rating.

The pieces every way of ending a conversation shares — a plain hang-up (:mod:`.talk`), a transfer
(:mod:`.transfers`), a park — so each of them writes the answering phone's rows the same way.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from atsnb.simulate.call_records import Call, CallRecords, Leg, member_fields

UNMATCHED_RATING_EVERY = 25  # about one rating in this many reaches the table without its call


class Conversation(CallRecords):
    """The rows and events of an answered leg, and how the call ends after the last talk."""

    def _end_leg(self, call: Call, leg: Leg, t_ans: float, end: float) -> str:
        """Write the rows of the answering chain ending at ``end`` (hang-up or transfer); returns the
        id of the bridge the caller talked in ('' without CEL)."""
        pbx, c = self.pbx, call.c
        answer = leg.row["answer"] if not math.isnan(leg.row["answer"]) else t_ans
        call.rows.append({**leg.row, "answer": answer, "end": end, "disposition": "ANSWERED"})
        if leg.local is not None:
            one, two = leg.local
            pbx.cdr_row(two, leg.dev, leg.member_row["start"], t_ans, end, **member_fields(leg.member_row),
                        disposition="ANSWERED")
            pbx.answer(two, t_ans)
            pbx.answer(one, t_ans)
            bridge = pbx.bridge(c, one, t_ans, end)
            pbx.bridge(two, leg.dev, t_ans, end)
        else:
            bridge = pbx.bridge(c, leg.dev, t_ans, end)
        self.occupy(leg.ext, end)
        return bridge

    def _hangup_after_talk(self, call: Call, leg: Leg, end: float) -> None:
        pbx, c = self.pbx, call.c
        call.hangup_by = "caller" if self.rng.random() < 0.55 else "callee"
        source = c if call.hangup_by == "caller" else leg.dev
        pbx.hangup(leg.dev, end, source=source)
        if leg.local is not None:
            pbx.hangup(leg.local[1], end, source=source)
            pbx.hangup(leg.local[0], end, source=source)
            pbx.queue_log(end, c.uid, leg.queue, f"Local/{leg.ext}@from-queue/n",
                          "COMPLETECALLER" if call.hangup_by == "caller" else "COMPLETEAGENT",
                          int(leg.hold), int(end - call.answer), leg.origpos)
            if source is leg.dev:
                # The caller's HANGUP names nobody when the far side was behind Local (docs/pbx-data.md).
                source = None
        pbx.hangup(c, end, source=source, dialstatus="ANSWER")
        self._maybe_rating(call, end, leg.ext)
        self._finish(call, end)

    def _maybe_rating(self, call: Call, end: float, ext: str) -> None:
        """After some answered calls the caller stays on the line and rates the operator (1–5)."""
        if call.direction != "incoming" or self.rng.random() >= 0.3 or call.hangup_by != "callee":
            return
        score = int(np.clip(round(self.rng.normal(self.emp[ext].rating_mean, 0.9)), 1, 5))
        # Now and then the module cannot tie the key press to its call (the caller's channel was gone
        # when it wrote the row): the rating comes without linkedid and uniqueid.  Chosen from the
        # call's id, not drawn, so the rest of the simulation stays as it was.
        matched = zlib.crc32(call.c.uid.encode()) % UNMATCHED_RATING_EVERY != 0
        self.ratings.append((end + float(self.rng.uniform(4.0, 12.0)), call.c.linkedid if matched else "",
                             call.c.uid if matched else "", ext, call.cid, score, "Оцените качество обслуживания"))
