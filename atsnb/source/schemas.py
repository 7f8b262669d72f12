"""The PBX table layouts atsnb knows, as data: column lists and the DDL that creates them.

Three CDR flavours (docs/pbx-data.md §1.1):

* ``freepbx``  — FreePBX ``asteriskcdrdb.cdr``: ``calldate`` = start, no answer/end columns,
  extra columns did, recordingfile, cnum, …, linkedid, peeraccount, sequence;
* ``asterisk`` — Asterisk's own Alembic schema: ``start``/``answer``/``end`` instead of calldate;
* ``legacy``   — old cdr_mysql / Issabel: the classic columns without linkedid/peeraccount/sequence.

CEL stores its JSON in ``extra`` (FreePBX) or ``eventextra`` (Issabel).  queue_log is either
"adaptive" (data1..data5) or has one ``data`` column.  The two vendor modules (quality ratings,
website callbacks) have a documented default table each (below), remappable in the settings.

The simulator creates exactly these tables; ``atsnb check`` and the sync detect which one they meet.
"""

from __future__ import annotations

CDR_COMMON = [
    ("clid", "varchar(80) NOT NULL DEFAULT ''"),
    ("src", "varchar(80) NOT NULL DEFAULT ''"),
    ("dst", "varchar(80) NOT NULL DEFAULT ''"),
    ("dcontext", "varchar(80) NOT NULL DEFAULT ''"),
    ("channel", "varchar(80) NOT NULL DEFAULT ''"),
    ("dstchannel", "varchar(80) NOT NULL DEFAULT ''"),
    ("lastapp", "varchar(80) NOT NULL DEFAULT ''"),
    ("lastdata", "varchar(80) NOT NULL DEFAULT ''"),
    ("duration", "int(11) NOT NULL DEFAULT 0"),
    ("billsec", "int(11) NOT NULL DEFAULT 0"),
    ("disposition", "varchar(45) NOT NULL DEFAULT ''"),
    ("amaflags", "int(11) NOT NULL DEFAULT 0"),
    ("accountcode", "varchar(20) NOT NULL DEFAULT ''"),
    ("uniqueid", "varchar(32) NOT NULL DEFAULT ''"),
    ("userfield", "varchar(255) NOT NULL DEFAULT ''"),
]

FREEPBX_EXTRA = [
    ("did", "varchar(50) NOT NULL DEFAULT ''"),
    ("recordingfile", "varchar(255) NOT NULL DEFAULT ''"),
    ("cnum", "varchar(80) NOT NULL DEFAULT ''"),
    ("cnam", "varchar(80) NOT NULL DEFAULT ''"),
    ("outbound_cnum", "varchar(80) NOT NULL DEFAULT ''"),
    ("outbound_cnam", "varchar(80) NOT NULL DEFAULT ''"),
    ("dst_cnam", "varchar(80) NOT NULL DEFAULT ''"),
    ("linkedid", "varchar(32) NOT NULL DEFAULT ''"),
    ("peeraccount", "varchar(80) NOT NULL DEFAULT ''"),
    ("sequence", "int(11) NOT NULL DEFAULT 0"),
]

CDR_FLAVOURS: dict[str, list[tuple[str, str]]] = {
    "freepbx": [("calldate", "datetime NOT NULL DEFAULT '1970-01-01 00:00:00'"), *CDR_COMMON, *FREEPBX_EXTRA],
    "asterisk": [
        ("accountcode", "varchar(80)"), ("src", "varchar(80)"), ("dst", "varchar(80)"),
        ("dcontext", "varchar(80)"), ("clid", "varchar(80)"), ("channel", "varchar(80)"),
        ("dstchannel", "varchar(80)"), ("lastapp", "varchar(80)"), ("lastdata", "varchar(80)"),
        ("start", "datetime"), ("answer", "datetime"), ("end", "datetime"),
        ("duration", "int"), ("billsec", "int"), ("disposition", "varchar(45)"), ("amaflags", "varchar(45)"),
        ("userfield", "varchar(256)"), ("uniqueid", "varchar(150)"), ("linkedid", "varchar(150)"),
        ("peeraccount", "varchar(80)"), ("sequence", "int"),
        # FreePBX-style dialplans set these CDR variables; cdr_adaptive_odbc fills them when present.
        ("did", "varchar(50)"), ("recordingfile", "varchar(255)"), ("cnum", "varchar(80)"),
        ("outbound_cnum", "varchar(80)"),
    ],
    "legacy": [("calldate", "datetime NOT NULL DEFAULT '1970-01-01 00:00:00'"), *CDR_COMMON,
               ("did", "varchar(50) NOT NULL DEFAULT ''"), ("recordingfile", "varchar(255) NOT NULL DEFAULT ''")],
}

CDR_INDEXES: dict[str, list[str]] = {
    "freepbx": ["KEY calldate (calldate)", "KEY dst (dst)", "KEY uniqueid (uniqueid)", "KEY did (did)"],
    "asterisk": ["KEY start (start)", "KEY uniqueid (uniqueid)"],
    "legacy": ["KEY calldate (calldate)", "KEY uniqueid (uniqueid)"],
}

CEL_COLUMNS = [
    ("id", "int(11) NOT NULL AUTO_INCREMENT"),
    ("eventtype", "varchar(30) NOT NULL"),
    ("eventtime", "datetime NOT NULL"),
    ("cid_name", "varchar(80) NOT NULL DEFAULT ''"),
    ("cid_num", "varchar(80) NOT NULL DEFAULT ''"),
    ("cid_ani", "varchar(80) NOT NULL DEFAULT ''"),
    ("cid_rdnis", "varchar(80) NOT NULL DEFAULT ''"),
    ("cid_dnid", "varchar(80) NOT NULL DEFAULT ''"),
    ("exten", "varchar(80) NOT NULL DEFAULT ''"),
    ("context", "varchar(80) NOT NULL DEFAULT ''"),
    ("channame", "varchar(80) NOT NULL DEFAULT ''"),
    ("appname", "varchar(80) NOT NULL DEFAULT ''"),
    ("appdata", "varchar(255) NOT NULL DEFAULT ''"),
    ("amaflags", "int(11) NOT NULL DEFAULT 0"),
    ("accountcode", "varchar(20) NOT NULL DEFAULT ''"),
    ("uniqueid", "varchar(32) NOT NULL DEFAULT ''"),
    ("linkedid", "varchar(32) NOT NULL DEFAULT ''"),
    ("peer", "varchar(80) NOT NULL DEFAULT ''"),
    ("userdeftype", "varchar(255) NOT NULL DEFAULT ''"),
    ("extra", "varchar(512) NOT NULL DEFAULT ''"),  # "eventextra" in the Issabel flavour
]

QUEUE_LOG_COLUMNS = [
    ("id", "bigint(20) unsigned NOT NULL AUTO_INCREMENT"),
    ("time", "char(26) DEFAULT NULL"),  # text 'YYYY-MM-DD HH:MM:SS.ffffff', local time
    ("callid", "varchar(80) NOT NULL DEFAULT ''"),
    ("queuename", "varchar(256) NOT NULL DEFAULT ''"),
    ("agent", "varchar(80) NOT NULL DEFAULT ''"),
    ("event", "varchar(32) NOT NULL DEFAULT ''"),
    ("data1", "varchar(100) NOT NULL DEFAULT ''"),
    ("data2", "varchar(100) NOT NULL DEFAULT ''"),
    ("data3", "varchar(100) NOT NULL DEFAULT ''"),
    ("data4", "varchar(100) NOT NULL DEFAULT ''"),
    ("data5", "varchar(100) NOT NULL DEFAULT ''"),
]
QUEUE_LOG_SINGLE_DATA = [*QUEUE_LOG_COLUMNS[:6], ("data", "varchar(400) NOT NULL DEFAULT ''")]

# Vendor module defaults (docs/pbx-data.md §5): our documented default layout, remappable column by column.
RATINGS_COLUMNS = [
    ("id", "int(11) NOT NULL AUTO_INCREMENT"),
    ("rated_at", "datetime NOT NULL"),       # when the client pressed the key
    ("linkedid", "varchar(32) NOT NULL DEFAULT ''"),
    ("uniqueid", "varchar(32) NOT NULL DEFAULT ''"),
    ("extension", "varchar(20) NOT NULL DEFAULT ''"),   # the operator who was rated
    ("number", "varchar(40) NOT NULL DEFAULT ''"),      # the client's number
    ("rating", "tinyint NOT NULL"),          # 1..5
    ("question", "varchar(80) NOT NULL DEFAULT ''"),
]

CALLBACKS_COLUMNS = [
    ("id", "int(11) NOT NULL AUTO_INCREMENT"),
    ("requested_at", "datetime NOT NULL"),
    ("site", "varchar(120) NOT NULL DEFAULT ''"),
    ("page", "varchar(255) NOT NULL DEFAULT ''"),
    ("utm_source", "varchar(80) NOT NULL DEFAULT ''"),
    ("utm_medium", "varchar(80) NOT NULL DEFAULT ''"),
    ("utm_campaign", "varchar(120) NOT NULL DEFAULT ''"),
    ("utm_content", "varchar(120) NOT NULL DEFAULT ''"),
    ("utm_term", "varchar(120) NOT NULL DEFAULT ''"),
    ("number", "varchar(40) NOT NULL DEFAULT ''"),       # client's number typed on the site
    ("extension", "varchar(20) NOT NULL DEFAULT ''"),    # employee called first
    ("status", "varchar(20) NOT NULL DEFAULT ''"),       # connected | employee_no_answer | client_no_answer | failed
    ("called_at", "datetime DEFAULT NULL"),              # when the PBX started calling
    ("connected_at", "datetime DEFAULT NULL"),           # when employee and client were connected
    ("linkedid", "varchar(32) NOT NULL DEFAULT ''"),
]


def create_table_sql(name: str, columns: list[tuple[str, str]], extra: list[str] | None = None) -> str:
    cols = [f"`{c}` {t}" for c, t in columns]
    if columns and columns[0][0] == "id" and "AUTO_INCREMENT" in columns[0][1]:
        cols.append("PRIMARY KEY (`id`)")
    cols.extend(extra or [])
    return f"CREATE TABLE IF NOT EXISTS `{name}` (\n  " + ",\n  ".join(cols) + "\n) DEFAULT CHARSET=utf8mb4"


def pbx_ddl(flavour: str = "freepbx", *, cel_extra: str = "extra", queue_log_data: str = "split",
            tables: dict[str, str] | None = None) -> list[str]:
    """CREATE TABLE statements for a whole PBX database of the given flavour."""
    if flavour not in CDR_FLAVOURS:
        raise ValueError(f"unknown CDR flavour {flavour!r}; known: {', '.join(CDR_FLAVOURS)}")
    t = {"cdr": "cdr", "cel": "cel", "queue_log": "queue_log", "ratings": "quality_ratings",
         "callbacks": "website_callbacks", **(tables or {})}
    cel = [(cel_extra if c == "extra" else c, ty) for c, ty in CEL_COLUMNS]
    qlog = QUEUE_LOG_COLUMNS if queue_log_data == "split" else QUEUE_LOG_SINGLE_DATA
    return [
        create_table_sql(t["cdr"], CDR_FLAVOURS[flavour], CDR_INDEXES[flavour]),
        create_table_sql(t["cel"], cel, ["KEY uniqueid (uniqueid)", "KEY linkedid (linkedid)",
                                         "KEY eventtime (eventtime)"]),
        create_table_sql(t["queue_log"], qlog, ["KEY time (time)", "KEY callid (callid)"]),
        create_table_sql(t["ratings"], RATINGS_COLUMNS, ["KEY rated_at (rated_at)"]),
        create_table_sql(t["callbacks"], CALLBACKS_COLUMNS, ["KEY requested_at (requested_at)"]),
    ]
