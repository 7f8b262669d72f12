"""Calls that start at an employee's phone: to a client, to a colleague, and the website callbacks
the PBX originates (the employee's phone rings first, then the client is dialled).
"""

from __future__ import annotations

import math

from atsnb.simulate.call_records import DIRECT_RING_S, CallRecords
from atsnb.simulate.pbx import CONGESTION, NAN, NO_ANSWER, NORMAL_CLEARING, USER_BUSY


class OutgoingCalls(CallRecords):
    """Employees calling out, calling each other, and calling back website visitors."""

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
        d = pbx.phone(ext, t, None, ext, e.name, dialed, "from-internal")
        tr = pbx.trunk(line.trunk, t + 1.2, d.linkedid, client, client, client, "from-trunk")
        u = self.rng.random()
        lastdata = f"{pbx.tech.dial_trunk(line.trunk, client)},300,Tb(func-apply-sipheaders^s^1)"
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
        d = pbx.phone(ext, t, None, ext, e.name, other, "from-internal")
        d2 = pbx.phone(other, t + 0.1, d.linkedid, ext, e.name, other, "from-internal")
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
                    lastapp="Dial", lastdata=f"{pbx.tech.dial_phone(other)},,HhtrM(auto-blkvm)", disposition=disposition,
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
    def website_callback(self, tr: float, client: str, request: dict) -> None:
        """A "call me back" request: the PBX rings an employee first, then dials the client."""
        pbx = self.pbx
        candidates = self.co.queues["700"][1:] or self.co.queues["700"]
        t = tr + float(self.rng.uniform(5.0, 40.0))
        ext = next((m for m in candidates if self.free(m, t) and self.present(m, t)), candidates[0])
        e = self.emp[ext]
        line = self.co.outbound_line(e.department)
        d = pbx.phone(ext, t, None, ext, "Заказ звонка", client, "from-internal")
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
        tr_ch = pbx.trunk(line.trunk, t_emp + 0.5, d.linkedid, client, client, client, "from-trunk")
        client_answers = self.rng.random() < 0.8
        lastdata = f"{pbx.tech.dial_trunk(line.trunk, client)},300,Tb(func-apply-sipheaders^s^1)"
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
