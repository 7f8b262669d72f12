"""A person answered an incoming call: the talk, maybe a transfer or a park, the hang-ups, a rating.

Which hand-over a call gets is drawn here; the company's :class:`~atsnb.simulate.style.PbxStyle`
says which transfer styles its employees use (:mod:`.transfers` writes them).  Parking leaves a
``Park`` row, then the row to whoever picked the call up from the lot (docs/pbx-data.md).
"""

from __future__ import annotations

import math

from atsnb.simulate.call_records import Call, Leg
from atsnb.simulate.transfers import Transfers

TALK_MEDIAN_S = {"700": 150.0, "701": 240.0, "600": 100.0, "601": 150.0}


class Talk(Transfers):
    """What happens once a person answered an incoming call, until everybody hung up."""

    def _connected(self, call: Call, leg: Leg, t_ans: float) -> None:
        """Talk, maybe a transfer or a park, then hang-up; rows of the answering chain are written."""
        pbx, c = self.pbx, call.c
        call.answer, call.answered_by, call.employee = t_ans, leg.ext, leg.ext
        call.last_target = leg.ext
        if math.isnan(call.up):
            call.up = t_ans
            pbx.answer(c, t_ans)
        pbx.answer(leg.dev, t_ans)
        talk = self.talk_time(TALK_MEDIAN_S.get(call.group, 120.0))
        u = self.rng.random()
        kind = self._styled("blind" if u < 0.045 else "attended" if u < 0.08 else "blonde" if u < 0.09
                            else "park" if u < 0.10 else "")
        if not kind:
            end = t_ans + talk
            self._end_leg(call, leg, t_ans, end)
            call.talk = end - t_ans
            self._hangup_after_talk(call, leg, end)
            return
        others = [e.extension for e in self.co.employees if e.extension != leg.ext]
        target = others[int(self.rng.integers(0, len(others)))]
        call.scenario += f"_{kind}"
        call.transfers = 1
        tt = t_ans + talk * float(self.rng.uniform(0.2, 0.6))
        if kind == "park":
            self._end_leg(call, leg, t_ans, tt)
            call.talk = tt - t_ans
            self._park(call, leg, tt, target)
        else:
            self._transfer(call, leg, t_ans, tt, target, kind)

    def _styled(self, kind: str) -> str:
        """This company's way of making a hand-over of ``kind`` ('' if its employees never do it): a
        consultation first is one of the consultation styles it uses, picked at random."""
        style = self.co.style
        if kind == "attended":
            consulted = style.consulted
            if len(consulted) > 1:
                return consulted[int(self._u() * len(consulted))]
            return consulted[0] if consulted else ""
        return kind if kind in style.transfers else ""

    def _park(self, call: Call, leg: Leg, tp: float, target: str) -> None:
        """The employee parks the caller; a colleague picks the call up from the lot (or the caller leaves)."""
        pbx, c = self.pbx, call.c
        lot = self.co.parking_lot
        pbx.hangup(leg.dev, tp, source=leg.dev)
        if leg.local is not None:
            pbx.hangup(leg.local[1], tp, source=leg.dev)
            pbx.hangup(leg.local[0], tp, source=leg.dev)
            pbx.queue_log(tp, c.uid, leg.queue, f"Local/{leg.ext}@from-queue/n", "COMPLETEAGENT", int(leg.hold),
                          int(tp - call.answer), leg.origpos)
        pbx.event("PARK_START", tp, c, extra={"parker_dial_string": pbx.tech.dial_phone(leg.ext), "parking_lot": "default"})
        picked = self.rng.random() < 0.85
        tpk = tp + float(self.rng.uniform(8.0, 40.0))
        call.rows.append({**self._caller_row(call, None, tp, tp, dst=lot, dcontext="parkedcalls", lastapp="Park",
                                             lastdata=f"default:{lot}"), "end": tpk, "disposition": "ANSWERED"})
        if not picked:
            pbx.event("PARK_END", tpk, c, extra={"reason": "ParkedCallGiveUp"})
            call.hangup_by = "caller"
            call.last_target = lot
            pbx.hangup(c, tpk, source=c)
            self._finish(call, tpk)
            return
        dev = pbx.phone(target, tpk - 1.0, c.linkedid, target, self.emp[target].name, lot, "parkedcalls")
        pbx.event("PARK_END", tpk, c, extra={"reason": "ParkedCallUnparked", "retriever": dev.name})
        call.ring(target)
        call.last_target = target
        end = tpk + self.talk_time(100.0)
        row = self._caller_row(call, dev, tpk, tpk, dst=lot, dcontext="parkedcalls", lastapp="Park",
                               lastdata=f"default:{lot}")
        self._talk_to_target(call, target, dev, row, tpk, end)
