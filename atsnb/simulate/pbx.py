"""What an Asterisk 13+ writes, mechanically: channels, CDR rows, CEL events, queue_log lines.

The dialplan (:mod:`.dialplan`) decides *what happens* in a call; this recorder turns it into the
PBX's own records with the identifiers Asterisk uses: phone and trunk channels named by the
company's channel driver (:mod:`.technology`: ``PJSIP/<peer>-<8 hex>``, ``IAX2/<peer>-<call number>``,
…), ``Local/<exten>@<context>-<8 hex>;1/;2``, ``uniqueid`` = ``<epoch>.<counter>``, ``linkedid`` =
uniqueid of the oldest channel, a global CDR ``sequence`` that skips numbers (rows filtered by
``unanswered=no`` take numbers too), counters that restart with Asterisk.

Rows are kept as tuples of epoch seconds and strings; :mod:`.frames` turns them into DataFrames in
one vectorised pass (a Python object per row would cost more than the whole simulation).
"""

from __future__ import annotations

import json

import numpy as np

from atsnb.simulate.technology import Technology

# CDR tuple layout (see frames.CDR_FIELDS): times are float epoch seconds, answer NaN if none.
CDR_FIELDS = ("start", "answer", "end", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp",
              "lastdata", "disposition", "uniqueid", "did", "recordingfile", "cnum", "cnam", "outbound_cnum",
              "outbound_cnam", "dst_cnam", "linkedid", "sequence", "written")
CEL_FIELDS = ("eventtype", "eventtime", "cid_name", "cid_num", "cid_ani", "cid_rdnis", "cid_dnid", "exten",
              "context", "channame", "appname", "appdata", "uniqueid", "linkedid", "peer", "extra")
QLOG_FIELDS = ("time", "callid", "queuename", "agent", "event", "data1", "data2", "data3", "data4", "data5")

NAN = float("nan")
# Q.850 causes written in CEL HANGUP events.
NORMAL_CLEARING, USER_BUSY, NO_ANSWER, CONGESTION = 16, 17, 19, 34


class Channel:
    """One Asterisk channel: its name, ids and caller id (what CEL repeats on every event)."""

    __slots__ = ("name", "uid", "linkedid", "num", "cname", "exten", "context")

    def __init__(self, name: str, uid: str, linkedid: str, num: str, cname: str, exten: str, context: str):
        self.name, self.uid, self.linkedid = name, uid, linkedid
        self.num, self.cname, self.exten, self.context = num, cname, exten, context


class Pbx:
    """Collects the rows of every call; counters behave like one long-running Asterisk."""

    def __init__(self, rng: np.random.Generator, tech: Technology, *, cel: bool = True):
        self.rng = rng
        self.tech = tech
        self.with_cel = cel
        self.chan_counter = int(rng.integers(0x100, 0x4000))
        self.uid_counter = int(rng.integers(100, 5000))
        self.sequence = int(rng.integers(100, 5000))
        self.bridge_counter = 0
        self.cdr: list[tuple] = []
        self.cel: list[tuple] = []
        self.qlog: list[tuple] = []
        self._gaps = iter(())

    def restart(self) -> None:
        """Asterisk restarted: uniqueid counter, channel counter and CDR sequence start again."""
        self.chan_counter = 1
        self.uid_counter = 0
        self.sequence = 0
        self.tech.restart()

    # -- ids -----------------------------------------------------------------------------------
    def next_sequence(self) -> int:
        """The CDR sequence of a row created now (rows dispatched later keep their creation number)."""
        gap = next(self._gaps, None)
        if gap is None:
            self._gaps = iter(self.rng.choice([1, 1, 1, 2, 3], size=4096).tolist())
            gap = next(self._gaps)
        self.sequence += gap
        return self.sequence

    def _uid(self, t: float) -> str:
        self.uid_counter += 1
        return f"{int(t)}.{self.uid_counter}"

    def phone(self, ext: str, t: float, linkedid: str | None, num: str, cname: str, exten: str, context: str,
              *, second: bool = False) -> Channel:
        """A new channel of extension ``ext``'s phone created at ``t`` (CEL CHAN_START); without a
        ``linkedid`` it starts a call of its own.  ``second``: the phone's second line."""
        self.chan_counter += 1
        return self._open(self.tech.phone(ext, self.chan_counter, second), t, linkedid, num, cname, exten, context)

    def trunk(self, trunk: str, t: float, linkedid: str | None, num: str, cname: str, exten: str, context: str,
              ) -> Channel:
        """A new channel on ``trunk`` whose remote party is ``num`` (the caller in, the dialled number out)."""
        self.chan_counter += 1
        return self._open(self.tech.trunk(trunk, num, self.chan_counter), t, linkedid, num, cname, exten, context)

    def _open(self, name: str, t: float, linkedid: str | None, num: str, cname: str, exten: str, context: str,
              ) -> Channel:
        uid = self._uid(t)
        ch = Channel(name, uid, linkedid or uid, num, cname, exten, context)
        self.event("CHAN_START", t, ch)
        return ch

    def local_pair(self, exten: str, context: str, t: float, linkedid: str, num: str, cname: str,
                   ) -> tuple[Channel, Channel]:
        """A Local channel's two halves ``Local/<exten>@<context>-<hex>;1`` and ``;2``."""
        self.chan_counter += 1
        base = f"Local/{exten}@{context}-{self.chan_counter:08x}"
        one = Channel(base + ";1", self._uid(t), linkedid, num, cname, exten, context)
        two = Channel(base + ";2", self._uid(t), linkedid, num, cname, exten, context)
        self.event("CHAN_START", t, one)
        self.event("CHAN_START", t, two)
        return one, two

    def bridge_id(self) -> str:
        self.bridge_counter += 1
        n = self.bridge_counter
        return f"{n:08x}-{(n * 7919) & 0xFFFF:04x}-4{(n * 104729) & 0xFFF:03x}-a{(n * 31) & 0xFFF:03x}-{n * 2654435761 & 0xFFFFFFFFFFFF:012x}"

    # -- CDR -----------------------------------------------------------------------------------
    def cdr_row(self, a: Channel, b: Channel | None, start: float, answer: float, end: float, *, src: str,
                dst: str, dcontext: str, lastapp: str, lastdata: str, disposition: str, clid: str, did: str = "",
                rec: str = "", cnum: str = "", cnam: str = "", outbound_cnum: str = "", outbound_cnam: str = "",
                dst_cnam: str = "", written: float | None = None, sequence: int | None = None) -> None:
        """One CDR row owned by Party A ``a``; ``written`` = when Asterisk dispatched it (A's hang-up).

        A row made for a Party A already answered (after an IVR or a queue's ``Answer()``) is answered
        from its own creation, never earlier: billsec never exceeds duration.
        """
        answer = max(answer, start)  # NaN (never answered) stays NaN
        self.cdr.append((start, answer, end, clid, src, dst, dcontext, a.name, b.name if b else "", lastapp,
                         lastdata, disposition, a.uid, did, rec, cnum, cnam, outbound_cnum, outbound_cnam,
                         dst_cnam, a.linkedid, self.next_sequence() if sequence is None else sequence,
                         end if written is None else written))

    def skip_sequence(self) -> None:
        """A CDR object that ``unanswered=no`` filtered out still took a sequence number."""
        self.next_sequence()

    # -- CEL -----------------------------------------------------------------------------------
    def event(self, kind: str, t: float, ch: Channel, *, app: str = "", appdata: str = "", peer: str = "",
              extra: dict | str = "", exten: str | None = None) -> None:
        """One CEL row for channel ``ch``; ``extra`` is the event's JSON (a dict, or already serialised)."""
        if not self.with_cel:
            return
        if isinstance(extra, dict):
            extra = json.dumps(extra, ensure_ascii=False)
        self.cel.append((kind, t, ch.cname, ch.num, ch.num, "", "", ch.exten if exten is None else exten,
                         ch.context, ch.name, app, appdata, ch.uid, ch.linkedid, peer, extra))

    def answer(self, ch: Channel, t: float) -> None:
        self.event("ANSWER", t, ch)

    def bridge(self, a: Channel, b: Channel, t0: float, t1: float, bridge: str | None = None) -> str:
        """A and B talk from ``t0`` to ``t1`` in a two-party bridge (BRIDGE_ENTER / BRIDGE_EXIT)."""
        if not self.with_cel:
            return ""
        bridge = bridge or self.bridge_id()
        extra = f'{{"bridge_id": "{bridge}", "bridge_technology": "simple_bridge"}}'
        self.event("BRIDGE_ENTER", t0, a, extra=extra)
        self.event("BRIDGE_ENTER", t0, b, peer=a.name, extra=extra)
        self.event("BRIDGE_EXIT", t1, b, peer=a.name, extra=extra)
        self.event("BRIDGE_EXIT", t1, a, extra=extra)
        return bridge

    def hangup(self, ch: Channel, t: float, *, cause: int = NORMAL_CLEARING, source: Channel | None = None,
               dialstatus: str = "") -> None:
        """HANGUP with its JSON (cause, who hung up, last Dial status) and CHAN_END."""
        if not self.with_cel:
            return
        # Channel names and dial statuses never need JSON escaping: format the object directly (hot path).
        self.event("HANGUP", t, ch, extra=f'{{"hangupcause": {cause}, "hangupsource": '
                                          f'"{source.name if source else ""}", "dialstatus": "{dialstatus}"}}')
        self.event("CHAN_END", t, ch)

    def linkedid_end(self, ch: Channel, t: float) -> None:
        self.event("LINKEDID_END", t, ch)

    # -- queue_log -----------------------------------------------------------------------------
    def queue_log(self, t: float, callid: str, queue: str, agent: str, event: str, *data: object) -> None:
        values = [str(d) for d in data] + [""] * (5 - len(data))
        self.qlog.append((t, callid, queue, agent, event, *values[:5]))
