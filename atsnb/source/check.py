""""Check PBX availability": what ``atsnb check`` finds, as data a person or a machine can read.

:func:`check_pbx` connects (with the connect timeout), measures the round trip, and reports the
server version, the tables found with their flavour and missing columns, the newest record
against the clock (a large gap means a clock or time-zone mismatch, or a PBX that stopped
writing), the rows of the last 24 hours, and whether the user can only read — as it should.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime

import pandas as pd
import pymysql

from atsnb.config import Settings
from atsnb.i18n import t
from atsnb.source.mysql import connect, effective_pbx, endpoint
from atsnb.source.shape import LOGICAL_TABLES, detect_shape, present_tables

SKEW_WARN_S = 120  # server clock vs ours in the PBX zone
FUTURE_WARN_S = 300  # newest record ahead of now
WRITE_PRIVILEGES = re.compile(
    r"\b(ALL|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|INDEX|GRANT OPTION|SUPER|FILE|TRIGGER|EXECUTE|"
    r"CREATE ROUTINE|ALTER ROUTINE|EVENT|REFERENCES|LOCK TABLES)\b")


@dataclass
class TableCheck:
    kind: str
    table: str
    found: bool
    flavour: str = ""
    missing_columns: list[str] = field(default_factory=list)
    newest: str | None = None
    newest_age_s: int | None = None
    rows_24h: int | None = None


@dataclass
class CheckReport:
    ok: bool
    endpoint: str
    hosting: str
    tls: bool
    latency_ms: float | None = None
    server_version: str = ""
    read_only: bool | None = None
    server_time_skew_s: int | None = None
    tables: list[TableCheck] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def is_read_only(grants: list[str]) -> bool:
    """True when none of the ``SHOW GRANTS`` lines gives more than reading."""
    for line in grants:
        match = re.match(r"\s*GRANT\s+(.*?)\s+ON\s", line, re.IGNORECASE | re.DOTALL)
        if match and WRITE_PRIVILEGES.search(match.group(1).upper()):
            return False
    return True


def _now(settings: Settings) -> pd.Timestamp:
    return pd.Timestamp(datetime.now(settings.tz).replace(tzinfo=None)).floor("s")


def _scalar(cur: pymysql.cursors.Cursor, sql: str, args: tuple = ()) -> object:
    cur.execute(sql, args)
    row = cur.fetchone()
    return row[0] if row else None


def check_pbx(settings: Settings) -> CheckReport:
    """Run every check; connection failures raise :class:`~atsnb.errors.PBXConnectionError`."""
    pbx = effective_pbx(settings)
    report = CheckReport(ok=False, endpoint=str(endpoint(settings)), hosting=pbx.hosting, tls=pbx.tls)
    con = connect(settings)
    try:
        with con.cursor() as cur:
            trips = []
            for _ in range(3):
                started = time.perf_counter()
                cur.execute("SELECT 1")
                cur.fetchall()
                trips.append((time.perf_counter() - started) * 1000)
            report.latency_ms = round(statistics.median(trips), 2)
            report.server_version = str(_scalar(cur, "SELECT VERSION()"))
            cur.execute("SHOW GRANTS FOR CURRENT_USER()")
            report.read_only = is_read_only([row[0] for row in cur.fetchall()])
            server_now = pd.Timestamp(str(_scalar(cur, "SELECT NOW()")))
            now = _now(settings)
            report.server_time_skew_s = int((server_now - now).total_seconds())
            if abs(report.server_time_skew_s) > SKEW_WARN_S:
                report.warnings.append(t("check.warn_skew", seconds=report.server_time_skew_s,
                                          zone=settings.pbx.timezone))
            if not report.read_only:
                report.warnings.append(t("check.warn_not_read_only"))
            shape = detect_shape(con, settings)
            present = present_tables(con, settings)
            for kind in LOGICAL_TABLES:
                report.tables.append(_check_table(cur, settings, kind, shape, present, now, report.warnings))
    finally:
        con.close()
    report.ok = any(tc.kind == "cdr" and tc.found and tc.flavour for tc in report.tables)
    return report


def _check_table(cur, settings: Settings, kind: str, shape, present, now: pd.Timestamp,  # noqa: ANN001
                 warnings: list[str]) -> TableCheck:
    wanted = getattr(settings.tables, kind) or ""
    if kind not in shape:
        found = present.get(kind)
        check = TableCheck(kind, found or wanted, found is not None)
        if found is not None:
            check.missing_columns = [t("check.time_column")]
        return check
    ts = shape[kind]
    check = TableCheck(kind, ts.table, True, ts.flavour, ts.missing_columns())
    col = f"`{ts.time_column}`"
    table = f"`{ts.table}`"
    newest = _scalar(cur, f"SELECT MAX({col}) FROM {table}")
    if newest is not None:
        newest_ts = pd.to_datetime(str(newest), errors="coerce")
        newest_ts = None if pd.isna(newest_ts) else newest_ts.floor("s")
        if newest_ts is not None:
            check.newest = newest_ts.isoformat(sep=" ")
            check.newest_age_s = int((now - newest_ts).total_seconds())
            if kind == "cdr" and check.newest_age_s < -FUTURE_WARN_S:
                warnings.append(t("check.warn_future", minutes=-check.newest_age_s // 60))
    since = (now - pd.Timedelta(hours=24)).strftime("%Y-%m-%d %H:%M:%S")
    check.rows_24h = int(_scalar(cur, f"SELECT COUNT(*) FROM {table} WHERE {col} >= %s", (since,)) or 0)
    return check


def _age(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return t("check.age_days", sign=sign, days=days, hours=hours)
    return t("check.age_hm", sign=sign, hours=hours, minutes=minutes)


def render(report: CheckReport) -> list[str]:
    """The report in plain words, one line per fact."""
    lines = [t("check.connected", where=report.endpoint, hosting=report.hosting,
               tls=t("check.yes") if report.tls else t("check.no"))]
    lines.append(t("check.latency", ms=report.latency_ms, version=report.server_version))
    lines.append(t("check.read_only_yes") if report.read_only else t("check.read_only_no"))
    lines.append(t("check.skew", seconds=report.server_time_skew_s))
    for tc in report.tables:
        name = t(f"check.table_{tc.kind}")
        if not tc.found:
            lines.append(t("check.table_absent", name=name, table=tc.table or "—"))
            continue
        flavour = t(f"check.flavour_{tc.flavour}") if tc.flavour else "—"
        if tc.newest is None:
            lines.append(t("check.table_empty", name=name, table=tc.table, flavour=flavour))
        else:
            lines.append(t("check.table_found", name=name, table=tc.table, flavour=flavour, newest=tc.newest,
                           age=_age(tc.newest_age_s), rows=tc.rows_24h))
        if tc.missing_columns:
            lines.append(t("check.missing_columns", columns=", ".join(tc.missing_columns)))
    lines.extend(f"! {w}" for w in report.warnings)
    lines.append(t("check.verdict_ok") if report.ok else t("check.verdict_fail"))
    return lines
