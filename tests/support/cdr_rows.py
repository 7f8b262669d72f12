"""CDR rows for scenario tests, written the way a FreePBX-style Asterisk writes them.

``cdr_row("10:00:05", "PJSIP/trunk1-0001", "PJSIP/201-0002", "ANSWERED", 70, 60, uid="1.1")`` — the
time is a wall-clock time on :data:`DAY`; short channel counters are padded to Asterisk's 8 hex digits.
"""

from __future__ import annotations

import pandas as pd

from atsnb.calls import Topology

DAY = "2025-03-03"
TOPOLOGY = Topology(
    trunks=["trunk1"],
    extensions=["201", "202", "203", "204"],
    company_numbers=["74951234567", "74957654321"],
    groups={"600": ["201", "202", "203"]},
    queues={"700": ["201", "202"]},
)
CLIENT = "89161234567"  # as the trunk delivers it
CLIENT_NORMAL = "79161234567"
DID = "74951234567"


def channel(name: str) -> str:
    """``PJSIP/201-2`` → ``PJSIP/201-00000002`` (``;1``/``;2`` kept): PJSIP, SIP and Local count in
    8 hex digits; other drivers' names (``IAX2/101-1702``, ``DAHDI/i1/79161234567-5``) stay as written."""
    if not name.startswith(("PJSIP/", "SIP/", "Local/")):
        return name
    half = ""
    if name.endswith((";1", ";2")):
        name, half = name[:-2], name[-2:]
    head, _, counter = name.rpartition("-")
    return f"{head}-{int(counter, 16):08x}{half}"


def cdr_row(at: str, chan: str, dstchan: str, disposition: str, duration: int, billsec: int, *, uid: str,
            linkedid: str | None = None, src: str = CLIENT, dst: str = "201", dcontext: str = "from-did-direct",
            lastapp: str = "Dial", lastdata: str = "", did: str | None = None, seq: int = 0,
            recordingfile: str = "", outbound_cnum: str = "", cnum: str = "") -> dict:
    a = channel(chan)
    return {
        "calldate": pd.Timestamp(f"{DAY} {at}") if len(at) <= 8 else pd.Timestamp(at),
        "clid": f'"{src}" <{src}>', "src": src, "dst": dst, "dcontext": dcontext, "channel": a,
        "dstchannel": channel(dstchan), "lastapp": lastapp, "lastdata": lastdata, "duration": duration,
        "billsec": billsec, "disposition": disposition, "amaflags": "DOCUMENTATION", "accountcode": "",
        "uniqueid": uid, "userfield": "", "did": (DID if "trunk" in a else "") if did is None else did,
        "recordingfile": recordingfile, "cnum": cnum, "cnam": "", "outbound_cnum": outbound_cnum,
        "outbound_cnam": "", "dst_cnam": "", "linkedid": uid if linkedid is None else linkedid,
        "peeraccount": "", "sequence": seq,
    }


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))
