"""Incoming calls, from the trunk to the first person, machine or hang-up: the time condition, the IVR,
queues, ring groups, single extensions, a forward to a mobile and voicemail.

Conventions of a FreePBX-style Asterisk (docs/pbx-data.md shows the rows per scenario):

* The IVR and the queue ``Answer()`` the caller early, so rows created later carry an answer time:
  a queue member who did not pick up gets a NO ANSWER row *with* billsec > 0, and a caller who gives
  up before any phone rang leaves one ANSWERED row with no destination channel.
* Queue members are ``Local/<ext>@from-queue/n`` (the sales queue rings them in turn, ``rrmemory``;
  support rings all free members at once): a caller row to the ``;1`` half per member per ring
  round, and a ``;2`` → phone (``PJSIP/<ext>-…``) row (own uniqueid, same linkedid, ``src`` = the external caller)
  that alone holds the true talk time.
* Ring groups dial the phones directly (one row per rung phone, BUSY for a phone already talking).
* A forward to a mobile goes ``Local/<mobile>@from-internal`` → trunk with ``outbound_cnum`` set.
"""

from __future__ import annotations

import math

import numpy as np

from atsnb.simulate.call_records import DIRECT_RING_S, Call, Leg, member_fields
from atsnb.simulate.company import Company, Line
from atsnb.simulate.pbx import NAN, NO_ANSWER, NORMAL_CLEARING, USER_BUSY, Pbx
from atsnb.simulate.talk import Talk
from atsnb.simulate.traffic import Day

QUEUE_RING_S, QUEUE_RETRY_S, QUEUE_MAX_WAIT_S = 15.0, 5.0, 240.0
GROUP_RING_S = 25.0


class IncomingRoutes(Talk):
    """Routes an incoming call through the company's dialplan until someone answers or the caller leaves."""

    def __init__(self, company: Company, pbx: Pbx, rng: np.random.Generator, days: list[Day],
                 dates: list[str], recordings_share: float):
        super().__init__(company, pbx, rng, days, dates, recordings_share)
        self.turn: dict[str, int] = {}  # queue -> index of the member rung last (rrmemory)

    def incoming(self, t0: float, line: Line, client: str) -> None:
        """``client`` calls the company's ``line`` at ``t0``; the call is played to its last hang-up."""
        cid = line.cid_prefix + client[1:]
        c = self.pbx.trunk(line.trunk, t0, None, cid, cid, line.number, "from-pstn")
        impatient = self.rng.random() < 0.10
        patience = float(self.rng.uniform(1.0, 6.0)) if impatient else float(self.rng.exponential(110.0)) + 6.0
        call = Call(c=c, start=t0, line=line, client=client, cid=cid, scenario="", patience_end=t0 + patience,
                    recorded=self.rng.random() < self.recordings_share)
        route = line.route
        t = t0
        if not self.open_for_calls(line, t0):
            # Time condition: "we are closed" announcement, then the reception's voicemail.
            call.scenario = "after_hours"  # no extension or group is reached: last_target stays empty
            call.up = t0 + 0.4
            self.pbx.answer(c, call.up)
            return self._voicemail(call, self.co.after_hours, t0 + float(self.rng.uniform(7.0, 10.0)), "u")
        if route == "ivr":
            call.up = t0 + 0.4
            self.pbx.answer(c, call.up)
            choice = self._ivr_choice()
            t = t0 + float(self.rng.uniform(6.0, 16.0))  # greeting + menu + key press
            call.patience_end = max(call.patience_end, t0 + 3.0) + (t - t0 if not impatient else 0.0)
            if choice == "hangup" or call.patience_end <= t:
                return self._ivr_hangup(call, min(call.patience_end, t0 + float(self.rng.uniform(3.0, 30.0))))
            route = choice
        kind, _, target = route.partition(":")
        if kind == "queue":
            self._queue(call, target, t)
        elif kind == "group":
            self._group(call, target, t)
        else:
            self._direct(call, target, t)

    def _ivr_choice(self) -> str:
        u, acc = self.rng.random(), 0.0
        for p, dest in self.co.ivr_menu:
            acc += p
            if u < acc:
                return dest
        return self.co.ivr_menu[-1][1]

    def _ivr_hangup(self, call: Call, end: float) -> None:
        call.scenario = "ivr_hangup"
        call.last_target = self.co.ivr
        call.rows.append({**self._caller_row(call, None, call.start, call.up, dst="s", dcontext=self.co.ivr,
                                             lastapp="BackGround", lastdata="custom/ivr-main"),
                          "end": end, "disposition": "ANSWERED"})
        call.hangup_by = "caller"
        self.pbx.hangup(call.c, end, source=call.c)
        self._finish(call, end)

    # .. queue .....................................................................................
    def _queue(self, call: Call, q: str, te: float) -> None:
        pbx, c = self.pbx, call.c
        call.group = q
        call.last_target = q
        call.rec_type, call.rec_to = "q", q
        pbx.queue_log(te, c.uid, q, "NONE", "DID", call.line.number)
        pbx.queue_log(te, c.uid, q, "NONE", "ENTERQUEUE", "", call.cid, 1)
        if math.isnan(call.up):
            call.up = te
            pbx.answer(c, te)
        pbx.event("APP_START", te, c, app="Queue", appdata=f"{q},t,,,{int(QUEUE_MAX_WAIT_S)}", exten=q)
        deadline = te + QUEUE_MAX_WAIT_S
        stop = min(call.patience_end, deadline)
        members = self.co.queues[q]
        busy_until = self.busy_until
        dial = pbx.tech.dial_phone
        r = te + 1.0
        rang_any = False
        while r < stop:
            avail = [m for m in members if busy_until[m] <= r]
            if not avail:
                r = max(r + 1.0, min(self.busy_until[m] for m in members) + 0.5)
                continue
            if self.co.queue_strategy.get(q) == "rrmemory":
                avail = [self._next_in_turn(q, avail)]
            delays = {m: self.pickup_delay(m, r) for m in avail}
            winner = min(delays, key=delays.get)
            t_ans = r + delays[winner]
            connected = delays[winner] < QUEUE_RING_S and t_ans < stop
            ring_stop = t_ans if connected else min(r + QUEUE_RING_S, stop)
            rang_any = True
            for m in avail:
                call.ring(m)
                one, two = pbx.local_pair(m, "from-queue", r, c.linkedid, call.cid, call.cid)
                dev = pbx.phone(m, r + 0.05, c.linkedid, m, self.emp[m].name, m, "from-queue")
                # Every caller row starts with the caller's channel and is answered from entering the
                # queue: the same duration from the caller's start (docs/pbx-data.md).
                row = self._caller_row(call, one, call.start, te, dst=q, dcontext="ext-queues",
                                       lastapp="Queue", lastdata=f"{q},t,,,{int(QUEUE_MAX_WAIT_S)},,,,,")
                member_row = {"a": two, "b": dev, "start": r, "src": call.cid, "dst": m, "dcontext": "from-queue",
                              "lastapp": "Dial", "lastdata": f"{dial(m)},,HhtrM(auto-blkvm)",
                              "clid": f'"{call.cid}" <{call.cid}>', "did": "", "sequence": pbx.next_sequence()}
                if connected and m == winner:
                    pbx.queue_log(t_ans, c.uid, q, f"Local/{m}@from-queue/n", "CONNECT", int(t_ans - te), one.uid,
                                  int(t_ans - r))
                    pbx.event("APP_END", t_ans, c, app="Queue", exten=q)
                    leg = Leg(ext=m, dev=dev, row=row, local=(one, two), member_row=member_row, queue=q,
                              hold=t_ans - te)
                    continue
                # This member stopped ringing at ring_stop without answering.
                call.rows.append({**row, "end": ring_stop, "disposition": "NO ANSWER"})
                pbx.cdr_row(two, dev, r, NAN, ring_stop, **member_fields(member_row), disposition="NO ANSWER")
                pbx.hangup(dev, ring_stop, cause=NO_ANSWER if not connected else NORMAL_CLEARING)
                pbx.hangup(two, ring_stop, dialstatus="CANCEL" if connected else "NOANSWER")
                pbx.hangup(one, ring_stop)
                if not connected:
                    event = "RINGNOANSWER" if ring_stop >= r + QUEUE_RING_S else "RINGCANCELED"
                    pbx.queue_log(ring_stop, c.uid, q, f"Local/{m}@from-queue/n", event, int((ring_stop - r) * 1000))
            if connected:
                call.scenario = "queue_answered"
                self._connected(call, leg, t_ans)
                return
            r = ring_stop + QUEUE_RETRY_S
        # Nobody answered: the caller gave up, or the queue timed out.
        end = stop
        wait = int(end - te)
        pbx.event("APP_END", end, c, app="Queue", exten=q)
        if call.patience_end <= deadline:
            call.scenario = "queue_abandoned"
            pbx.queue_log(end, c.uid, q, "NONE", "ABANDON", 1, 1, wait)
            if not rang_any:
                call.rows.append({**self._caller_row(call, None, call.start, call.up, dst=q, dcontext="ext-queues",
                                                     lastapp="Queue", lastdata=f"{q},t,,,{int(QUEUE_MAX_WAIT_S)},,,,,"),
                                  "end": end, "disposition": "ANSWERED"})
            call.hangup_by = "caller"
            pbx.hangup(c, end, source=c)
            self._finish(call, end)
        else:
            call.scenario = "queue_timeout"
            pbx.queue_log(end, c.uid, q, "NONE", "EXITWITHTIMEOUT", 1, 1, wait)
            self._voicemail(call, members[0], end, "u")

    def _next_in_turn(self, q: str, avail: list[str]) -> str:
        """Round-robin with memory: the first free member after the one rung last time."""
        members = self.co.queues[q]
        last = self.turn.get(q, -1)
        for step in range(1, len(members) + 1):
            m = members[(last + step) % len(members)]
            if m in avail:
                self.turn[q] = members.index(m)
                return m
        return avail[0]

    # .. ring group ................................................................................
    def _group(self, call: Call, g: str, t: float) -> None:
        pbx, c = self.pbx, call.c
        members = self.co.groups[g]
        call.group = g
        call.last_target = g
        call.rec_type, call.rec_to = "rg", g
        stop = min(call.patience_end, t + GROUP_RING_S)
        lastdata = "&".join(pbx.tech.dial_phone(m) for m in members) + f",{int(GROUP_RING_S)},tr"
        delays = {m: (self.pickup_delay(m, t) if self.free(m, t) else math.inf) for m in members}
        winner = min(delays, key=delays.get)
        t_ans = t + delays[winner]
        connected = t_ans < stop
        ring_stop = t_ans if connected else stop
        answer = call.up if not math.isnan(call.up) else NAN
        leg = None
        for m in members:
            call.ring(m)
            dev = pbx.phone(m, t + 0.05, c.linkedid, m, self.emp[m].name, m, "from-internal")
            row = self._caller_row(call, dev, call.start, answer, dst=g, dcontext="ext-group", lastapp="Dial",
                                   lastdata=lastdata)
            if connected and m == winner:
                leg = Leg(ext=m, dev=dev, row=row)
                continue
            if not self.free(m, t):
                call.rows.append({**row, "end": t + 0.1, "disposition": "BUSY"})
                pbx.hangup(dev, t + 0.1, cause=USER_BUSY)
            else:
                call.rows.append({**row, "end": ring_stop, "disposition": "NO ANSWER"})
                pbx.hangup(dev, ring_stop, cause=NO_ANSWER if not connected else NORMAL_CLEARING)
        if leg is not None:
            call.scenario = "group_answered"
            self._connected(call, leg, t_ans)
            return
        if call.patience_end <= stop:
            call.scenario = "group_abandoned"
            call.hangup_by = "caller"
            pbx.hangup(c, stop, source=c, dialstatus="CANCEL")
            self._finish(call, stop)
        elif g == "601":  # the branch group overflows into the sales queue
            self._queue(call, "700", stop + 1.0)
        else:
            call.scenario = "group_voicemail"
            self._voicemail(call, members[0], stop, "u")

    # .. one extension (the red phone on the advertising line, reception from the IVR) .............
    def _direct(self, call: Call, ext: str, t: float) -> None:
        pbx, c = self.pbx, call.c
        call.last_target = ext
        call.rec_type, call.rec_to = "external", ext
        answer = call.up
        if not self.present(ext, t) and ext == self.co.red_phone and self.rng.random() < 0.8:
            return self._forward_mobile(call, ext, t)
        call.ring(ext)
        dev = pbx.phone(ext, t + 0.05, c.linkedid, ext, self.emp[ext].name, ext, "from-internal")
        row = self._caller_row(call, dev, call.start, answer, dst=ext, dcontext="from-did-direct", lastapp="Dial",
                               lastdata=f"{pbx.tech.dial_phone(ext)},{int(DIRECT_RING_S)},trM(auto-blkvm)")
        if not self.free(ext, t):
            call.rows.append({**row, "end": t + 0.2, "disposition": "BUSY"})
            pbx.hangup(dev, t + 0.2, cause=USER_BUSY)
            if ext == self.co.red_phone:
                return self._queue(call, "700", t + 1.0)
            call.scenario = "direct_busy_voicemail"
            return self._voicemail(call, ext, t + 0.3, "b")
        stop = min(call.patience_end, t + DIRECT_RING_S)
        t_ans = t + self.pickup_delay(ext, t)
        if t_ans < stop:
            call.scenario = "direct_answered"
            self._connected(call, Leg(ext=ext, dev=dev, row=row), t_ans)
            return
        call.rows.append({**row, "end": stop, "disposition": "NO ANSWER"})
        pbx.hangup(dev, stop, cause=NO_ANSWER)
        if call.patience_end <= stop:
            call.scenario = "direct_abandoned"
            call.hangup_by = "caller"
            pbx.hangup(c, stop, source=c, dialstatus="CANCEL")
            self._finish(call, stop)
        elif ext == self.co.red_phone:
            self._queue(call, "700", stop + 1.0)
        else:
            call.scenario = "direct_voicemail"
            self._voicemail(call, ext, stop, "u")

    def _forward_mobile(self, call: Call, ext: str, t: float) -> None:
        """The employee forwards calls to the mobile: Local/<mobile>@from-internal → trunk (a mixed call)."""
        pbx, c = self.pbx, call.c
        mobile = self.emp[ext].mobile
        trunk = self.co.outbound_line("").trunk
        call.direction = "mixed"
        call.employee = ext
        call.scenario = "forward_mobile"
        call.rec_type = ""
        one, two = pbx.local_pair(mobile, "from-internal", t, c.linkedid, call.cid, call.cid)
        out = pbx.trunk(trunk, t + 0.3, c.linkedid, mobile, mobile, mobile, "from-internal")
        row = self._caller_row(call, one, call.start, NAN, dst=ext, dcontext="from-did-direct", lastapp="Dial",
                               lastdata=f"Local/{mobile}@from-internal/n,{int(DIRECT_RING_S + 10)},tr")
        member = {"a": two, "b": out, "start": t, "src": call.cid, "dst": mobile, "dcontext": "from-internal",
                  "lastapp": "Dial", "lastdata": f"{pbx.tech.dial_trunk(trunk, mobile)},300,Tt",
                  "clid": f'"{call.cid}" <{call.cid}>', "did": "", "outbound_cnum": call.line.number}
        delay = float(self.rng.uniform(6.0, 22.0)) if self.rng.random() < 0.8 else math.inf
        stop = min(call.patience_end, t + DIRECT_RING_S + 10)
        if t + delay < stop:
            t_ans = t + delay
            end = t_ans + self.talk_time(120.0)
            call.answer, call.talk, call.last_target = t_ans, end - t_ans, mobile
            call.hangup_by = "caller" if self.rng.random() < 0.5 else "callee"
            call.rows.append({**row, "answer": t_ans, "end": end, "disposition": "ANSWERED"})
            pbx.cdr_row(two, out, t, t_ans, end, **member_fields(member), disposition="ANSWERED")
            for ch in (out, two, one, c):
                pbx.answer(ch, t_ans)
            pbx.bridge(c, one, t_ans, end)
            pbx.bridge(two, out, t_ans, end)
            source = c if call.hangup_by == "caller" else out
        else:
            end = stop
            call.last_target = mobile
            call.hangup_by = "caller" if call.patience_end <= stop else "system"
            call.rows.append({**row, "end": end, "disposition": "NO ANSWER"})
            pbx.cdr_row(two, out, t, NAN, end, **member_fields(member), disposition="NO ANSWER")
            source = c
        for ch in (out, two, one):
            pbx.hangup(ch, end, source=source)
        pbx.hangup(c, end, source=source, dialstatus="ANSWER" if call.talk else "NOANSWER")
        self._finish(call, end)

    def _voicemail(self, call: Call, ext: str, t: float, kind: str) -> None:
        """The caller reaches ``ext``'s voicemail (answered by a machine, not a person)."""
        pbx, c = self.pbx, call.c
        if math.isnan(call.up):
            call.up = t
            pbx.answer(c, t)
        leaves = self.rng.random() < 0.55
        end = t + (float(self.rng.uniform(12.0, 45.0)) if leaves else float(self.rng.uniform(2.0, 8.0)))
        call.rec_type = ""
        # The caller's first CDR row was created with the channel; a later one when voicemail began.
        start = t if call.rows else call.start
        call.rows.append({**self._caller_row(call, None, start, call.up, dst=f"vm{kind}{ext}", dcontext="ext-local",
                                             lastapp="VoiceMail", lastdata=f"{ext}@default,{kind}"),
                          "end": end, "disposition": "ANSWERED"})
        pbx.event("APP_START", t, c, app="VoiceMail", appdata=f"{ext}@default,{kind}")
        pbx.event("APP_END", end, c, app="VoiceMail")
        call.hangup_by = "caller"
        pbx.hangup(c, end, source=c)
        self._finish(call, end)
