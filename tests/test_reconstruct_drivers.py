"""Channel drivers: the same calls come out whatever technology the trunk and the phones use.

The rows of :func:`_iax2_day` are shaped like a real Asterisk 22 whose trunk and phones were IAX2
(docs/pbx-data.md §8): a decimal call number after the last ``-`` instead of PJSIP's 8 hex digits.
:func:`_pjsip_day` is a day of the usual scenarios, renamed to every driver by :func:`_renamed`.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from atsnb.calls import Topology, reconstruct
from tests.support.cdr_rows import CLIENT, CLIENT_NORMAL, DID, TOPOLOGY, cdr_row, frame

TZ = "Europe/Moscow"
IAX2_TOPOLOGY = Topology(trunks=["trunk"], extensions=["101", "102", "103"], queues={"400": ["101", "102"]})
MOBILE = "79035550011"


def _iax2_day() -> pd.DataFrame:
    q = {"dst": "400", "dcontext": "ext-queues", "lastapp": "Queue", "lastdata": "400,t,,,300"}
    member = {"src": CLIENT, "dcontext": "from-queue", "did": ""}
    return frame(
        # 1. Straight to 101, answered.
        cdr_row("10:00:00", "IAX2/trunk-14818", "IAX2/101-1702", "ANSWERED", 70, 60, uid="1.1", seq=1),
        # 2. The IVR answered, then the queue: 101 did not pick up (NO ANSWER with billsec), 102 did;
        #    the member side Local;2 → phone row has the true talk and the client's number as src.
        cdr_row("10:10:00", "IAX2/trunk-14901", "Local/101@from-queue-0000000a;1", "NO ANSWER", 20, 20,
                uid="2.1", seq=2, **q),
        cdr_row("10:10:01", "Local/101@from-queue-0000000a;2", "IAX2/101-1705", "NO ANSWER", 19, 0, uid="2.2",
                linkedid="2.1", dst="101", seq=3, **member),
        cdr_row("10:10:20", "IAX2/trunk-14901", "Local/102@from-queue-0000000b;1", "ANSWERED", 100, 100,
                uid="2.1", seq=4, **q),
        cdr_row("10:10:21", "Local/102@from-queue-0000000b;2", "IAX2/102-1706", "ANSWERED", 99, 90, uid="2.3",
                linkedid="2.1", dst="102", seq=5, **member),
        # 3. Forwarded to a mobile through the same trunk.
        cdr_row("10:20:00", "IAX2/trunk-15002", f"Local/{MOBILE}@from-internal-0000000c;1", "ANSWERED", 80, 70,
                uid="3.1", dst="103", seq=6),
        cdr_row("10:20:00", f"Local/{MOBILE}@from-internal-0000000c;2", "IAX2/trunk-15003", "ANSWERED", 80, 70,
                uid="3.2", linkedid="3.1", dst=MOBILE, dcontext="from-internal", did="", outbound_cnum=DID, seq=7),
        # 4. 103 calls a client.
        cdr_row("10:30:00", "IAX2/103-1710", "IAX2/trunk-15010", "ANSWERED", 100, 88, uid="4.1", src="103",
                dst="89035550011", dcontext="from-internal", did="", cnum="103", outbound_cnum=DID, seq=8),
        # 5. 101 calls 102.
        cdr_row("10:40:00", "IAX2/101-1720", "IAX2/102-1721", "ANSWERED", 40, 33, uid="5.1", src="101", dst="102",
                dcontext="from-internal", did="", seq=9),
    )


def test_iax2_calls_of_a_real_asterisk_22_come_out_right():
    calls = reconstruct(_iax2_day(), IAX2_TOPOLOGY, tz=TZ).calls.set_index("call_id")
    expected = {
        "1.1": dict(direction="incoming", status="answered", answered_by="101", employee="101", wait_s=10,
                    talk_s=60, external_number=CLIENT_NORMAL, line=DID),
        "2.1": dict(direction="incoming", status="answered", answered_by="102", employee="102", group="400",
                    wait_s=30, talk_s=90, external_number=CLIENT_NORMAL),
        "3.1": dict(direction="mixed", status="answered", answered_by="", employee="103", last_target=MOBILE,
                    talk_s=70, external_number=CLIENT_NORMAL),
        "4.1": dict(direction="outgoing", status="answered", employee="103", caller="103",
                    external_number="79035550011", line=DID, talk_s=88),
        "5.1": dict(direction="internal", status="answered", caller="101", answered_by="102", employee="101",
                    external_number="", talk_s=33),
    }
    assert sorted(calls.index) == sorted(expected)
    for call_id, fields in expected.items():
        assert {k: calls.loc[call_id, k] for k in fields} == fields, call_id


def test_topology_is_inferred_from_iax2_records():
    topology = Topology.infer(_iax2_day())
    assert topology.trunks == ["trunk"]
    assert set(topology.extensions) == {"101", "102", "103"}
    assert topology.queues == {"400": ["101", "102"]}


def _pjsip_day() -> pd.DataFrame:
    """The usual scenarios, one call each, PJSIP names (docs/pbx-data.md §2.4)."""
    group = {"dst": "600", "dcontext": "ext-group"}
    inside = {"dcontext": "from-internal", "did": ""}
    return frame(
        cdr_row("09:00:00", "PJSIP/trunk1-1", "PJSIP/201-2", "ANSWERED", 70, 60, uid="1.1", seq=1),
        cdr_row("09:10:00", "PJSIP/trunk1-3", "PJSIP/201-4", "NO ANSWER", 8, 0, uid="2.1", seq=2, **group),
        cdr_row("09:10:00", "PJSIP/trunk1-3", "PJSIP/202-5", "ANSWERED", 98, 90, uid="2.1", seq=3, **group),
        cdr_row("09:20:00", "PJSIP/trunk1-6", "PJSIP/201-7", "ANSWERED", 70, 60, uid="3.1", seq=4),
        cdr_row("09:21:10", "PJSIP/trunk1-6", "PJSIP/202-8", "ANSWERED", 50, 50, uid="3.1", dst="202",
                dcontext="from-internal-xfer", seq=5),
        cdr_row("09:30:00", "PJSIP/trunk1-9", "PJSIP/201-a", "BUSY", 0, 0, uid="4.1", seq=6),
        cdr_row("09:30:00", "PJSIP/trunk1-9", "", "ANSWERED", 30, 30, uid="4.1", dst="vmb201", dcontext="ext-local",
                lastapp="VoiceMail", lastdata="201@default,b", seq=7),
        cdr_row("09:40:00", "PJSIP/203-b", "PJSIP/trunk1-c", "ANSWERED", 100, 88, uid="5.1", src="203",
                dst="89035550011", cnum="203", outbound_cnum="74957654321", seq=8, **inside),
        cdr_row("09:50:00", "PJSIP/201-d", "PJSIP/202-e", "ANSWERED", 40, 33, uid="6.1", src="201", dst="202",
                seq=9, **inside),
        cdr_row("10:00:00", "PJSIP/trunk1-f", f"Local/{MOBILE}@from-internal-10;1", "ANSWERED", 80, 70,
                uid="7.1", dst="204", seq=10),
        cdr_row("10:00:00", f"Local/{MOBILE}@from-internal-10;2", "PJSIP/trunk1-11", "ANSWERED", 80, 70,
                uid="7.2", linkedid="7.1", dst=MOBILE, outbound_cnum=DID, seq=11, **inside),
        cdr_row("10:10:00", "PJSIP/trunk1-12", "PJSIP/203-13", "NO ANSWER", 3, 0, uid="8.1", seq=12),
    )


_PJSIP_NAME = re.compile(r"^PJSIP/(?P<peer>.+)-(?P<counter>[0-9a-f]{8})$")


def _renamed(cdr: pd.DataFrame, driver: str) -> pd.DataFrame:
    """``cdr`` with every PJSIP channel as ``driver`` names it; DAHDI carries the trunk (an ISDN span,
    the far party's number in the name) to SIP phones."""

    def rename(name: str, src: str) -> str:
        match = _PJSIP_NAME.match(name)
        if not match:
            return name
        peer, counter = match["peer"], match["counter"]
        if driver == "IAX2":
            return f"IAX2/{peer}-{int(counter, 16) % 32768}"
        if driver == "DAHDI" and peer == "trunk1":
            return f"DAHDI/i1/{src}-{int(counter, 16)}"
        return f"SIP/{peer}-{counter}"

    out = cdr.copy()
    for column in ("channel", "dstchannel"):
        out[column] = [rename(name, src) for name, src in zip(cdr[column], cdr["src"], strict=True)]
    return out


@pytest.mark.parametrize("driver", ["SIP", "IAX2", "DAHDI"])
def test_every_driver_gives_the_calls_pjsip_gives(driver):
    reference = reconstruct(_pjsip_day(), TOPOLOGY, tz=TZ)
    trunks = ["DAHDI/i1"] if driver == "DAHDI" else TOPOLOGY.trunks  # a trunk named with its technology
    topology = Topology(trunks=trunks, extensions=TOPOLOGY.extensions, groups=TOPOLOGY.groups,
                        queues=TOPOLOGY.queues)
    renamed = _renamed(_pjsip_day(), driver)
    assert not renamed["channel"].str.startswith("PJSIP/").any()
    result = reconstruct(renamed, topology, tz=TZ)
    pd.testing.assert_frame_equal(result.calls, reference.calls)
    pd.testing.assert_frame_equal(result.steps, reference.steps)
