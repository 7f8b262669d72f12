"""The company's dialplan, call by call: what happens and which rows a FreePBX-style Asterisk writes.

Each public method plays one call from its first ring to its last hang-up, keeps the employees'
phones busy while they talk (so callers wait and give up at peaks), writes the CDR rows, CEL events
and queue_log lines through :class:`~atsnb.simulate.pbx.Pbx` in the shapes of research §2.4/§2.7/§8,
and records the ground truth of the call in :attr:`Dialplan.truth`.

Conventions taken from Asterisk and FreePBX:

* Party A of every row of an incoming call is the trunk channel; the caller's CDR variables
  (``did``, ``recordingfile``) are on all its rows.
* The IVR and the queue ``Answer()`` the caller early, so rows created later carry an answer time:
  a queue member who did not pick up gets a NO ANSWER row *with* billsec > 0, and a caller who gives
  up before any phone rang leaves one ANSWERED row with no destination channel.
* Queue members are ``Local/<ext>@from-queue/n`` (the sales queue rings them in turn, ``rrmemory``;
  support rings all free members at once): a caller row to the ``;1`` half per member per ring
  round, and a ``;2`` → ``PJSIP/<ext>`` row (own uniqueid, same linkedid, ``src`` = the external caller)
  that alone holds the true talk time.
* Ring groups dial the phones directly (one row per rung phone, BUSY for a phone already talking).
* Transfers: blind — a second caller row starting (and answered) at the transfer moment; attended —
  the employee's consultation row (own uniqueid, caller's linkedid) plus a caller row to the target;
  blonde — the consultation row is NO ANSWER; parking — a ``Park`` row, then the row to whoever
  picked the call up from the lot.
* A forward to a mobile goes ``Local/<mobile>@from-internal`` → trunk with ``outbound_cnum`` set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from atsnb.simulate.company import SUPPORT, Company, Line
from atsnb.simulate.pbx import CONGESTION, NAN, NO_ANSWER, NORMAL_CLEARING, USER_BUSY, Channel, Pbx
from atsnb.simulate.traffic import Day

TRUTH_FIELDS = ("call_id", "scenario", "direction", "status", "start", "answer", "end", "caller", "dialed",
                "external_number", "line", "answered_by", "employee", "rang", "last_target", "group", "wait_s",
                "talk_s", "transfers", "hangup_by", "recording")

QUEUE_RING_S, QUEUE_RETRY_S, QUEUE_MAX_WAIT_S = 15.0, 5.0, 240.0
GROUP_RING_S, DIRECT_RING_S = 25.0, 20.0
SHORT_ABANDON_S = 5.0
TALK_MEDIAN_S = {"700": 150.0, "701": 240.0, "600": 100.0, "601": 150.0}


@dataclass
class Call:
    """What one incoming call has gone through so far (becomes its ground-truth row)."""

    c: Channel
    start: float
    line: Line
    client: str  # 11 digits, 7…
    cid: str  # as the trunk delivered it
    scenario: str
    patience_end: float
    up: float = NAN  # when the PBX (IVR, queue, voicemail) or a person answered the caller's channel
    answer: float = NAN  # when a person first answered
    answered_by: str = ""
    talk: float = 0.0
    transfers: int = 0
    rang: list[str] = field(default_factory=list)
    last_target: str = ""
    group: str = ""
    hangup_by: str = ""
    direction: str = "incoming"
    employee: str = ""
    rows: list[dict] = field(default_factory=list)  # the caller's CDR rows, written at its hang-up
    recorded: bool = False
    rec_type: str = ""
    rec_to: str = ""

    def ring(self, ext: str) -> None:
        if ext not in self.rang:
            self.rang.append(ext)


@dataclass
class Leg:
    """The phone that answered a call and the chain of channels in between."""

    ext: str
    dev: Channel  # PJSIP/<ext>
    row: dict  # the caller's row to this leg, without its end
    local: tuple[Channel, Channel] | None = None  # Local ;1/;2 when reached through a queue
    member_row: dict | None = None  # the ;2 → phone row, without its end
    queue: str = ""
    hold: float = 0.0  # seconds in queue before CONNECT
    origpos: int = 1


class Dialplan:
    """Plays calls through the company's PBX, in arrival order, keeping phones busy in between."""

    def __init__(self, company: Company, pbx: Pbx, rng: np.random.Generator, days: list[Day],
                 dates: list[str], recordings_share: float):
        self.co = company
        self.dates = dates  # YYYYMMDD of each day, for recording names
        self.pbx = pbx
        self.rng = rng
        self.days = days
        self.first_midnight = days[0].midnight if days else 0.0
        self.recordings_share = recordings_share
        self.busy_until: dict[str, float] = {e.extension: 0.0 for e in company.employees}
        self.turn: dict[str, int] = {}  # queue -> index of the member rung last (rrmemory)
        self.emp = company.by_ext
        self.truth: list[tuple] = []
        self.ratings: list[tuple] = []
        self.callbacks: list[tuple] = []  # the module's row + when the call ended (not a column)
        self.missed: list[tuple[float, str, str, str]] = []  # (end, client, last_target, group)
        # Per day and employee: lunch start (hour) and whether they are at the desk at all that day.
        # Plain lists and tuples: present() runs for every phone of every ring, numpy scalars cost more.
        n_days, n_emp = max(len(days), 1) + 2, len(company.employees)
        self.lunch = rng.uniform(12.5, 14.0, size=(n_days, n_emp)).tolist()
        self.absent = (rng.random((n_days, n_emp)) < 0.05).tolist()
        last = days[-1].weekday if days else 0
        self.weekdays = [d.weekday for d in days] + [(last + j) % 7 for j in range(1, 3)]
        # extension -> (column in the day tables, works Saturdays, end of the weekday shift)
        self.desk = {e.extension: (i, e.saturday, 20.0 if e.department == SUPPORT else 18.0)
                     for i, e in enumerate(company.employees)}
        self.log_pickup = {e.extension: math.log(e.pickup_s) for e in company.employees}
        self._uniforms: list[float] = []
        self._normals: list[float] = []

    # -- people --------------------------------------------------------------------------------
    def present(self, ext: str, t: float) -> bool:
        """At the desk: working hours (Saturday duty for some of support), not at lunch, not absent."""
        x = t - self.first_midnight
        i = int(x // 86400)
        hour = (x - i * 86400) / 3600.0
        row = min(max(i, 0), len(self.lunch) - 1)
        k, saturday, shift_end = self.desk[ext]
        if self.absent[row][k]:
            return False
        weekday = self.weekdays[row]
        if weekday == 6 or (weekday == 5 and not saturday):
            return False
        start, stop = (10.0, 16.0) if weekday == 5 else (9.0, shift_end)
        if not start <= hour < stop:
            return False
        lunch = self.lunch[row][k]
        return not lunch <= hour < lunch + 0.75

    def open_for_calls(self, line: Line, t: float) -> bool:
        """The lines' time condition: 8–20 on weekdays, support also 10–16 on Saturdays; the advertising
        line never closes (its red phone forwards to a mobile when nobody is at the desk)."""
        if line.purpose == "advertising":
            return True
        x = t - self.first_midnight
        i = int(x // 86400)
        hour = (x - i * 86400) / 3600.0
        weekday = self.weekdays[min(max(i, 0), len(self.weekdays) - 1)]
        if weekday < 5:
            return 8.0 <= hour < 20.0
        return weekday == 5 and line.purpose == "support" and 10.0 <= hour < 16.0

    def free(self, ext: str, t: float) -> bool:
        return self.busy_until[ext] <= t

    def _u(self) -> float:
        """A uniform [0, 1) draw from a pre-drawn batch (a numpy call per draw costs more than the draw)."""
        if not self._uniforms:
            self._uniforms = self.rng.random(4096).tolist()
        return self._uniforms.pop()

    def _z(self) -> float:
        """A standard normal draw from a pre-drawn batch."""
        if not self._normals:
            self._normals = self.rng.standard_normal(4096).tolist()
        return self._normals.pop()

    def pickup_delay(self, ext: str, t: float) -> float:
        """Seconds until ``ext`` picks up a phone ringing from ``t`` (inf if nobody will)."""
        if not self.present(ext, t) or self._u() < 0.08:
            return math.inf
        return math.exp(self.log_pickup[ext] + 0.45 * self._z()) + 1.0

    def occupy(self, ext: str, until: float) -> None:
        self.busy_until[ext] = max(self.busy_until[ext], until + 5.0 + 25.0 * self._u())

    def talk_time(self, median: float) -> float:
        return max(4.0, math.exp(math.log(median) + 0.75 * self._z()))

    # -- incoming ------------------------------------------------------------------------------
    def incoming(self, t0: float, line: Line, client: str) -> None:
        cid = line.cid_prefix + client[1:]
        c = self.pbx.channel(line.trunk, t0, None, cid, cid, line.number, "from-pstn")
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

    def _caller_row(self, call: Call, b: Channel | None, start: float, answer: float, *, dst: str, dcontext: str,
                    lastapp: str, lastdata: str) -> dict:
        return {"a": call.c, "b": b, "start": start, "answer": answer, "src": call.cid, "dst": dst,
                "dcontext": dcontext, "lastapp": lastapp, "lastdata": lastdata,
                "clid": f'"{call.cid}" <{call.cid}>', "did": call.line.number, "sequence": self.pbx.next_sequence()}

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
                dev = pbx.channel(m, r + 0.05, c.linkedid, m, self.emp[m].name, m, "from-queue")
                # Every caller row starts with the caller's channel and is answered from entering the
                # queue (spec "Queue, round-robin": the same duration from the caller's start; research §8).
                row = self._caller_row(call, one, call.start, te, dst=q, dcontext="ext-queues",
                                       lastapp="Queue", lastdata=f"{q},t,,,{int(QUEUE_MAX_WAIT_S)},,,,,")
                member_row = {"a": two, "b": dev, "start": r, "src": call.cid, "dst": m, "dcontext": "from-queue",
                              "lastapp": "Dial", "lastdata": f"PJSIP/{m},,HhtrM(auto-blkvm)",
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
                pbx.cdr_row(two, dev, r, NAN, ring_stop, **_member_fields(member_row), disposition="NO ANSWER")
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
        lastdata = "&".join(f"PJSIP/{m}" for m in members) + f",{int(GROUP_RING_S)},tr"
        delays = {m: (self.pickup_delay(m, t) if self.free(m, t) else math.inf) for m in members}
        winner = min(delays, key=delays.get)
        t_ans = t + delays[winner]
        connected = t_ans < stop
        ring_stop = t_ans if connected else stop
        answer = call.up if not math.isnan(call.up) else NAN
        leg = None
        for m in members:
            call.ring(m)
            dev = pbx.channel(m, t + 0.05, c.linkedid, m, self.emp[m].name, m, "from-internal")
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
        dev = pbx.channel(ext, t + 0.05, c.linkedid, ext, self.emp[ext].name, ext, "from-internal")
        row = self._caller_row(call, dev, call.start, answer, dst=ext, dcontext="from-did-direct", lastapp="Dial",
                               lastdata=f"PJSIP/{ext},{int(DIRECT_RING_S)},trM(auto-blkvm)")
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
        out = pbx.channel(trunk, t + 0.3, c.linkedid, mobile, mobile, mobile, "from-internal")
        row = self._caller_row(call, one, call.start, NAN, dst=ext, dcontext="from-did-direct", lastapp="Dial",
                               lastdata=f"Local/{mobile}@from-internal/n,{int(DIRECT_RING_S + 10)},tr")
        member = {"a": two, "b": out, "start": t, "src": call.cid, "dst": mobile, "dcontext": "from-internal",
                  "lastapp": "Dial", "lastdata": f"PJSIP/{mobile}@{trunk},300,Tt",
                  "clid": f'"{call.cid}" <{call.cid}>', "did": "", "outbound_cnum": call.line.number}
        delay = float(self.rng.uniform(6.0, 22.0)) if self.rng.random() < 0.8 else math.inf
        stop = min(call.patience_end, t + DIRECT_RING_S + 10)
        if t + delay < stop:
            t_ans = t + delay
            end = t_ans + self.talk_time(120.0)
            call.answer, call.talk, call.last_target = t_ans, end - t_ans, mobile
            call.hangup_by = "caller" if self.rng.random() < 0.5 else "callee"
            call.rows.append({**row, "answer": t_ans, "end": end, "disposition": "ANSWERED"})
            pbx.cdr_row(two, out, t, t_ans, end, **_member_fields(member), disposition="ANSWERED")
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
            pbx.cdr_row(two, out, t, NAN, end, **_member_fields(member), disposition="NO ANSWER")
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

    # .. a person answered ........................................................................
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
            pbx.cdr_row(two, leg.dev, leg.member_row["start"], t_ans, end, **_member_fields(leg.member_row),
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
                source = None  # research §8: the caller's HANGUP names nobody when the far side was behind Local
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
        # Research §8: the caller's new row starts, and is answered, at the moment of the transfer.
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

    # .. end of an incoming call ...................................................................
    def _finish(self, call: Call, end: float) -> None:
        pbx = self.pbx
        rec = ""
        if call.recorded and call.rec_type and call.talk > 0:
            stamp = self._stamp(call.start)
            rec = f"{call.rec_type}-{call.rec_to}-{call.cid}-{stamp}-{call.c.uid}.wav"
        for row in call.rows:
            a, b = row.pop("a"), row.pop("b")
            pbx.cdr_row(a, b, **row, rec=rec if a is call.c else "", written=end)
        pbx.linkedid_end(call.c, end)
        answered = call.talk > 0
        wait = (call.answer - call.start) if answered else end - call.start
        if answered:
            status = "answered"
        elif call.direction == "incoming" and end - call.start <= SHORT_ABANDON_S and call.hangup_by == "caller":
            status = "dropped"
        else:
            status = "unanswered"
        if not answered and call.direction == "incoming":
            self.missed.append((end, call.client, call.last_target, call.group))
        self.truth.append((call.c.linkedid, call.scenario, call.direction, status, call.start,
                           call.answer if answered else NAN, end, call.cid, call.line.number, call.client,
                           call.line.number, call.answered_by if answered else "",
                           call.employee if (answered or call.direction == "mixed") else "",
                           ",".join(call.rang), call.last_target, call.group, round(wait, 3),
                           round(call.talk, 3), call.transfers, call.hangup_by, rec))

    def _stamp(self, t: float) -> str:
        """``YYYYMMDD-HHMMSS`` in PBX local time (recording names)."""
        i = int((t - self.first_midnight) // 86400)
        if not 0 <= i < len(self.dates):
            return "19700101-000000"
        secs = int(t - self.days[i].midnight)
        return f"{self.dates[i]}-{secs // 3600:02d}{secs % 3600 // 60:02d}{secs % 60:02d}"

    # -- outgoing and internal -------------------------------------------------------------------
    def outgoing(self, t: float, ext: str, client: str, scenario: str = "outgoing") -> float | None:
        """``ext`` dials a client.  Returns when to try again if ``ext`` was busy or away, else None."""
        if not self.present(ext, t):
            if scenario != "callback_missed":
                return None
            next_day = self.first_midnight + (int((t - self.first_midnight) // 86400) + 1) * 86400
            return next_day + float(self.rng.uniform(9.2, 11.5)) * 3600  # first thing next morning
        if not self.free(ext, t):
            return self.busy_until[ext] + float(self.rng.uniform(30, 600))
        pbx = self.pbx
        e = self.emp[ext]
        line = self.co.outbound_line(e.department)
        dialed = ("8" + client[1:]) if self.rng.random() < 0.8 else client
        d = pbx.channel(ext, t, None, ext, e.name, dialed, "from-internal")
        tr = pbx.channel(line.trunk, t + 1.2, d.linkedid, client, client, client, "from-trunk")
        u = self.rng.random()
        lastdata = f"PJSIP/{client}@{line.trunk},300,Tb(func-apply-sipheaders^s^1)"
        answered = False
        if u < 0.04:
            end, disposition, cause, status = t + 2.0, "FAILED", CONGESTION, "CONGESTION"
        elif u < 0.13:
            end, disposition, cause, status = t + float(self.rng.uniform(3.0, 6.0)), "BUSY", USER_BUSY, "BUSY"
        elif u < 0.40:
            end, disposition, cause, status = t + float(self.rng.uniform(12.0, 45.0)), "NO ANSWER", NO_ANSWER, "CANCEL"
        else:
            answered = True
            t_ans = t + float(self.rng.uniform(5.0, 22.0))
            end = t_ans + self.talk_time(90.0 if scenario == "outgoing" else 120.0)
            disposition, cause, status = "ANSWERED", NORMAL_CLEARING, "ANSWER"
        hangup_by = "caller" if (not answered or self.rng.random() < 0.5) else "callee"
        rec = ""
        if answered and self.rng.random() < self.recordings_share:
            rec = f"out-{dialed}-{ext}-{self._stamp(t)}-{d.uid}.wav"
        pbx.cdr_row(d, tr, t, t_ans if answered else NAN, end, src=ext, dst=dialed, dcontext="from-internal",
                    lastapp="Dial", lastdata=lastdata, disposition=disposition, clid=f'"{e.name}" <{ext}>',
                    rec=rec, cnum=ext, cnam=e.name, outbound_cnum=line.number, outbound_cnam="")
        if answered:
            pbx.answer(tr, t_ans)
            pbx.answer(d, t_ans)
            pbx.bridge(d, tr, t_ans, end)
        source = d if hangup_by == "caller" else tr
        pbx.hangup(tr, end, cause=cause, source=source)
        pbx.hangup(d, end, cause=cause, source=source, dialstatus=status)
        pbx.linkedid_end(d, end)
        self.occupy(ext, end)
        talk = end - t_ans if answered else 0.0
        self.truth.append((d.linkedid, scenario, "outgoing", "answered" if answered else "unanswered", t,
                           t_ans if answered else NAN, end, ext, dialed, client, line.number, "", ext, "", dialed,
                           "", round((t_ans if answered else end) - t, 3), round(talk, 3), 0, hangup_by, rec))
        return None

    def internal(self, t: float, ext: str, other: str) -> float | None:
        """``ext`` calls a colleague; like :meth:`outgoing` returns a retry time if ``ext`` was busy."""
        if not self.present(ext, t):
            return None
        if not self.free(ext, t):
            return self.busy_until[ext] + float(self.rng.uniform(60, 900))
        pbx = self.pbx
        e, o = self.emp[ext], self.emp[other]
        d = pbx.channel(ext, t, None, ext, e.name, other, "from-internal")
        d2 = pbx.channel(other, t + 0.1, d.linkedid, ext, e.name, other, "from-internal")
        busy = not self.free(other, t)
        delay = math.inf if busy else self.pickup_delay(other, t)
        answered = delay < DIRECT_RING_S
        if busy:
            end, disposition, cause = t + 1.0, "BUSY", USER_BUSY
        elif answered:
            t_ans = t + delay
            end = t_ans + self.talk_time(60.0)
            disposition, cause = "ANSWERED", NORMAL_CLEARING
        else:
            end = t + min(DIRECT_RING_S, float(self.rng.uniform(8.0, 30.0)))
            disposition, cause = "NO ANSWER", NO_ANSWER
        rec = ""
        if answered and self.rng.random() < self.recordings_share * 0.5:
            rec = f"internal-{other}-{ext}-{self._stamp(t)}-{d.uid}.wav"
        pbx.cdr_row(d, d2, t, t_ans if answered else NAN, end, src=ext, dst=other, dcontext="from-internal",
                    lastapp="Dial", lastdata=f"PJSIP/{other},,HhtrM(auto-blkvm)", disposition=disposition,
                    clid=f'"{e.name}" <{ext}>', rec=rec, cnum=ext, cnam=e.name, dst_cnam=o.name)
        hangup_by = "caller" if (not answered or self.rng.random() < 0.5) else "callee"
        source = d if hangup_by == "caller" else d2
        if answered:
            pbx.answer(d2, t_ans)
            pbx.answer(d, t_ans)
            pbx.bridge(d, d2, t_ans, end)
            self.occupy(other, end)
        pbx.hangup(d2, end, cause=cause, source=source)
        pbx.hangup(d, end, cause=cause, source=source, dialstatus="ANSWER" if answered else "NOANSWER")
        pbx.linkedid_end(d, end)
        self.occupy(ext, end)
        self.truth.append((d.linkedid, "internal", "internal", "answered" if answered else "unanswered", t,
                           t_ans if answered else NAN, end, ext, other, "", "", other if answered else "", ext,
                           other, other, "", round((t_ans if answered else end) - t, 3),
                           round(end - t_ans if answered else 0.0, 3), 0, hangup_by, rec))
        return None

    # -- website callback ------------------------------------------------------------------------
    def website_callback(self, tr: float, client: str, request: dict) -> None:
        """A "call me back" request: the PBX rings an employee first, then dials the client."""
        pbx = self.pbx
        candidates = self.co.queues["700"][1:] or self.co.queues["700"]
        t = tr + float(self.rng.uniform(5.0, 40.0))
        ext = next((m for m in candidates if self.free(m, t) and self.present(m, t)), candidates[0])
        e = self.emp[ext]
        line = self.co.outbound_line(e.department)
        d = pbx.channel(ext, t, None, ext, "Заказ звонка", client, "from-internal")
        delay = math.inf if not self.free(ext, t) else self.pickup_delay(ext, t)
        base = (tr, request["site"], request["page"], request["utm_source"], request["utm_medium"],
                request["utm_campaign"], request["utm_content"], request["utm_term"], request["number"], ext)
        if delay >= 30.0:
            pbx.skip_sequence()  # an unanswered originate with no Party B: unanswered=no drops its row
            pbx.hangup(d, t + 30.0, cause=NO_ANSWER)
            pbx.linkedid_end(d, t + 30.0)
            self.callbacks.append((*base, "employee_no_answer", t, NAN, d.linkedid, t + 30.0))
            return
        t_emp = t + delay
        pbx.answer(d, t_emp)
        tr_ch = pbx.channel(line.trunk, t_emp + 0.5, d.linkedid, client, client, client, "from-trunk")
        client_answers = self.rng.random() < 0.8
        lastdata = f"PJSIP/{client}@{line.trunk},300,Tb(func-apply-sipheaders^s^1)"
        if client_answers:
            t_ans = t_emp + float(self.rng.uniform(5.0, 20.0))
            end = t_ans + self.talk_time(150.0)
            disposition, status = "ANSWERED", "connected"
            pbx.answer(tr_ch, t_ans)
            pbx.bridge(d, tr_ch, t_ans, end)
        else:
            end = t_emp + float(self.rng.uniform(20.0, 40.0))
            disposition, status = "NO ANSWER", "client_no_answer"
        rec = ""
        if client_answers and self.rng.random() < self.recordings_share:
            rec = f"out-{client}-{ext}-{self._stamp(t)}-{d.uid}.wav"
        # Party A (the originated phone) was up since the employee answered: billsec covers the client's ringing.
        pbx.cdr_row(d, tr_ch, t, t_emp, end, src=ext, dst=client, dcontext="from-internal", lastapp="Dial",
                    lastdata=lastdata, disposition=disposition, clid=f'"Заказ звонка" <{ext}>', rec=rec, cnum=ext,
                    cnam=e.name, outbound_cnum=line.number)
        hangup_by = "callee" if client_answers and self.rng.random() < 0.5 else "caller"
        source = d if hangup_by == "caller" else tr_ch
        pbx.hangup(tr_ch, end, source=source)
        pbx.hangup(d, end, source=source, dialstatus="ANSWER" if client_answers else "NOANSWER")
        pbx.linkedid_end(d, end)
        self.occupy(ext, end)
        self.callbacks.append((*base, status, t, t_ans if client_answers else NAN, d.linkedid, end))
        self.truth.append((d.linkedid, "website_callback", "outgoing", "answered" if client_answers else "unanswered",
                           t, t_ans if client_answers else NAN, end, ext, client, client, line.number, "", ext, "",
                           client, "", round((t_ans if client_answers else end) - t, 3),
                           round(end - t_ans if client_answers else 0.0, 3), 0, hangup_by, rec))


def _member_fields(row: dict) -> dict:
    """The keyword arguments of :meth:`Pbx.cdr_row` for a prepared member-side row."""
    return {k: row[k] for k in ("src", "dst", "dcontext", "lastapp", "lastdata", "clid", "did", "outbound_cnum",
                                "sequence") if k in row}

