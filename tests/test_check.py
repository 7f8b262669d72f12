"""``atsnb check`` against a real MariaDB: what it reports, and one clear sentence when it cannot connect."""

import json
import uuid
from datetime import datetime

import pandas as pd

from atsnb.cli import main
from atsnb.composition import Context
from atsnb.i18n import set_language
from atsnb.source.check import check_pbx, is_read_only
from tests.pbx_rows import create_pbx, insert, leg, settings_for
from tests.support.demo_store import DEMO_PERIOD, demo_store
from tests.support.mariadb import free_port


def _now_moscow() -> pd.Timestamp:
    return pd.Timestamp(datetime.now(pd.Timestamp.now(tz="Europe/Moscow").tzinfo).replace(tzinfo=None))


def test_report_lists_tables_flavour_missing_columns_and_newest_record(pbx_db, store_path):
    server, db = pbx_db
    con = create_pbx(server, db, "freepbx", cel_extra="eventextra")
    con.cursor().execute("ALTER TABLE cdr DROP COLUMN recordingfile")
    con.cursor().execute("DROP TABLE website_callbacks")
    hour_ago = (_now_moscow() - pd.Timedelta(hours=1)).floor("s")
    insert(con, "cdr", [leg(1, hour_ago), leg(2, hour_ago - pd.Timedelta(days=3))])
    report = check_pbx(settings_for(server, db, store_path))
    tables = {t.kind: t for t in report.tables}
    assert report.ok and report.server_version and report.latency_ms is not None
    assert report.read_only is False  # root can write
    assert tables["cdr"].flavour == "freepbx" and tables["cdr"].missing_columns == ["recordingfile"]
    assert abs(tables["cdr"].newest_age_s - 3600) < 120
    assert tables["cdr"].rows_24h == 1
    assert tables["cel"].flavour == "eventextra" and tables["cel"].rows_24h == 0
    assert not tables["callbacks"].found


def test_a_select_only_user_is_reported_read_only(pbx_db, store_path):
    server, db = pbx_db
    create_pbx(server, db, "asterisk").close()
    user, password = f"ro_{uuid.uuid4().hex[:8]}", "Ro-pass-123"
    admin = server.connect()
    admin.cursor().execute(f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'")
    try:
        admin.cursor().execute(f"GRANT SELECT ON `{db}`.* TO '{user}'@'127.0.0.1'")
        settings = settings_for(server, db, store_path,
                                ATSNB_PBX_URL=f"mysql://{user}:{password}@{server.host}:{server.port}/{db}")
        report = check_pbx(settings)
        assert report.read_only is True and report.ok
        assert {t.kind: t.flavour for t in report.tables}["cdr"] == "asterisk"
    finally:
        admin.cursor().execute(f"DROP USER '{user}'@'127.0.0.1'")


def test_grant_lines_decide_read_only():
    assert is_read_only(["GRANT USAGE ON *.* TO `a`@`%`", "GRANT SELECT ON `asteriskcdrdb`.* TO `a`@`%`"])
    assert not is_read_only(["GRANT SELECT, INSERT ON `asteriskcdrdb`.* TO `a`@`%`"])
    assert not is_read_only(["GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"])


def test_cli_check_prints_json_and_exits_zero(pbx_db, store_path, monkeypatch, capsys):
    server, db = pbx_db
    create_pbx(server, db, "legacy", queue_log_data="single").close()
    monkeypatch.setenv("ATSNB_PBX_URL", server.url(db))
    assert main(["check", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    flavours = {t["kind"]: t["flavour"] for t in out["tables"]}
    assert flavours == {"cdr": "legacy", "cel": "extra", "queue_log": "single", "ratings": "default",
                        "callbacks": "default"}
    assert "linkedid" in next(t for t in out["tables"] if t["kind"] == "cdr")["missing_columns"]


def test_cli_check_in_plain_words_fails_without_a_cdr_table(pbx_db, monkeypatch, capsys):
    server, db = pbx_db
    monkeypatch.setenv("ATSNB_PBX_URL", server.url(db))
    monkeypatch.setenv("ATSNB_UI_LANGUAGE", "en")
    try:
        assert main(["check"]) == 1
    finally:
        set_language("ru")
    out = capsys.readouterr().out
    assert "Call records (CDR): no table cdr." in out and "cannot sync" in out


def _fails_cleanly(monkeypatch, capsys, url: str, password: str, *args: str) -> str:
    monkeypatch.setenv("ATSNB_PBX_URL", url)
    monkeypatch.setenv("ATSNB_PBX_CONNECT_TIMEOUT_S", "3")
    code = main(["check", *args])
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert code == 2
    assert "Traceback" not in text and password not in text
    return text


def test_wrong_password_is_one_sentence_without_the_password(pbx_db, monkeypatch, capsys):
    server, db = pbx_db
    text = _fails_cleanly(monkeypatch, capsys, f"mysql://root:Wr0ng-Secret@{server.host}:{server.port}/{db}",
                          "Wr0ng-Secret")
    assert text.strip().count("\n") == 0 and "пароль" in text


def test_closed_port_is_one_sentence_also_in_json(monkeypatch, capsys):
    port = free_port()
    text = _fails_cleanly(monkeypatch, capsys, f"mysql://atsnb:S3cret-pw@127.0.0.1:{port}/asteriskcdrdb",
                          "S3cret-pw", "--json")
    answer = json.loads(text)
    assert answer["ok"] is False and f"127.0.0.1:{port}" in answer["error"]


def test_cloud_hosting_insists_on_tls(pbx_db, monkeypatch, capsys):
    server, db = pbx_db  # the test server offers no TLS, so a cloud connection must refuse to go on
    monkeypatch.setenv("ATSNB_PBX_HOSTING", "cloud")
    text = _fails_cleanly(monkeypatch, capsys, f"mysql://root:Cl0ud-pw@{server.host}:{server.port}/{db}", "Cl0ud-pw")
    assert "TLS" in text


def test_unreadable_tls_ca_is_named(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("ATSNB_PBX_TLS", "yes")
    monkeypatch.setenv("ATSNB_PBX_TLS_CA", str(tmp_path / "missing-ca.pem"))
    text = _fails_cleanly(monkeypatch, capsys, "mysql://atsnb:Ca-pw-1@127.0.0.1:3306/x", "Ca-pw-1")
    assert "missing-ca.pem" in text


def test_hosting_other_reads_the_free_form_url_from_the_config_file(pbx_db, tmp_path, monkeypatch, capsys):
    server, db = pbx_db
    create_pbx(server, db, "freepbx").close()
    config = tmp_path / "atsnb.toml"
    config.write_text(f'[pbx]\nhosting = "other"\nhost = "wrong.invalid"\nurl = "{server.url(db)}"\n')
    monkeypatch.delenv("ATSNB_PBX_URL", raising=False)
    assert main(["--config", str(config), "check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["endpoint"] == f"{server.user}@{server.host}:{server.port}/{db}"


def test_a_cdr_table_without_its_time_column_is_named_and_check_fails(pbx_db, monkeypatch, capsys):
    server, db = pbx_db
    con = server.connect(db)
    con.cursor().execute("CREATE TABLE cdr (src varchar(80), dst varchar(80), uniqueid varchar(32))")
    monkeypatch.setenv("ATSNB_PBX_URL", server.url(db))
    assert main(["check", "--json"]) == 1
    cdr = next(t for t in json.loads(capsys.readouterr().out)["tables"] if t["kind"] == "cdr")
    assert cdr["found"] and cdr["flavour"] == "" and len(cdr["missing_columns"]) == 1


def test_check_calls_prints_the_data_quality_audit_of_the_stored_period(tmp_path_factory, monkeypatch, capsys):
    """No PBX is asked: the stored records of the period are audited (docs/data-quality.md)."""
    store, settings = demo_store(tmp_path_factory)
    monkeypatch.setenv("ATSNB_STORE", str(store))
    monkeypatch.setenv("ATSNB_PBX_URL", f"mysql://atsnb:pw@127.0.0.1:{free_port()}/asteriskcdrdb")  # nobody there
    period = ["--start", DEMO_PERIOD["start"], "--end", DEMO_PERIOD["end"]]
    expected = Context.from_settings(settings).audit("custom", **DEMO_PERIOD)
    assert main(["check", "--calls", *period]) == 0
    text = capsys.readouterr().out
    assert text.strip() == expected.text()
    assert text.startswith("Качество данных за 03.03.2025 – 16.03.2025\nЗаписи АТС → звонки: CDR ")
    assert main(["check", "--calls", "--json", *period]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer == json.loads(json.dumps(expected.to_dict()))
    assert answer["calls"] > 1000 and answer["answered"] == answer["answers_from_cel"]  # the demo writes CEL
    assert answer["records"] == answer["cdr_rows"] + answer["cel_rows"] + answer["queue_log_rows"]


def test_a_period_without_calls_is_refused_in_one_sentence(monkeypatch, capsys):
    assert main(["check", "--period", "yesterday"]) == 2
    assert "add --calls" in capsys.readouterr().err
