"""The settings file as the settings page edits it: sources of every value, comments kept, atomic
write, environment-set keys locked, secrets never returned."""

from __future__ import annotations

import stat

import pytest

from atsnb.config import load_settings
from atsnb.errors import ConfigError
from atsnb.settings_file import entries, write

FILE = """# Our PBX: keep this comment
[pbx]
host = "10.0.0.5"   # the office server
password = "s3cret-pbx-pw"

[thresholds]
# how long a caller may wait
service_level_s = 30
"""


@pytest.fixture
def settings_file(tmp_path):
    path = tmp_path / "atsnb.toml"
    path.write_text(FILE, encoding="utf-8")
    path.chmod(0o600)
    return path


def by_name(found):
    return {(e.section, e.key): e for e in found}


def test_every_setting_with_its_source_and_no_secret(settings_file):
    found = by_name(entries(settings_file, {"ATSNB_SMTP_HOST": "mail.example.ru"}))
    assert found["pbx", "host"].value == "10.0.0.5" and found["pbx", "host"].source == "file"
    assert found["thresholds", "service_level_s"].value == 30
    assert found["sync", "batch_rows"].source == "default"
    smtp = found["smtp", "host"]
    assert smtp.source == "env" and smtp.locked and smtp.variable == "ATSNB_SMTP_HOST"
    secret = found["pbx", "password"]
    assert secret.secret and secret.is_set and secret.value is None
    assert not found["smtp", "password"].is_set
    assert "s3cret-pbx-pw" not in repr(list(found.values()))
    assert found["monitor", "refresh_s"].value == 300


def test_an_edit_keeps_the_comments_and_survives_a_reload(settings_file):
    write(settings_file, {("thresholds", "service_level_s"): 15, ("monitor", "refresh_s"): 120}, {})
    text = settings_file.read_text(encoding="utf-8")
    assert "# Our PBX: keep this comment" in text and "# the office server" in text
    assert "# how long a caller may wait" in text and 'password = "s3cret-pbx-pw"' in text
    reloaded = load_settings(settings_file, {})
    assert reloaded.thresholds.service_level_s == 15 and reloaded.monitor.refresh_s == 120
    assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600
    assert [p.name for p in settings_file.parent.iterdir()] == ["atsnb.toml"]  # no temporary left


def test_environment_keys_and_bad_values_are_refused(settings_file):
    with pytest.raises(ConfigError, match="ATSNB_PBX_URL"):
        write(settings_file, {("pbx", "host"): "other"}, {"ATSNB_PBX_URL": "mysql://u:p@h/db"})
    with pytest.raises(ConfigError, match="ui.language"):
        write(settings_file, {("ui", "language"): "de"}, {})
    assert settings_file.read_text(encoding="utf-8") == FILE
