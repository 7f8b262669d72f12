"""``atsnb simulate`` writes into a real MariaDB laid out like the PBX, or through the sync into the store."""

from __future__ import annotations

import json
import wave

import pandas as pd
import pytest

from atsnb.cli import main
from atsnb.config import Settings
from atsnb.errors import StoreError
from atsnb.flow import store_simulation, store_sink
from atsnb.simulate import PbxStyle, render_recording, simulate, write_mysql
from atsnb.simulate.follow import follow
from atsnb.simulate.sinks import MySQLSink
from atsnb.store import Store

END = "2026-11-20 18:00"


@pytest.fixture(scope="module")
def small():
    return {flavour: simulate(days=1, seed=4, end=END, flavour=flavour) for flavour in ("freepbx", "asterisk", "legacy")}


def counts(server, database: str, tables: list[str]) -> dict[str, int]:
    con = server.connect(database)
    try:
        with con.cursor() as cur:
            out = {}
            for table in tables:
                cur.execute(f"SELECT COUNT(*) FROM `{table}`")
                out[table] = cur.fetchone()[0]
            return out
    finally:
        con.close()


@pytest.mark.parametrize("flavour", ["freepbx", "asterisk", "legacy"])
def test_each_flavour_lands_in_mysql_with_every_row(pbx_db, small, flavour):
    server, database = pbx_db
    sim = small[flavour]
    written = write_mysql(sim, server.url(database), flavour, progress=False)
    tables = ["cdr", "cel", "queue_log", "quality_ratings", "website_callbacks", "atsnb_truth"]
    expected = {"cdr": len(sim.tables["cdr"]), "cel": len(sim.tables["cel"]), "queue_log": len(sim.tables["queue_log"]),
                "quality_ratings": len(sim.tables["ratings"]), "website_callbacks": len(sim.tables["callbacks"]),
                "atsnb_truth": len(sim.truth)}
    assert counts(server, database, tables) == expected == written
    con = server.connect(database)
    with con.cursor() as cur:
        time_col = "start" if flavour == "asterisk" else "calldate"
        cur.execute(f"SELECT MIN(`{time_col}`), MAX(`{time_col}`), SUM(duration) FROM cdr")
        first, last, duration = cur.fetchone()
        cur.execute("SELECT COUNT(*) FROM cdr WHERE clid LIKE '\"%\" <%>'")
        quoted = cur.fetchone()[0]
    con.close()
    frame = sim.tables["cdr"]
    assert pd.Timestamp(first) == frame[time_col].min() and pd.Timestamp(last) == frame[time_col].max()
    assert int(duration) == int(frame["duration"].sum())
    assert quoted == len(frame)  # text with quotes and brackets survives the bulk load


def test_the_command_creates_the_pbx_tables_in_a_database(pbx_db, capsys):
    server, database = pbx_db
    assert main(["simulate", "--to", server.url(database), "--days", "1", "--calls-per-day", "60",
                 "--end", END, "--seed", "3", "--no-progress"]) == 0
    assert "CDR" in capsys.readouterr().out
    got = counts(server, database, ["cdr", "cel", "queue_log"])
    assert all(n > 0 for n in got.values())
    expected = simulate(days=1, seed=3, end=END, calls_per_day=60)
    assert got["cdr"] == len(expected.tables["cdr"])  # --end and --seed pin the rows down
    assert main(["simulate", "--to", server.url(database), "--end", "yesterday-ish"]) == 2


def test_a_single_data_queue_log_and_doubled_cdr_land_in_mysql_as_written(pbx_db):
    server, database = pbx_db
    sim = simulate(days=1, seed=4, end=END, style=PbxStyle(queue_log_data="single", duplicate_cdr=True))
    write_mysql(sim, server.url(database), progress=False)
    con = server.connect(database)
    with con.cursor() as cur:
        cur.execute("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                    "AND TABLE_NAME = 'queue_log' ORDER BY ORDINAL_POSITION")
        columns = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT data FROM queue_log ORDER BY id")
        data = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT COUNT(*), COUNT(DISTINCT uniqueid, sequence) FROM cdr")
        rows, distinct = cur.fetchone()
    con.close()
    assert columns == ["id", "time", "callid", "queuename", "agent", "event", "data"]
    assert data == sim.tables["queue_log"]["data"].tolist() and any(d.count("|") == 2 for d in data)
    assert rows == 2 * distinct == len(sim.tables["cdr"])


def test_the_command_takes_the_company_style_from_the_settings(pbx_db, monkeypatch, capsys):
    server, database = pbx_db
    monkeypatch.setenv("ATSNB_SIMULATE_TECHNOLOGY", "iax2")
    monkeypatch.setenv("ATSNB_SIMULATE_TRANSFERS", "blind, atxfer")
    args = ["simulate", "--to", server.url(database), "--days", "1", "--calls-per-day", "60", "--end", END,
            "--seed", "3", "--no-progress"]
    assert main(args) == 0
    expected = simulate(days=1, seed=3, end=END, calls_per_day=60,
                        style=PbxStyle(technology="iax2", transfers=("blind", "atxfer")))
    con = server.connect(database)
    with con.cursor() as cur:
        cur.execute("SELECT channel FROM cdr")
        channels = pd.Series([row[0] for row in cur.fetchall()])
    con.close()
    assert len(channels) == len(expected.tables["cdr"])
    assert channels.str.match(r"(IAX2|Local)/").all() and channels.str.startswith("IAX2/").any()
    monkeypatch.setenv("ATSNB_SIMULATE_TECHNOLOGY", "skinny")
    assert main(args) == 2
    assert "simulate.technology" in capsys.readouterr().err


def test_the_store_target_goes_through_the_sync_and_keeps_directories_truth_and_recordings(store_path, small):
    sim = small["freepbx"]
    settings = Settings()
    settings.store.path = str(store_path)
    store = Store.open(store_path)
    store_simulation(sim, store, settings, progress=False)
    cdr = store.table("cdr").read()
    assert len(cdr) == len(sim.tables["cdr"])
    assert set(cdr["linkedid"]) == set(sim.tables["cdr"]["linkedid"])
    assert len(store.table("cel").read()) == len(sim.tables["cel"])
    assert len(store.table("queue_log").read()) == len(sim.tables["queue_log"])
    employees = store.catalog.read("employees")
    assert set(employees["extension"]) == set(sim.directories["employees"]["extension"])
    assert json.loads(store.catalog.get_state("topology")) == sim.topology
    truth = pd.read_parquet(store_path / "simulation" / "truth.parquet")
    assert len(truth) == len(sim.truth)
    files = sorted((store_path / "recordings").rglob("*.wav"))
    assert files, "the last days' recordings are on disk"
    with wave.open(str(files[0])) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        assert 2.0 <= w.getnframes() / 8000 <= 5.0
    assert files[0].relative_to(store_path / "recordings").parts[:3] == tuple(
        files[0].name.split("-")[3][i:j] for i, j in ((0, 4), (4, 6), (6, 8)))


def test_older_recordings_are_rendered_on_first_request(store_path, small):
    (store_path / "simulation").mkdir(parents=True)
    name = "q-700-79161234567-20260101-101500-1767251700.42.wav"
    path = render_recording(store_path, name)
    assert path == store_path / "recordings" / "2026" / "01" / "01" / name
    assert path.stat().st_size > 40_000
    assert path.read_bytes() == render_recording(Store.open(store_path), name).read_bytes()
    assert render_recording(store_path, "../../etc/passwd") is None
    assert render_recording(store_path.parent / "elsewhere", name) is None  # not a simulated store


def test_a_store_with_real_data_is_never_overwritten(store_path, small):
    store = Store.open(store_path)
    settings = Settings()
    settings.store.path = str(store_path)
    from atsnb.flow import sync_frames
    from atsnb.source.shape import Shape

    sync_frames(store, settings, {"cdr": small["freepbx"].tables["cdr"].head(5)}, Shape.of("freepbx"),
                progress=False)
    with pytest.raises(StoreError, match="real PBX data|настоящие данные"):
        store_sink(settings)


def test_follow_appends_live_calls_continuing_the_ids(store_path):
    settings = Settings()
    settings.store.path = str(store_path)
    sink = store_sink(settings, progress=False)
    start = pd.Timestamp("2026-11-18 10:00", tz="Europe/Moscow")
    history = simulate(days=1, seed=9, end=start, calls_per_day=120)
    sink.write(history)
    before = len(Store.open(store_path).table("cel").read())
    clock = iter(start.timestamp() + 600 * (i + 1) for i in range(10))
    follow(sink, seed=9, employees=20, calls_per_day=120, tz="Europe/Moscow", flavour="freepbx",
           recordings_share=0.6, start=start, tick_s=0, clock=lambda: next(clock), sleep=lambda s: None, ticks=3)
    cel = Store.open(store_path).table("cel").read()
    assert len(cel) > before
    assert cel["id"].is_unique
    assert sink.history_end() == start + pd.Timedelta(minutes=30)
    truth = pd.read_parquet(store_path / "simulation" / "truth.parquet")
    assert truth["start"].max() > start.tz_localize(None)


def test_the_mysql_sink_continues_auto_increment_ids(pbx_db):
    server, database = pbx_db
    sink = MySQLSink(server.url(database), "freepbx", progress=False)
    start = pd.Timestamp("2026-11-18 11:00", tz="Europe/Moscow")
    sink.write(simulate(days=1, seed=5, end=start, calls_per_day=80))
    first = counts(server, database, ["cel"])["cel"]
    later = simulate(days=1, seed=6, end=start + pd.Timedelta(hours=1), start=start, calls_per_day=80)
    sink.write(later)
    con = server.connect(database)
    with con.cursor() as cur:
        cur.execute("SELECT COUNT(*), COUNT(DISTINCT id), MAX(id) FROM cel")
        total, distinct, top = cur.fetchone()
    con.close()
    assert total == distinct == top == first + len(later.tables["cel"])


def test_the_command_continues_a_simulated_store_instead_of_rewriting_it(store_path, monkeypatch, capsys):
    monkeypatch.setenv("ATSNB_STORE", str(store_path))
    args = ["simulate", "--days", "1", "--calls-per-day", "40", "--end", END, "--no-progress"]
    assert main(args) == 0
    first = len(Store.open(store_path).table("cdr").read())
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "уже есть" in out or "already there" in out
    cdr = Store.open(store_path).table("cdr").read()
    assert len(cdr) >= first
    assert Store.open(store_path).table("cel").read()["id"].is_unique


def test_the_demo_keeps_its_store_apart_from_a_real_installation(tmp_path, monkeypatch):
    import argparse

    from atsnb.commands.demo import demo_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ATSNB_STORE", raising=False)
    monkeypatch.delenv("ATSNB_CONFIG", raising=False)
    assert demo_settings(argparse.Namespace(config=None)).store_path == tmp_path / ".atsnb" / "demo-store"
    monkeypatch.setenv("ATSNB_STORE", str(tmp_path / "mine"))
    assert demo_settings(argparse.Namespace(config=None)).store_path == tmp_path / "mine"


def test_a_missing_database_is_created(mariadb):
    import uuid

    name = f"atsnb_test_{uuid.uuid4().hex[:12]}"
    try:
        assert main(["simulate", "--to", mariadb.url(name), "--days", "1", "--calls-per-day", "30",
                     "--end", END, "--no-progress"]) == 0
        assert counts(mariadb, name, ["cdr"])["cdr"] > 0
    finally:
        con = mariadb.connect()
        con.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        con.close()
