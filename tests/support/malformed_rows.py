"""A PBX CDR table that accepts anything, and rows that are wrong in every way a real one can be.

Real CDR tables are strict (``datetime``, ``int``); the rows atsnb must survive come from old
schemas, hand-made imports and broken back ends, where columns are text and anything goes.  So the
table here has text columns only, a binary ``clid`` (bytes that are not UTF-8 reach the client
only from a binary column) and an index on the text ``calldate``.

:func:`malformed_cdr` makes ``n`` rows, each of one :data:`KINDS` kind, and says for each what the
sync must do with it: store it as it is (``stored``), store it repaired and say so (``repaired``),
leave it out and say so (``skipped``), or leave it until its time comes and say so (``waiting``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd
import pymysql

COLUMNS = ["calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata", "duration",
           "billsec", "disposition", "amaflags", "accountcode", "uniqueid", "userfield", "did", "recordingfile",
           "linkedid", "sequence"]

LOOSE_CDR = """
CREATE TABLE cdr (
  calldate VARCHAR(40) NULL, clid BLOB NULL, src TEXT NULL, dst TEXT NULL, dcontext TEXT NULL,
  channel TEXT NULL, dstchannel TEXT NULL, lastapp TEXT NULL, lastdata TEXT NULL,
  duration VARCHAR(40) NULL, billsec VARCHAR(40) NULL, disposition TEXT NULL, amaflags VARCHAR(40) NULL,
  accountcode TEXT NULL, uniqueid VARCHAR(64) NULL, userfield MEDIUMTEXT NULL, did TEXT NULL,
  recordingfile TEXT NULL, linkedid VARCHAR(64) NULL, sequence VARCHAR(20) NULL,
  KEY calldate (calldate)
) DEFAULT CHARSET=utf8mb4
"""

# kind -> what the sync must do with such a row
KINDS: dict[str, str] = {
    "good": "stored",
    "ten_kilobytes": "stored",  # a 10 KB userfield and lastdata: odd, not wrong
    "twin_identical": "stored",  # the same row written twice (two CDR back ends): one row, no word
    "null_calldate": "skipped",
    "zero_date": "skipped",
    "epoch_1970": "skipped",  # FreePBX's column default
    "impossible_date": "skipped",  # 2025-02-30
    "garbage_date": "skipped",  # "yesterday"
    "year_2150": "skipped",
    "future": "waiting",  # a PBX clock days ahead
    "text_duration": "repaired",
    "null_billsec": "repaired",
    "fraction_billsec": "stored",  # "12.0" is a number
    "unknown_disposition": "repaired",
    "numeric_disposition": "stored",  # 8 = ANSWERED, an old Asterisk's way
    "not_utf8": "repaired",
    "null_uniqueid": "repaired",
    "text_sequence": "repaired",
    "twin_differing": "repaired",  # the same uniqueid/sequence, other values: the later kept, the earlier named
    "all_null_but_time": "repaired",
}


@dataclass
class Row:
    kind: str
    outcome: str
    values: dict
    named_by: str  # what the sync's message about it must contain


def create_loose_cdr(con: pymysql.Connection) -> None:
    with con.cursor() as cur:
        cur.execute(LOOSE_CDR)


def insert_rows(con: pymysql.Connection, rows: list[Row]) -> None:
    sql = f"INSERT INTO cdr ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
    with con.cursor() as cur:
        cur.executemany(sql, [tuple(r.values.get(c) for c in COLUMNS) for r in rows])


def _good(n: int, when: pd.Timestamp) -> dict:
    uid = f"1750000000.{n}"
    return {"calldate": when.strftime("%Y-%m-%d %H:%M:%S"), "clid": f'"Клиент {n}" <8495{n:07d}>'.encode(),
            "src": f"8495{n:07d}", "dst": str(100 + n % 50), "dcontext": "from-trunk",
            "channel": f"PJSIP/trunk-{n:08x}", "dstchannel": f"PJSIP/{100 + n % 50}-{n:08x}", "lastapp": "Dial",
            "lastdata": f"PJSIP/{100 + n % 50},30", "duration": "35", "billsec": "30", "disposition": "ANSWERED",
            "amaflags": "3", "accountcode": "", "uniqueid": uid, "userfield": "", "did": "74950000000",
            "recordingfile": "", "linkedid": uid, "sequence": str(n)}


def malformed_cdr(n: int, *, seed: int, now: pd.Timestamp, kinds: list[str] | None = None) -> list[Row]:
    """``n`` rows over the 20 days before ``now`` (PBX-local, naive): every kind at least once
    when ``n`` allows, the rest drawn at random (half of them good)."""
    rng = random.Random(seed)
    names = kinds or list(KINDS)
    plan = names[:n] + [rng.choice(["good"] * len(names) + names) for _ in range(n - len(names))]
    rng.shuffle(plan)
    rows: list[Row] = []
    start = now - pd.Timedelta(days=20)
    for i, kind in enumerate(plan, start=1):
        when = start + pd.Timedelta(seconds=rng.randrange(0, 19 * 86400))
        values = _good(i, when)
        kind = _spoil(kind, values, rng, now, rows)
        rows.append(Row(kind, KINDS[kind], values, _named_by(values)))
    return rows


def _named_by(v: dict) -> str:
    """What the sync's message about this row must contain (its label, atsnb.sync.normalise.row_label)."""
    if v["uniqueid"] is not None:
        return f"uniqueid='{v['uniqueid']}'"
    sequence = "NULL" if v["sequence"] is None else repr(v["sequence"])
    calldate = "NULL" if v["calldate"] is None else repr(v["calldate"])
    return f"uniqueid=NULL sequence={sequence} calldate={calldate}"


def _spoil(kind: str, v: dict, rng: random.Random, now: pd.Timestamp, earlier: list[Row]) -> str:
    """Spoil the good row ``v`` the ``kind`` way; returns the kind it became (a twin of nothing is good)."""
    if kind == "ten_kilobytes":
        v["userfield"] = "Ж" * 5000 + "x" * 240
        v["lastdata"] = "PJSIP/" + "9" * 10_000
    elif kind == "null_calldate":
        v["calldate"] = None
    elif kind == "zero_date":
        v["calldate"] = "0000-00-00 00:00:00"
    elif kind == "epoch_1970":
        v["calldate"] = "1970-01-01 00:00:00"
    elif kind == "impossible_date":
        v["calldate"] = "2025-02-30 10:00:00"
    elif kind == "garbage_date":
        v["calldate"] = "yesterday"
    elif kind == "year_2150":
        v["calldate"] = "2150-06-01 12:00:00"
    elif kind == "future":
        v["calldate"] = (now + pd.Timedelta(days=rng.randrange(2, 60))).strftime("%Y-%m-%d %H:%M:%S")
    elif kind == "text_duration":
        v["duration"] = "thirty-five"
    elif kind == "null_billsec":
        v["billsec"] = None
    elif kind == "fraction_billsec":
        v["billsec"] = "12.0"
    elif kind == "unknown_disposition":
        v["disposition"] = rng.choice(["WEIRD", "", "ANSWER", "busy?"])
    elif kind == "numeric_disposition":
        v["disposition"] = "8"
    elif kind == "not_utf8":
        v["clid"] = b'"\xcf\xf0\xe8\xe2\xe5\xf2" <100>'  # "Привет" in cp1251: not UTF-8
    elif kind == "null_uniqueid":
        v["uniqueid"] = None
    elif kind == "text_sequence":
        v["sequence"] = "first"
    elif kind == "all_null_but_time":
        for column in COLUMNS:
            if column != "calldate":
                v[column] = None
    elif kind in {"twin_identical", "twin_differing"}:
        originals = [r for r in earlier if r.kind == "good" and r.outcome == "stored"]
        if not originals:
            return "good"
        original = rng.choice(originals)
        v.clear()
        v.update(original.values)
        if kind == "twin_differing":
            v["billsec"] = str(int(original.values["billsec"]) - 7)
            original.outcome = "replaced"  # the later row of its key wins; the earlier is named
        else:
            original.outcome = "twinned"  # stored once, with or without its identical twin
    return kind


@dataclass
class Verdict:
    """How a sync dealt with the rows: the figures of the reliability suite, and what went wrong."""

    rows: int
    bad: int
    good_lost: list[str]
    unreported: list[str]
    wrong_count: str

    @property
    def ok(self) -> bool:
        return not self.good_lost and not self.unreported and not self.wrong_count


def judge(rows: list[Row], stored: pd.DataFrame, log: str) -> Verdict:
    """Compare the store's CDR (``stored``) and the sync's log with what each row called for.

    Good rows must be stored with their values (the later twin's where two differ); every bad row
    must be named in the log (rows dated in the future: counted in the sync's warning, the first
    ones named); the store holds one row per distinct key, no more and no less."""
    by_uid = stored.set_index("uniqueid", drop=False) if len(stored) else stored
    later = {r.values["uniqueid"]: r.values for r in rows if r.kind == "twin_differing"}
    good_lost = []
    for row in rows:
        if row.outcome not in {"stored", "replaced", "twinned"} or row.kind not in {"good", "ten_kilobytes"}:
            continue
        uid = row.values["uniqueid"]
        want = later.get(uid, row.values)
        if uid not in by_uid.index:
            good_lost.append(f"{uid}: not stored")
            continue
        got = by_uid.loc[uid]
        if isinstance(got, pd.DataFrame):
            good_lost.append(f"{uid}: stored {len(got)} times")
            continue
        for column, value in (("calldate", pd.Timestamp(want["calldate"])), ("src", want["src"]),
                              ("dst", want["dst"]), ("billsec", int(want["billsec"])),
                              ("duration", int(want["duration"])), ("disposition", want["disposition"]),
                              ("clid", want["clid"].decode()), ("lastdata", want["lastdata"])):
            if got[column] != value:
                good_lost.append(f"{uid}: {column} {got[column]!r} instead of {value!r}")
    unreported = [f"{r.kind} {r.named_by}" for r in rows
                  if r.outcome in {"skipped", "repaired", "replaced"} and r.kind != "twin_differing"
                  and r.named_by not in log]
    waiting = [r for r in rows if r.outcome == "waiting"]
    if waiting and f"({len(waiting)})" not in log:
        unreported.append(f"{len(waiting)} rows dated in the future: not counted in the sync's warning")
    expected = sum(r.outcome in {"stored", "repaired", "replaced", "twinned"} for r in rows) \
        - sum(r.kind in {"twin_identical", "twin_differing"} for r in rows)
    wrong = "" if expected == len(stored) else f"{len(stored)} rows stored, {expected} expected"
    bad = sum(KINDS[r.kind] != "stored" for r in rows)
    return Verdict(len(rows), bad, good_lost, unreported, wrong)
