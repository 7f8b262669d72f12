"""Small hand-made PBX databases for the source/check/sync tests: tables of one flavour, a few rows."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pymysql

from atsnb.config import Settings, load_settings
from atsnb.source.schemas import pbx_ddl
from atsnb.store import Store
from tests.support.mariadb import Server


def create_pbx(server: Server, database: str, flavour: str = "freepbx", **kw) -> pymysql.Connection:
    """Create the PBX tables of ``flavour`` (see pbx_ddl) and return a connection to the database."""
    con = server.connect(database)
    with con.cursor() as cur:
        for statement in pbx_ddl(flavour, **kw):
            cur.execute(statement)
    return con


def insert(con: pymysql.Connection, table: str, rows: list[dict]) -> None:
    """Insert dict rows (all with the same keys) into ``table``."""
    if not rows:
        return
    cols = list(rows[0])
    sql = f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
    with con.cursor() as cur:
        cur.executemany(sql, [tuple(r[c] for c in cols) for r in rows])


def leg(n: int, when: str | pd.Timestamp, flavour: str = "freepbx", **over) -> dict:
    """One CDR leg in the columns of ``flavour``: call ``n``, starting ``when``, answered after 5 s, 30 s talk."""
    start = pd.Timestamp(when)
    row = {"src": "84951234567", "dst": "101", "dcontext": "from-trunk", "channel": f"PJSIP/trunk-{n:08x}",
           "dstchannel": f"PJSIP/101-{n:08x}", "lastapp": "Dial", "lastdata": "PJSIP/101",
           "duration": 35, "billsec": 30, "disposition": "ANSWERED", "uniqueid": f"{1700000000 + n}.{n}"}
    if flavour == "asterisk":
        row |= {"start": str(start), "answer": str(start + pd.Timedelta(seconds=5)),
                "end": str(start + pd.Timedelta(seconds=35)), "amaflags": "DOCUMENTATION",
                "linkedid": row["uniqueid"], "sequence": n}
    else:
        row |= {"calldate": str(start), "amaflags": 3}
        if flavour == "freepbx":
            row |= {"linkedid": row["uniqueid"], "sequence": n, "did": "74950000000"}
    return row | over


def settings_for(server: Server, database: str, store: Path, **env: str) -> Settings:
    """Settings pointing at ``database`` and the store folder, plus ATSNB_* overrides."""
    return load_settings(env={"ATSNB_PBX_URL": server.url(database), "ATSNB_STORE": str(store), **env})


def sync_env(server: Server, database: str, store: Path, **env: str) -> dict[str, str]:
    """Environment variables for an ``atsnb`` subprocess against ``database``."""
    return {**os.environ, "ATSNB_PBX_URL": server.url(database), "ATSNB_STORE": str(store), **env}


def stored(store_path: Path, table: str) -> pd.DataFrame:
    """A store table sorted by key, index reset (to compare two stores)."""
    df = Store.open(store_path).table(table).read()
    if df.empty:
        return df
    key = "_key" if "_key" in df.columns else "call_id"
    return df.sort_values(key).reset_index(drop=True)
