"""Settings: file, environment overrides, shortcuts, masking, clear errors."""

import pytest

from atsnb.cli import main
from atsnb.config import load_settings
from atsnb.errors import ConfigError


def test_environment_overrides_file_and_url_shortcut_fills_connection(tmp_path):
    cfg = tmp_path / "atsnb.toml"
    cfg.write_text('[pbx]\nhost = "pbx.local"\nport = 3307\n[thresholds]\nshort_abandon_s = 7\n')
    s = load_settings(cfg, env={"ATSNB_THRESHOLDS_SHORT_ABANDON_S": "9",
                                "ATSNB_PBX_URL": "mysql://ro:s%40cret@10.1.2.3:3310/cdrdb",
                                "ATSNB_STORE": str(tmp_path / "st")})
    assert (s.pbx.host, s.pbx.port, s.pbx.user, s.pbx.password, s.pbx.database) == (
        "10.1.2.3", 3310, "ro", "s@cret", "cdrdb")
    assert s.thresholds.short_abandon_s == 9
    assert s.store_path == tmp_path / "st"


def test_cloud_hosting_forces_tls():
    s = load_settings(env={"ATSNB_PBX_HOSTING": "cloud"})
    assert s.pbx.tls is True


def test_the_old_name_pbx_delivery_still_works_and_says_its_new_name(tmp_path, caplog):
    config = tmp_path / "atsnb.toml"
    config.write_text('[pbx]\ndelivery = "cloud"\n')
    with caplog.at_level("WARNING", logger="atsnb.config"):
        s = load_settings(config, env={})
    assert s.pbx.hosting == "cloud" and s.pbx.tls is True
    assert "pbx.hosting" in caplog.text and str(config) in caplog.text
    assert load_settings(env={"ATSNB_PBX_DELIVERY": "other"}).pbx.hosting == "other"


@pytest.mark.parametrize("env, fragment", [
    ({"ATSNB_PBX_PORT": "abc"}, "whole number"),
    ({"ATSNB_PBX_TIMEZONE": "Mars/Olympus"}, "time zone"),
    ({"ATSNB_PBX_HOSTING": "satellite"}, "cloud, server, other"),
    ({"ATSNB_PBX_URL": "postgres://x@y/z"}, "mysql://"),
])
def test_bad_values_get_a_sentence_naming_the_setting(env, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_settings(env=env)


def test_unknown_key_in_file_is_named(tmp_path):
    cfg = tmp_path / "a.toml"
    cfg.write_text("[pbx]\nhots = 1\n")
    with pytest.raises(ConfigError, match="pbx.hots"):
        load_settings(cfg, env={})


def test_config_command_masks_the_password(monkeypatch, capsys):
    monkeypatch.setenv("ATSNB_PBX_URL", "mysql://ro:TopSecret42@h:3306/db")
    monkeypatch.setenv("ATSNB_SMTP_PASSWORD", "MailSecret")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "TopSecret42" not in out and "MailSecret" not in out
    assert "********" in out and 'host = "h"' in out
    assert "TopSecret42" not in repr(load_settings())


def test_printing_the_settings_creates_no_store(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("ATSNB_STORE", str(tmp_path / "not-yet"))
    assert main(["config"]) == 0
    assert "not-yet" in capsys.readouterr().out
    assert not (tmp_path / "not-yet").exists()  # the context opens its store only when asked for it


def test_a_context_for_another_store_leaves_the_callers_settings_alone(tmp_path):
    from atsnb.composition import Context

    settings = load_settings(env={"ATSNB_STORE": str(tmp_path / "configured")})
    ctx = Context.from_settings(settings, store=tmp_path / "other")
    assert ctx.store.root == tmp_path / "other" and ctx.settings.store_path == tmp_path / "other"
    assert settings.store_path == tmp_path / "configured"
