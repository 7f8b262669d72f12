"""An employee hands an answered incoming call to a colleague, in the shapes a real Asterisk writes.

The styles (a company uses those its :class:`~atsnb.simulate.style.PbxStyle` names; docs/simulator.md
shows every row):

* blind — a second caller row starting (and answered) at the transfer moment (``from-internal-xfer``);
* attended — the employee's consultation from the phone's second line (own uniqueid, the caller's
  linkedid), then a caller row to the target;
* blonde — as attended, but the consultation row is NO ANSWER: the employee completed the transfer
  while the colleague's phone still rang.  A consultation nobody answers ends this way in every style;
* atxfer — the transfer key ``*2`` (or AMI Atxfer) as Asterisk 22 writes it: six rows, the
  consultation going through a ``Local/<target>@from-internal`` channel;
* refer — a SIP phone's own attended transfer: the consultation is a call of its own with its own
  linkedid, tied to the caller's call only by CEL's ATTENDEDTRANSFER.

In every style the truth counts the caller's hold during a consultation as talk of the call, and
the consultation itself as nobody's talk with the caller.
"""

from __future__ import annotations

import math

from atsnb.simulate.call_records import DIRECT_RING_S, Call, Leg
from atsnb.simulate.conversation import Conversation
from atsnb.simulate.pbx import NAN, NO_ANSWER, USER_BUSY, Channel

#: What Asterisk puts in ``lastdata`` of a channel that was dialled and runs no dialplan (app AppDial).
OUTGOING_LINE = "(Outgoing Line)"


class Transfers(Conversation):
    """Blind, attended, blonde, ``*2`` and phone (REFER) transfers of an answered incoming call."""

    def _transfer(self, call: Call, leg: Leg, t_ans: float, tt: float, target: str, kind: str) -> None:
        """A transfer of style ``kind`` by ``leg.ext`` to ``target``, started at ``tt``."""
        pbx, c = self.pbx, call.c
        a = leg.ext
        busy = not self.free(target, tt)
        ring = math.inf if busy else self.pickup_delay(target, tt)
        if kind in ("atxfer", "refer") and ring < DIRECT_RING_S:
            consult = self._atxfer if kind == "atxfer" else self._refer
            consult(call, leg, t_ans, tt, tt + ring, target)
            return
        new_dev = pbx.phone(target, tt + 0.1, c.linkedid, target, self.emp[target].name, target, "from-internal")
        consult_row = {"src": a, "dst": target, "dcontext": "from-internal", "lastapp": "Dial",
                       "lastdata": self._dial_colleague(target), "clid": f'"{self.emp[a].name}" <{a}>',
                       "cnum": a, "cnam": self.emp[a].name}
        if kind == "blind":
            done = tt
            t_target = tt + ring
            pbx.event("BLINDTRANSFER", tt, leg.dev, extra={"extension": target, "context": "from-internal-xfer",
                                                          "transferee_channel_name": c.name,
                                                          "transferee_channel_uniqueid": c.uid})
        else:
            consult = pbx.phone(a, tt, c.linkedid, a, self.emp[a].name, target, "from-internal", second=True)
            if kind == "attended" and ring < DIRECT_RING_S:
                consult_ans = tt + ring
                done = consult_ans + float(self.rng.uniform(10.0, 40.0))  # they talk, then A completes
                pbx.cdr_row(consult, new_dev, tt, consult_ans, done, **consult_row, disposition="ANSWERED")
                pbx.answer(new_dev, consult_ans)
                pbx.bridge(consult, new_dev, consult_ans, done)
                t_target = done
            else:  # blonde: the employee completes the transfer while the target still rings
                if kind != "blonde":  # nobody picked up the consultation: it became a blonde transfer
                    call.scenario = call.scenario.removesuffix(f"_{kind}") + "_blonde"
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
        self._queue_member_transferred(call, leg, t_ans, done, target if kind == "blind" else "")
        call.ring(target)
        call.last_target = target
        previous = call.rows[-1]
        # The caller's new row starts, and is answered, at the moment of the transfer (docs/pbx-data.md).
        row = self._caller_row(call, new_dev, done, done, dst=target, dcontext="from-internal-xfer",
                               lastapp=previous["lastapp"], lastdata=previous["lastdata"])
        stop = done + DIRECT_RING_S
        if t_target < stop:
            end = t_target + self.talk_time(120.0)
            pbx.answer(new_dev, t_target)
            self._talk_to_target(call, target, new_dev, row, t_target, end)
        else:
            end = stop if not busy else done + 1.0
            call.rows.append({**row, "end": end, "disposition": "NO ANSWER" if not busy else "BUSY"})
            call.hangup_by = "caller" if not busy else "system"
            pbx.hangup(new_dev, end, cause=NO_ANSWER if not busy else USER_BUSY)
            pbx.hangup(c, end, source=c if not busy else None, dialstatus="NOANSWER" if not busy else "BUSY")
            self._finish(call, end)

    def _atxfer(self, call: Call, leg: Leg, t_ans: float, c0: float, c1: float, target: str) -> None:
        """``*2``: the employee dials ``target`` at ``c0`` through a Local channel, the colleague answers
        at ``c1``, the employee completes at ``c2``; six rows (docs/simulator.md)."""
        pbx, c = self.pbx, call.c
        a, agent = leg.ext, leg.dev
        name = self.emp[a].name
        c2 = c1 + float(self.rng.uniform(10.0, 40.0))
        bridge1 = self._end_leg(call, leg, t_ans, c0)  # 1: the employee leaves the caller's bridge at *2
        held = call.rows[-1]
        one, two = pbx.local_pair(target, "from-internal", c0, c.linkedid, call.cid, call.cid)
        dev = pbx.phone(target, c0 + 0.1, c.linkedid, target, self.emp[target].name, target, "from-internal")
        caller_clid = f'"{call.cid}" <{call.cid}>'
        # 2: the caller on hold is paired with the Local half the employee dialled.
        call.rows.append({**self._caller_row(call, one, c0, c0, dst=held["dst"], dcontext=held["dcontext"],
                                             lastapp=held["lastapp"], lastdata=held["lastdata"]),
                          "end": c2, "disposition": "ANSWERED"})
        # 3: the Local half that rings the colleague offers the caller's number.
        pbx.cdr_row(two, dev, c0, c1, c2, src=call.cid, dst=target, dcontext="from-internal", lastapp="Dial",
                    lastdata=self._dial_colleague(target), disposition="ANSWERED", clid=caller_clid)
        # 4: the consultation, owned by the employee's channel.
        pbx.cdr_row(agent, one, c0, c1, c2, src=a, dst=target, dcontext="from-internal", lastapp="AppDial",
                    lastdata=OUTGOING_LINE, disposition="ANSWERED", clid=f'"{name}" <{a}>', cnum=a, cnam=name)
        for ch in (dev, two, one):
            pbx.answer(ch, c1)
        bridge2 = pbx.bridge(agent, one, c1, c2)
        pbx.bridge(two, dev, c1, c2)
        pbx.event("ATTENDEDTRANSFER", c2, agent, extra=_attended_transfer(bridge1, agent, bridge2, c, one))
        # 5: the Local channel steps out of the way; its first half leaves a row of no length.
        pbx.cdr_row(one, None, c2, c2, c2, src=call.cid, dst=target, dcontext="from-internal", lastapp="AppDial",
                    lastdata=OUTGOING_LINE, disposition="ANSWERED", clid=caller_clid)
        pbx.hangup(agent, c2, source=agent)
        pbx.hangup(two, c2, source=agent)
        pbx.hangup(one, c2, source=agent)
        self.occupy(a, c2)
        self._completed(call, leg, t_ans, c2, target, dev, held)  # 6: the caller with the colleague

    def _refer(self, call: Call, leg: Leg, t_ans: float, c0: float, c1: float, target: str) -> None:
        """The phone's transfer button: a second call from the phone (its own linkedid) to ``target``,
        answered at ``c1``; at ``c2`` the phone asks the PBX to join the caller and the colleague."""
        pbx, c = self.pbx, call.c
        a, agent = leg.ext, leg.dev
        name = self.emp[a].name
        c2 = c1 + float(self.rng.uniform(10.0, 40.0))
        second = pbx.phone(a, c0, None, a, name, target, "from-internal", second=True)  # a call of its own
        dev = pbx.phone(target, c0 + 0.1, second.linkedid, target, self.emp[target].name, target, "from-internal")
        pbx.cdr_row(second, dev, c0, c1, c2, src=a, dst=target, dcontext="from-internal", lastapp="Dial",
                    lastdata=self._dial_colleague(target), disposition="ANSWERED", clid=f'"{name}" <{a}>',
                    cnum=a, cnam=name)
        pbx.answer(dev, c1)
        bridge2 = pbx.bridge(second, dev, c1, c2)
        bridge1 = self._end_leg(call, leg, t_ans, c2)  # the caller's row to the employee, on hold till c2
        held = call.rows[-1]
        extra = _attended_transfer(bridge1, second, bridge2, c, dev)
        pbx.event("ATTENDEDTRANSFER", c2, agent, extra=extra)
        dev.linkedid = c.linkedid  # bridged with the caller: the older linkedid wins
        pbx.hangup(second, c2, source=agent)
        pbx.linkedid_end(second, c2)
        pbx.hangup(agent, c2, source=agent)
        self._completed(call, leg, t_ans, c2, target, dev, held)

    def _completed(self, call: Call, leg: Leg, t_ans: float, c2: float, target: str, dev: Channel,
                   held: dict) -> None:
        """The consultation ended in a transfer at ``c2``: the caller's row to the colleague starts and is
        answered then, still in the caller's dialplan place (dst, lastapp as before)."""
        call.talk = c2 - t_ans  # the talk with the employee and the hold during the consultation
        self._queue_member_transferred(call, leg, t_ans, c2, "")
        call.ring(target)
        call.last_target = target
        row = self._caller_row(call, dev, c2, c2, dst=held["dst"], dcontext=held["dcontext"],
                               lastapp=held["lastapp"], lastdata=held["lastdata"])
        self._talk_to_target(call, target, dev, row, c2, c2 + self.talk_time(120.0))

    def _talk_to_target(self, call: Call, target: str, dev: Channel, row: dict, t: float, end: float) -> None:
        """The caller talks to the colleague from ``t`` to ``end``, then somebody hangs up."""
        call.rows.append({**row, "end": end, "disposition": "ANSWERED"})
        self.pbx.bridge(call.c, dev, t, end)
        call.talk += end - t
        self.occupy(target, end)
        self._hangup_after_talk(call, Leg(ext=target, dev=dev, row=row), end)

    def _queue_member_transferred(self, call: Call, leg: Leg, t_ans: float, done: float, blind_to: str) -> None:
        """A queue member's Local channel ends with the transfer, and queue_log says how it ended."""
        if leg.local is None:
            return
        pbx = self.pbx
        pbx.hangup(leg.local[1], done, source=leg.dev)
        pbx.hangup(leg.local[0], done, source=leg.dev)
        data = (blind_to, "from-internal-xfer") if blind_to else ("BRIDGE", pbx.bridge_id())
        pbx.queue_log(done, call.c.uid, leg.queue, f"Local/{leg.ext}@from-queue/n",
                      "BLINDTRANSFER" if blind_to else "ATTENDEDTRANSFER", *data,
                      int(leg.hold), int(done - t_ans), leg.origpos)

    def _dial_colleague(self, target: str) -> str:
        return f"{self.pbx.tech.dial_phone(target)},,HhtrM(auto-blkvm)"


def _attended_transfer(bridge1: str, transferer: Channel, bridge2: str, transferee: Channel,
                       target: Channel) -> dict[str, str]:
    """CEL ATTENDEDTRANSFER's JSON: the two bridges, the transferer's channel in the second one, the
    party transferred and the party it goes to."""
    return {"bridge1_id": bridge1, "channel2_name": transferer.name, "channel2_uniqueid": transferer.uid,
            "bridge2_id": bridge2, "transferee_channel_name": transferee.name,
            "transferee_channel_uniqueid": transferee.uid, "transfer_target_channel_name": target.name,
            "transfer_target_channel_uniqueid": target.uid}
