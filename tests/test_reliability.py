"""The sync on bad days, fast cases (the long ones are benchmarks/reliability.py, docs/reliability.md):
rows wrong in every way, the PBX purging or recreating its tables, a full disk, MariaDB restarted
under ``sync --follow``, and no secret in anything a run leaves behind."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from atsnb.errors import StoreError
from atsnb.flow import sync_pbx
from atsnb.store import Store
from tests.pbx_rows import create_pbx, insert, leg, settings_for, stored, sync_env
from tests.support.malformed_rows import create_loose_cdr, insert_rows, judge, malformed_cdr
from tests.support.mariadb import Throwaway
from tests.support.secrets_scan import describe, forms, scan

NOW = pd.Timestamp.now(tz="Europe/Moscow").tz_localize(None).floor("s")


# -- malformed rows ---------------------------------------------------------------------------------
@pytest.mark.parametrize("packed", [True, False], ids=["packed", "column-by-column"])
def test_rows_wrong_in_every_way_never_stop_the_sync_and_each_bad_one_is_named(pbx_db, store_path, caplog, packed):
    server, db = pbx_db
    con = server.connect(db)
    create_loose_cdr(con)
    rows = malformed_cdr(60, seed=7, now=NOW)
    if not packed:  # a value holding the packing separator: the table is read column by column
        rows[0].values["userfield"] = "a\x1fb"
    insert_rows(con, rows)
    with caplog.at_level(logging.INFO, logger="atsnb.sync"):
        report = sync_pbx(settings_for(server, db, store_path))
    verdict = judge(rows, stored(store_path, "cdr"), caplog.text)
    assert verdict.ok, (verdict.good_lost, verdict.unreported, verdict.wrong_count)
    assert report.tables["cdr"].received == sum(r.outcome != "waiting" for r in rows)
    assert len(report.tables["cdr"].problems) == 20  # the JSON report lists 20; the log names them all
    assert "column by column" in caplog.text or packed
    not_utf8 = stored(store_path, "cdr").clid.str.contains("\ufffd")
    assert not_utf8.sum() == sum(r.kind == "not_utf8" for r in rows)
    assert len(stored(store_path, "calls")) > 0  # the calls were derived from the rows that landed


# -- the PBX's own history changing --------------------------------------------------------------------
def _days(first: int, last: int, start: str = "2025-03-01") -> list[dict]:
    return [leg(i, pd.Timestamp(start) + pd.Timedelta(hours=12 * i)) for i in range(first, last)]


def test_a_purged_cdr_is_noticed_once_and_the_store_keeps_its_history(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", _days(0, 120))  # March and April
    settings = settings_for(server, db, store_path)
    assert sync_pbx(settings).tables["cdr"].notices == []
    before = stored(store_path, "cdr")
    con.cursor().execute("DELETE FROM cdr WHERE calldate < '2025-04-01'")  # the PBX's monthly clean-up
    insert(con, "cdr", _days(120, 130))
    purged = sync_pbx(settings).tables["cdr"]
    assert len(purged.notices) == 1 and "2025-04-01" in purged.notices[0] and "2025-03-01" in purged.notices[0]
    after = stored(store_path, "cdr")
    assert len(after) == 130 and set(before._key) <= set(after._key)
    assert sync_pbx(settings).tables["cdr"].notices == []  # said once
    assert len(stored(store_path, "calls")) == 130


def test_a_rotated_cdr_names_the_rows_it_may_have_archived_and_how_to_bring_them_in(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", _days(0, 40))
    settings = settings_for(server, db, store_path)
    sync_pbx(settings)
    insert(con, "cdr", _days(40, 50))  # written after the sync, then archived with the rest at midnight
    cur = con.cursor()
    cur.execute("RENAME TABLE cdr TO cdr_archive")
    cur.execute("CREATE TABLE cdr LIKE cdr_archive")
    insert(con, "cdr", _days(60, 70))
    notices = sync_pbx(settings).tables["cdr"].notices
    assert len(notices) == 2 and "2025-03-20 12:00:01 по 2025-03-31" in notices[1] and "tables.cdr" in notices[1]
    assert len(stored(store_path, "cdr")) == 50
    sync_pbx(settings_for(server, db, store_path, ATSNB_TABLES_CDR="cdr_archive"))  # the advice followed
    assert len(stored(store_path, "cdr")) == 60


def test_cel_recreated_with_ids_from_one_is_read_again_and_the_old_events_stay(pbx_db, store_path, caplog):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", _days(0, 2, "2025-06-01"))

    def events(first: int, last: int) -> list[dict]:
        return [{"eventtype": "CHAN_START", "eventtime": f"2025-06-01 09:{m:02d}:00", "uniqueid": f"{m}.9",
                 "linkedid": f"{m}.9"} for m in range(first, last)]

    insert(con, "cel", events(0, 30))
    settings = settings_for(server, db, store_path)
    sync_pbx(settings)
    con.cursor().execute("TRUNCATE TABLE cel")  # ids start at 1 again, in the same month
    insert(con, "cel", events(30, 40))
    with caplog.at_level(logging.WARNING, logger="atsnb.sync"):
        notices = sync_pbx(settings).tables["cel"].notices
    assert len(notices) == 1 and ("начались заново" in notices[0]) and notices[0] in caplog.text
    cel = stored(store_path, "cel")
    assert len(cel) == 40 and cel._key.is_unique and sorted(cel.uniqueid) == sorted(f"{m}.9" for m in range(40))
    insert(con, "cel", events(40, 45))
    again = sync_pbx(settings).tables["cel"]
    assert again.notices == [] and again.added == 5 and len(stored(store_path, "cel")) == 45


# -- a full disk ----------------------------------------------------------------------------------------
def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*.parquet")}


def _grow_a_stored_month(con) -> None:
    """Rows written late (inside the sync's overlap), big enough that rewriting April's file needs
    more room than is left."""
    insert(con, "cdr", [leg(1000 + i, pd.Timestamp("2025-04-29 08:30") + pd.Timedelta(seconds=2 * i),
                            userfield=os.urandom(100).hex()) for i in range(3000)])


@contextlib.contextmanager
def _small_disk(folder: Path, size: str):
    folder.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"cannot mount a tmpfs: {done.stderr}"
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root; the file-size case runs anyway")
def test_a_full_disk_is_one_clear_error_and_the_months_already_stored_stay_intact(pbx_db, tmp_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", _days(0, 120))
    with _small_disk(tmp_path / "disk", "3m") as disk:
        store_root = disk / "store"
        settings = settings_for(server, db, store_root)
        sync_pbx(settings)
        before = _digests(store_root)
        _grow_a_stored_month(con)
        filler = disk / "filler"
        with open(filler, "wb") as fh, contextlib.suppress(OSError):  # the rest of the disk taken by another
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        done = subprocess.run([sys.executable, "-m", "atsnb.cli", "sync", "--no-progress"],
                              env=sync_env(server, db, store_root), capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        error = done.stderr.strip().splitlines()[-1]
        assert "нет места" in error and "Traceback" not in done.stderr, done.stderr
        assert _digests(store_root) == before  # every month file as it was
        assert not list(store_root.rglob("*.tmp"))
        with pytest.raises(StoreError, match="нет места"):
            sync_pbx(settings)
        filler.unlink()
        sync_pbx(settings)
        assert len(stored(store_root, "cdr")) == 3120
        clean = tmp_path / "clean"
        sync_pbx(settings_for(server, db, clean))
        for table in ("cdr", "calls"):
            pd.testing.assert_frame_equal(stored(store_root, table), stored(clean, table), obj=table)


def test_a_file_size_limit_mid_write_is_one_clear_error_and_the_months_stay_intact(pbx_db, tmp_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", _days(0, 120))
    store_root = tmp_path / "store"
    sync_pbx(settings_for(server, db, store_root))
    before = _digests(store_root)
    _grow_a_stored_month(con)
    limit = max(p.stat().st_size for p in store_root.rglob("*")) + 64 * 1024

    def limited() -> None:  # files may not grow past ``limit`` bytes: a write beyond fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run([sys.executable, "-m", "atsnb.cli", "sync", "--no-progress"],
                          env=sync_env(server, db, store_root, ATSNB_UI_LANGUAGE="en"), capture_output=True,
                          text=True, timeout=120, preexec_fn=limited)
    assert done.returncode == 2, done.stderr
    assert "the store's disk is full (File too large)" in done.stderr and "Traceback" not in done.stderr
    assert _digests(store_root) == before and not list(store_root.rglob("*.tmp"))
    sync_pbx(settings_for(server, db, store_root))
    assert len(stored(store_root, "cdr")) == 3120


def test_a_writer_killed_mid_write_leaves_a_temporary_file_the_next_writer_sweeps(store_path):
    store = Store.open(store_path)
    (store_path / "cdr").mkdir(parents=True)
    leftover = store_path / "cdr" / ".2025-04.parquet.4242.tmp"
    leftover.write_bytes(b"half a file")
    with store.writing():
        pass
    assert not leftover.exists()


# -- MariaDB restarted under sync --follow ----------------------------------------------------------------
@pytest.fixture(scope="module")
def own_mariadb():
    """A MariaDB of this module's own on a free port, so it can be restarted (never the shared one)."""
    server = Throwaway()
    try:
        yield server
    finally:
        server.stop()


def test_mariadb_restarted_during_sync_follow_resumes_and_nothing_is_lost_or_doubled(own_mariadb, tmp_path):
    server = own_mariadb.server
    db = f"atsnb_restart_{uuid.uuid4().hex[:8]}"
    server.connect().cursor().execute(f"CREATE DATABASE `{db}`")
    con = create_pbx(server, db)
    insert(con, "cdr", _days(0, 100))
    store_root = tmp_path / "store"
    follower = subprocess.Popen(
        [sys.executable, "-m", "atsnb.cli", "sync", "--follow", "--interval", "1", "--json", "--no-progress"],
        env=sync_env(server, db, store_root, ATSNB_SYNC_RETRIES="8", ATSNB_UI_LANGUAGE="en"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert json.loads(follower.stdout.readline())["tables"]["cdr"]["added"] == 100
        own_mariadb.restart(down_s=2)
        con = server.connect(db)
        insert(con, "cdr", _days(100, 110))
        added, deadline = 0, time.monotonic() + 90
        while added < 10 and time.monotonic() < deadline:
            added += json.loads(follower.stdout.readline())["tables"]["cdr"]["added"]
    finally:
        follower.kill()
        _, err = follower.communicate(timeout=30)
    assert added == 10
    assert "Lost the connection" in err or "was lost" in err or "could not connect" in err.lower() \
        or "refused" in err, err[-2000:]
    clean = tmp_path / "clean"
    sync_pbx(settings_for(server, db, clean))
    for table in ("cdr", "calls"):
        pd.testing.assert_frame_equal(stored(store_root, table), stored(clean, table), obj=table)


# -- secrets ----------------------------------------------------------------------------------------------
SECRET = "Pa ss/wörd+1&x"


def test_the_secrets_scan_finds_a_secret_in_every_form_and_container(tmp_path):
    import gzip
    from email.message import EmailMessage
    from urllib.parse import quote

    (tmp_path / "clean.log").write_text("nothing to see\n")
    (tmp_path / "plain.log").write_text(f"connect failed for {SECRET}\n")
    (tmp_path / "address.html").write_text(f'<a href="/x?pw={quote(SECRET, safe="")}">')
    (tmp_path / "lower.txt").write_text(re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(SECRET, safe="")))
    (tmp_path / "notes.json").write_text(json.dumps({"note": SECRET}))
    (tmp_path / "log.gz").write_bytes(gzip.compress(SECRET.encode()))
    pd.DataFrame({"who": [SECRET]}).to_excel(tmp_path / "export.xlsx", index=False)
    pd.DataFrame({"who": ["a", SECRET]}).to_parquet(tmp_path / "store.parquet", compression="zstd")
    mail = EmailMessage()
    mail["Subject"] = "Report"
    mail.set_content(f"the password is {SECRET}\n" * 3, cte="base64")
    (tmp_path / "sent.eml").write_bytes(mail.as_bytes())
    hits = scan(tmp_path, {"pbx password": SECRET})
    found = {hit.path.name for hit in hits}
    assert found == {"plain.log", "address.html", "lower.txt", "notes.json", "log.gz", "export.xlsx",
                     "store.parquet", "sent.eml"}, describe(hits)
    assert SECRET not in describe(hits)  # the report names secrets, never shows them
    assert len(forms(SECRET)) >= 5
    with pytest.raises(ValueError, match="shorter than"):
        scan(tmp_path, {"short": "abc"})


def test_a_sync_leaves_the_pbx_password_nowhere_even_when_things_go_wrong(pbx_db, tmp_path):
    server, db = pbx_db
    con = create_pbx(server, db)
    insert(con, "cdr", _days(0, 20))
    user, password = f"rel_{uuid.uuid4().hex[:8]}", "S3cr%t-pbx/pw+" + uuid.uuid4().hex[:6]
    admin = server.connect().cursor()
    admin.execute(f"CREATE USER '{user}'@'%%' IDENTIFIED BY %s", (password,))
    admin.execute(f"GRANT SELECT ON `{db}`.* TO '{user}'@'%'")
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    try:
        from urllib.parse import quote

        url = f"mysql://{user}:{quote(password, safe='')}@{server.host}:{server.port}/{db}"
        base = {**os.environ, "ATSNB_STORE": str(artifacts / "store"), "ATSNB_SMTP_PASSWORD": "smtp-" + password}
        runs = {"sync": (["sync", "--json"], url), "check": (["check", "--json"], url),
                "config": (["config"], url), "follow-verbose": (["-v", "sync"], url),
                "wrong-password": (["sync"], url.replace(quote(password, safe=""), "wrong-" + password[:4])),
                "closed-port": (["check"], url.replace(f":{server.port}/", ":1/"))}
        for name, (args, address) in runs.items():
            done = subprocess.run([sys.executable, "-m", "atsnb.cli", *args], env={**base, "ATSNB_PBX_URL": address},
                                  capture_output=True, text=True, timeout=120)
            (artifacts / f"{name}.out").write_text(done.stdout)
            (artifacts / f"{name}.err").write_text(done.stderr)
        assert json.loads((artifacts / "sync.out").read_text())["tables"]["cdr"]["added"] == 20
        assert "отклонила" in (artifacts / "wrong-password.err").read_text()
    finally:
        admin.execute(f"DROP USER '{user}'@'%'")
    hits = scan(artifacts, {"pbx password": password, "smtp password": "smtp-" + password})
    assert not hits, describe(hits)
