"""What a played call leaves behind: the caller's CDR rows, its ground-truth row, its recording name.

An incoming call is carried through the dialplan as a :class:`Call`; its caller-side CDR rows are
collected on it and written together when the caller hangs up, as Asterisk writes them at Party A's
hang-up. Party A of every row of an incoming call is the trunk channel; the caller's CDR variables
(``did``, ``recordingfile``) are on all its rows. docs/pbx-data.md describes the rows per scenario;
the truth's directions and statuses (answered, unanswered, dropped) are those of docs/glossary.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from atsnb.simulate.company import Company, Line
from atsnb.simulate.pbx import NAN, Channel, Pbx
from atsnb.simulate.staff import Staff
from atsnb.simulate.traffic import Day

TRUTH_FIELDS = ("call_id", "scenario", "direction", "status", "start", "answer", "end", "caller", "dialed",
                "external_number", "line", "answered_by", "employee", "rang", "last_target", "group", "wait_s",
                "talk_s", "transfers", "hangup_by", "recording")

DIRECT_RING_S = 20.0  # how long one extension rings: a direct call, a transfer target, a colleague
SHORT_ABANDON_S = 5.0


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
    dev: Channel  # the phone's channel (PJSIP/<ext>-…, IAX2/<ext>-…, …)
    row: dict  # the caller's row to this leg, without its end
    local: tuple[Channel, Channel] | None = None  # Local ;1/;2 when reached through a queue
    member_row: dict | None = None  # the ;2 → phone row, without its end
    queue: str = ""
    hold: float = 0.0  # seconds in queue before CONNECT
    origpos: int = 1


def member_fields(row: dict) -> dict:
    """The keyword arguments of :meth:`Pbx.cdr_row` for a prepared member-side row."""
    return {k: row[k] for k in ("src", "dst", "dcontext", "lastapp", "lastdata", "clid", "did", "outbound_cnum",
                                "sequence") if k in row}


class CallRecords(Staff):
    """The PBX being written to and what the simulation hands back besides the PBX's own tables."""

    def __init__(self, company: Company, pbx: Pbx, rng: np.random.Generator, days: list[Day],
                 dates: list[str], recordings_share: float):
        super().__init__(company, rng, days)
        self.pbx = pbx
        self.dates = dates  # YYYYMMDD of each day, for recording names
        self.recordings_share = recordings_share
        self.truth: list[tuple] = []
        self.ratings: list[tuple] = []
        self.callbacks: list[tuple] = []  # the module's row + when the call ended (not a column)
        self.missed: list[tuple[float, str, str, str]] = []  # (end, client, last_target, group)

    def _caller_row(self, call: Call, b: Channel | None, start: float, answer: float, *, dst: str, dcontext: str,
                    lastapp: str, lastdata: str) -> dict:
        return {"a": call.c, "b": b, "start": start, "answer": answer, "src": call.cid, "dst": dst,
                "dcontext": dcontext, "lastapp": lastapp, "lastdata": lastdata,
                "clid": f'"{call.cid}" <{call.cid}>', "did": call.line.number, "sequence": self.pbx.next_sequence()}

    def _finish(self, call: Call, end: float) -> None:
        """The caller hung up at ``end``: write its CDR rows, end the call, keep its truth row."""
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
