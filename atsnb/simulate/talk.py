"""A person answered an incoming call: the talk, maybe a transfer or a park, the hang-ups, a rating.

Rows a transfer leaves (docs/pbx-data.md shows them per scenario):

* blind — a second caller row starting (and answered) at the transfer moment;
* attended — the employee's consultation row (own uniqueid, the caller's linkedid) plus a caller row
  to the target;
* blonde — as attended, but the consultation row is NO ANSWER;
* parking — a ``Park`` row, then the row to whoever picked the call up from the lot.
"""

from __future__ import annotations

import math

import numpy as np

from atsnb.simulate.call_records import DIRECT_RING_S, Call, CallRecords, Leg, member_fields
from atsnb.simulate.pbx import NAN, NO_ANSWER, USER_BUSY

TALK_MEDIAN_S = {"700": 150.0, "701": 240.0, "600": 100.0, "601": 150.0}


class Talk(CallRecords):
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
        kind = ("blind" if u < 0.045 else "attended" if u < 0.08 else "blonde" if u < 0.09
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

    def _end_leg(self, call: Call, leg: Leg, t_ans: float, end: float) -> None:
        """Write the rows of the answering chain ending at ``end`` (hang-up or transfer)."""
        pbx, c = self.pbx, call.c
        answer = leg.row["answer"] if not math.isnan(leg.row["answer"]) else t_ans
        call.rows.append({**leg.row, "answer": answer, "end": end, "disposition": "ANSWERED"})
        if leg.local is not None:
            one, two = leg.local
            pbx.cdr_row(two, leg.dev, leg.member_row["start"], t_ans, end, **member_fields(leg.member_row),
                        disposition="ANSWERED")
            pbx.answer(two, t_ans)
            pbx.answer(one, t_ans)
            pbx.bridge(c, one, t_ans, end)
            pbx.bridge(two, leg.dev, t_ans, end)
        else:
            pbx.bridge(c, leg.dev, t_ans, end)
        self.occupy(leg.ext, end)

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

    def _transfer(self, call: Call, leg: Leg, t_ans: float, tt: float, target: str, kind: str) -> None:
        """Blind, attended or blonde transfer by ``leg.ext`` to ``target``, started at ``tt``."""
        pbx, c = self.pbx, call.c
        a = leg.ext
        busy = not self.free(target, tt)
        ring = math.inf if busy else self.pickup_delay(target, tt)
        new_dev = pbx.channel(target, tt + 0.1, c.linkedid, target, self.emp[target].name, target, "from-internal")
        consult_row = {"src": a, "dst": target, "dcontext": "from-internal", "lastapp": "Dial",
                       "lastdata": f"PJSIP/{target},,HhtrM(auto-blkvm)", "clid": f'"{self.emp[a].name}" <{a}>',
                       "cnum": a, "cnam": self.emp[a].name}
        if kind == "blind":
            done = tt
            t_target = tt + ring
            pbx.event("BLINDTRANSFER", tt, leg.dev, extra={"extension": target, "context": "from-internal-xfer",
                                                          "transferee_channel_name": c.name,
                                                          "transferee_channel_uniqueid": c.uid})
        else:
            consult = pbx.channel(a, tt, c.linkedid, a, self.emp[a].name, target, "from-internal")
            if kind == "attended" and ring < DIRECT_RING_S:
                consult_ans = tt + ring
                done = consult_ans + float(self.rng.uniform(10.0, 40.0))  # they talk, then A completes
                pbx.cdr_row(consult, new_dev, tt, consult_ans, done, **consult_row, disposition="ANSWERED")
                pbx.answer(new_dev, consult_ans)
                pbx.bridge(consult, new_dev, consult_ans, done)
                t_target = done
            else:  # blonde: the employee completes the transfer while the target still rings
                if kind == "attended":  # nobody picked up the consultation: it became a blonde transfer
                    call.scenario = call.scenario.removesuffix("_attended") + "_blonde"
                kind = "blonde"
                done = tt + float(self.rng.uniform(1.5, 4.0))
                pbx.cdr_row(consult, new_dev, tt, NAN, done, **consult_row, disposition="NO ANSWER")
                t_target = tt + ring
            pbx.event("ATTENDEDTRANSFER", done, leg.dev, extra={"channel2_name": consult.name,
                                                               "channel2_uniqueid": consult.uid,
                                                               "transferee_channel_name": c.name,
                                                               "transfer_target_channel_name": new_dev.name})
            pbx.hangup(consult, done)
        # The caller's row to the employee lasts until the transfer completes (on hold meanwhile).
        self._end_leg(call, leg, t_ans, done)
        call.talk = done - t_ans
        pbx.hangup(leg.dev, done, source=leg.dev)
        if leg.local is not None:
            pbx.hangup(leg.local[1], done, source=leg.dev)
            pbx.hangup(leg.local[0], done, source=leg.dev)
            data = (target, "from-internal-xfer") if kind == "blind" else ("BRIDGE", pbx.bridge_id())
            pbx.queue_log(done, c.uid, leg.queue, f"Local/{a}@from-queue/n",
                          "BLINDTRANSFER" if kind == "blind" else "ATTENDEDTRANSFER", *data,
                          int(leg.hold), int(done - t_ans), leg.origpos)
        call.ring(target)
        call.last_target = target
        previous = call.rows[-1]
        # The caller's new row starts, and is answered, at the moment of the transfer (docs/pbx-data.md).
        row = self._caller_row(call, new_dev, done, done, dst=target, dcontext="from-internal-xfer",
                               lastapp=previous["lastapp"], lastdata=previous["lastdata"])
        stop = done + DIRECT_RING_S
        if t_target < stop:
            end = t_target + self.talk_time(120.0)
            call.rows.append({**row, "end": end, "disposition": "ANSWERED"})
            pbx.answer(new_dev, t_target)
            pbx.bridge(c, new_dev, t_target, end)
            call.talk += end - t_target
            self.occupy(target, end)
            self._hangup_after_talk(call, Leg(ext=target, dev=new_dev, row=row), end)
        else:
            end = stop if not busy else done + 1.0
            call.rows.append({**row, "end": end, "disposition": "NO ANSWER" if not busy else "BUSY"})
            call.hangup_by = "caller" if not busy else "system"
            pbx.hangup(new_dev, end, cause=NO_ANSWER if not busy else USER_BUSY)
            pbx.hangup(c, end, source=c if not busy else None, dialstatus="NOANSWER" if not busy else "BUSY")
            self._finish(call, end)

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
        pbx.event("PARK_START", tp, c, extra={"parker_dial_string": f"PJSIP/{leg.ext}", "parking_lot": "default"})
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
        dev = pbx.channel(target, tpk - 1.0, c.linkedid, target, self.emp[target].name, lot, "parkedcalls")
        pbx.event("PARK_END", tpk, c, extra={"reason": "ParkedCallUnparked", "retriever": dev.name})
        call.ring(target)
        call.last_target = target
        end = tpk + self.talk_time(100.0)
        row = self._caller_row(call, dev, tpk, tpk, dst=lot, dcontext="parkedcalls", lastapp="Park",
                               lastdata=f"default:{lot}")
        call.rows.append({**row, "end": end, "disposition": "ANSWERED"})
        pbx.bridge(c, dev, tpk, end)
        call.talk += end - tpk
        self.occupy(target, end)
        self._hangup_after_talk(call, Leg(ext=target, dev=dev, row=row), end)

    def _maybe_rating(self, call: Call, end: float, ext: str) -> None:
        """After some answered calls the caller stays on the line and rates the operator (1–5)."""
        if call.direction != "incoming" or self.rng.random() >= 0.3 or call.hangup_by != "callee":
            return
        score = int(np.clip(round(self.rng.normal(self.emp[ext].rating_mean, 0.9)), 1, 5))
        self.ratings.append((end + float(self.rng.uniform(4.0, 12.0)), call.c.linkedid, call.c.uid, ext, call.cid,
                             score, "Оцените качество обслуживания"))
