"""The canonical columns of the raw store tables (docs/architecture.md, "Store tables").

Whatever the PBX flavour, rows land in the store with these names and types, so everything above
the sync reads one layout.  ``kind`` says how a value is cleaned:

* ``time``  — naive PBX-local timestamp (NaT when empty);
* ``text``  — string, '' when NULL;
* ``int``   — whole number, 0 when NULL (a non-number is repaired to 0 and reported);
* ``nint``  — nullable whole number (``sequence``, ``rating``);
* ``disposition`` / ``amaflags`` — upper-case text, numeric codes translated.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CanonicalColumn:
    name: str
    kind: str = "text"


def _cols(spec: str) -> list[CanonicalColumn]:
    out = []
    for item in spec.split():
        name, _, kind = item.partition(":")
        out.append(CanonicalColumn(name, kind or "text"))
    return out


CANONICAL: dict[str, list[CanonicalColumn]] = {
    "cdr": _cols(
        "calldate:time answer:time end:time clid src dst dcontext channel dstchannel lastapp lastdata "
        "duration:int billsec:int disposition:disposition amaflags:amaflags accountcode uniqueid userfield "
        "did recordingfile cnum cnam outbound_cnum outbound_cnam dst_cnam linkedid peeraccount sequence:nint"),
    "cel": _cols(
        "id:int eventtype eventtime:time cid_name cid_num cid_ani cid_rdnis cid_dnid exten context channame "
        "appname appdata amaflags:amaflags accountcode uniqueid linkedid peer userdeftype extra"),
    "queue_log": _cols("id:nint time:time callid queuename agent event data1 data2 data3 data4 data5"),
    "ratings": _cols("id:int rated_at:time linkedid uniqueid extension number rating:nint question"),
    "callbacks": _cols(
        "id:int requested_at:time site page utm_source utm_medium utm_campaign utm_content utm_term number "
        "extension status called_at:time connected_at:time linkedid"),
}

TIME_COLUMN = {"cdr": "calldate", "cel": "eventtime", "queue_log": "time", "ratings": "rated_at",
               "callbacks": "requested_at"}

DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION", "CANCEL")
# Asterisk's numeric disposition codes, as an integer CDR column receives them.
DISPOSITION_CODES = {"0": "NO ANSWER", "1": "NO ANSWER", "2": "FAILED", "4": "BUSY", "8": "ANSWERED",
                     "16": "CONGESTION"}
AMAFLAG_CODES = {"0": "", "1": "OMIT", "2": "BILLING", "3": "DOCUMENTATION"}
