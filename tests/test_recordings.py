"""Call recordings without a server: where a stored ``recordingfile`` value may lead (never outside
the recordings folder), what format a file is, the conversion of what a browser cannot play, the
sentences for what cannot be played, the PBX's web server as the source, the byte ranges, the
player's markup — and the simulated company's recordings rendered on request."""

from __future__ import annotations

import datetime as dt
import os
import socket
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from atsnb import i18n
from atsnb.composition import Context
from atsnb.config import Settings
from atsnb.recordings import names
from atsnb.recordings.convert import CACHE_DIR, prune
from atsnb.recordings.formats import sniff
from atsnb.recordings.library import RecordingLibrary
from atsnb.recordings.problems import RecordingUnavailable
from atsnb.serve import settings_toml, voila_config
from atsnb.store import Store
from atsnb.views.player import player_html, recording_player, recording_url
from atsnb.web.ranges import RangeNotSatisfiable, byte_range, content_range
from tests.support.recordings_store import PBX_WEB_PASSWORD, RecordingsCase, build, pbx_web_server

PASSWORD = PBX_WEB_PASSWORD


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> RecordingsCase:
    return build(tmp_path_factory.mktemp("recordings"))


@pytest.fixture(scope="module")
def library(case) -> RecordingLibrary:
    return RecordingLibrary(case.settings, Store.open(case.store))


def reason(library: RecordingLibrary, call_id: str) -> str:
    with pytest.raises(RecordingUnavailable) as caught:
        library.playable(call_id)
    return caught.value.reason


# -- names -----------------------------------------------------------------------------------------

def test_candidates_try_the_dated_folders_then_the_flat_folder():
    start = dt.datetime(2026, 12, 2, 0, 1)  # the call began just after midnight, the file is dated the day before
    tried = names.candidates("in-79104698494-101-20261201-235959-1764.5.wav", start)
    assert tried[:4] == [
        "2026/12/01/in-79104698494-101-20261201-235959-1764.5.wav",
        "2026/12/02/in-79104698494-101-20261201-235959-1764.5.wav",
        "in-79104698494-101-20261201-235959-1764.5.wav",
        "2026/12/01/in-79104698494-101-20261201-235959-1764.5.WAV",  # then the stem with other extensions
    ]
    assert "2026/12/01/in-79104698494-101-20261201-235959-1764.5.mp3" in tried and len(tried) == len(set(tried))
    assert names.candidates("/var/spool/asterisk/monitor/2025/03/14/x.wav", None)[:2] == ["2025/03/14/x.wav", "x.wav"]


@pytest.mark.parametrize("value", ["", "   ", "..", "../", "a/..", ".hidden.wav", "a\\..\\b.wav", "x\x00.wav",
                                   "line\nbreak.wav"])
def test_values_that_name_no_safe_file_give_no_candidate(value):
    assert names.candidates(value, None) == []


@pytest.mark.parametrize("value", ["../../etc/passwd", "/etc/passwd", "2026/../../../etc/passwd",
                                   "%2e%2e/%2e%2e/etc/passwd"])
def test_every_candidate_stays_a_plain_path_below_the_folder(value):
    for relative in names.candidates(value, dt.datetime(2026, 12, 1)):
        parts = Path(relative).parts
        assert not Path(relative).is_absolute() and ".." not in parts
        assert len(parts) in (1, 4)  # the name, or YYYY/MM/DD/name


# -- byte ranges -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("", None), ("bytes=0-", (0, 999)), ("bytes=100-199", (100, 199)), ("bytes=900-5000", (900, 999)),
    ("bytes=-100", (900, 999)), ("bytes=-5000", (0, 999)), ("bytes = 5 - 9", (5, 9)),
    ("bytes=0-1,5-9", None), ("items=0-5", None), ("bytes=9-5", None), ("bytes=-", None), ("garbage", None),
])
def test_byte_range(header, expected):
    assert byte_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_a_range_past_the_end_cannot_be_satisfied(header):
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, 1000)
    assert content_range(0, 99, 1000) == "bytes 0-99/1000"


# -- formats ---------------------------------------------------------------------------------------

def test_formats_are_read_from_the_bytes_not_the_name(case):
    day = case.folder / "2026/12/01"
    pcm = sniff(day / "in-79104698494-101-20261201-081300-1764566000.1.wav")
    assert (pcm.container, pcm.codec, pcm.playable, pcm.sound_bytes) == ("wav", "pcm", True, 48000)
    wav49 = sniff(day / "wav49-20261201-081500-1764566100.4.WAV")
    assert (wav49.container, wav49.codec, wav49.playable) == ("wav", "gsm", False)
    raw = sniff(day / "raw-20261201-081600-1764566160.5.gsm")
    assert (raw.container, raw.codec, raw.playable) == ("raw", "gsm", False)
    mp3 = sniff(day / "mp3-20261201-081700-1764566220.6.mp3")
    assert (mp3.container, mp3.playable, mp3.content_type) == ("mp3", True, "audio/mpeg")
    assert sniff(day / "empty-20261201-081800-1764566280.7.wav").sound_bytes == 0


# -- the library -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["pcm", "flat", "full_path", "not_epoch"])
def test_pcm_recordings_are_found_in_every_layout_and_sent_as_they_are(library, case, name):
    playable = library.playable(case.calls[name])
    assert playable.path.is_relative_to(case.folder.resolve())
    assert playable.content_type == "audio/wav"
    assert library.problem(case.calls[name]) is None


def test_the_download_name_says_when_who_and_with_whom(library, case):
    assert library.playable(case.calls["pcm"]).download_name == "2026-12-01_08-13_79104698494_101.wav"


@pytest.mark.parametrize("name", ["wav49", "gsm"])
def test_gsm_is_converted_once_into_pcm_wav(library, case, name):
    first = library.playable(case.calls[name])
    assert first.path.parent == case.store / CACHE_DIR
    assert first.content_type == "audio/wav" and first.download_name.endswith(".wav")
    with wave.open(str(first.path)) as w:
        assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 2, 1)
        assert abs(w.getnframes() / 8000 - 3.0) < 0.1
    made = first.path.stat().st_mtime_ns
    again = library.playable(case.calls[name])
    assert again.path == first.path and again.path.stat().st_mtime_ns >= made
    assert sniff(again.path).playable


def test_a_recording_converted_after_the_call_is_found_by_its_stem(library, case):
    playable = library.playable(case.calls["stem_mp3"])  # stored as .wav, on disk as .mp3 (a cron job)
    assert playable.path.suffix == ".mp3" and playable.content_type == "audio/mpeg"
    assert playable.download_name == "2026-12-01_08-25_79104698494_101.mp3"


def test_mp3_is_sent_as_it_is(library, case):
    playable = library.playable(case.calls["mp3"])
    assert playable.content_type == "audio/mpeg" and playable.download_name.endswith(".mp3")
    assert playable.path.parent == (case.folder / "2026/12/01").resolve()


@pytest.mark.parametrize(("name", "expected"), [
    ("empty", "empty"), ("missing", "missing"), ("expired", "expired"), ("none", "none"),
    ("traversal", "missing"), ("absolute", "missing"), ("symlink", "missing"),
])
def test_what_cannot_be_played_says_why(library, case, name, expected):
    assert reason(library, case.calls[name]) == expected
    problem = library.problem(case.calls[name])
    assert problem is not None and problem.reason == expected


def test_the_sentences_name_the_file_or_the_oldest_day_kept(library, case):
    i18n.set_language("en")
    assert library.problem(case.calls["expired"]).message() == \
        "The recording is no longer on the PBX (recordings are kept from 30.11.2026)"
    assert "gone-20261201-081900-1764566340.8.wav" in library.problem(case.calls["missing"]).message()
    assert library.problem(case.calls["empty"]).status == 404
    assert library.problem(case.calls["expired"]).status == 410


@pytest.mark.parametrize("call_id", ["no-such-call", "../../etc/passwd", "/etc/passwd", "..", "x" * 500, "a b"])
def test_an_unknown_or_malformed_call_id_finds_nothing(library, call_id):
    assert reason(library, call_id) == "unknown_call"


def test_without_ffmpeg_a_gsm_recording_says_what_the_server_lacks(case, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg on it
    i18n.set_language("en")
    fresh = RecordingLibrary(case.settings, Store.open(case.store))
    fresh.cache = tmp_path / "cache"
    problem = fresh.problem(case.calls["wav49"])
    assert problem is not None and problem.reason == "unconvertible" and "apt-get install ffmpeg" in problem.message()
    assert fresh.problem(case.calls["pcm"]) is None  # PCM needs no ffmpeg


def test_an_unmounted_folder_is_unreachable(case):
    settings = Settings()
    settings.recordings.folder = str(case.root / "not-mounted")
    lib = RecordingLibrary(settings, Store.open(case.store))
    assert reason(lib, case.calls["pcm"]) == "unreachable"


def test_nothing_configured_says_so(case):
    lib = RecordingLibrary(Settings(), Store.open(case.store))
    assert reason(lib, case.calls["pcm"]) == "not_configured"


def test_unused_converted_copies_are_pruned(tmp_path):
    old, new = tmp_path / "old.wav", tmp_path / "new.wav"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    os.utime(old, (0, 0))
    assert prune(tmp_path) == 1 and not old.exists() and new.exists()


# -- the PBX's web server as the source ------------------------------------------------------------

@pytest.fixture(scope="module")
def pbx_web(case) -> Iterator[str]:
    with pbx_web_server(case.folder) as url:
        yield url


def _url_library(case, base_url: str, tmp_path: Path) -> RecordingLibrary:
    settings = Settings()
    settings.recordings.base_url = base_url
    lib = RecordingLibrary(settings, Store.open(case.store), render=lambda name: None)  # as ctx.recordings has
    lib.cache = tmp_path
    lib.url.cache = tmp_path / "fetched"
    return lib


def test_recordings_are_fetched_from_the_pbx_with_its_credentials(case, pbx_web, tmp_path):
    lib = _url_library(case, pbx_web, tmp_path)
    pcm = lib.playable(case.calls["pcm"])
    assert pcm.path.read_bytes() == (case.folder / "2026/12/01/in-79104698494-101-20261201-081300-1764566000.1.wav").read_bytes()
    assert lib.playable(case.calls["flat"]).path.stat().st_size > 44
    assert lib.playable(case.calls["wav49"]).content_type == "audio/wav"  # fetched, then converted
    assert lib.problem(case.calls["pcm"]) is None
    assert lib.problem(case.calls["missing"]).reason == "missing"


def test_without_the_credentials_the_kernel_cannot_tell_and_shows_the_player(case, pbx_web, tmp_path):
    lib = _url_library(case, pbx_web.replace(f"pbx:{PASSWORD}@", ""), tmp_path)
    assert lib.problem(case.calls["pcm"]) is None
    with pytest.raises(RecordingUnavailable) as caught:
        lib.playable(case.calls["pcm"])
    assert caught.value.reason == "unreachable" and "401" in caught.value.message()


def test_an_unreachable_pbx_is_named_by_host_without_its_password(case, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lib = _url_library(case, f"http://pbx:{PASSWORD}@127.0.0.1:{port}", tmp_path)
    problem = lib.problem(case.calls["pcm"])
    assert problem is not None and problem.reason == "unreachable"
    assert f"127.0.0.1:{port}" in problem.message() and PASSWORD not in problem.message()
    with pytest.raises(RecordingUnavailable) as caught:
        lib.playable(case.calls["pcm"])
    assert caught.value.reason == "unreachable" and PASSWORD not in str(caught.value)


def test_the_recordings_password_stays_with_the_server(tmp_path):
    settings = Settings()
    settings.recordings.base_url = f"https://pbx:{PASSWORD}@10.0.0.5/monitor"
    kernels = settings_toml(settings)
    assert PASSWORD not in kernels and 'base_url = "https://10.0.0.5/monitor"' in kernels
    assert PASSWORD not in str(settings.masked())
    server = voila_config(tmp_path, tokens={"admin": "t"}, passwords={}, preheat=False, recordings_url=settings.recordings.base_url)
    assert f"c.AtsnbVoila.recordings_base_url = 'https://pbx:{PASSWORD}@10.0.0.5/monitor'" in server


# -- the simulated company -------------------------------------------------------------------------

def test_the_simulated_company_renders_an_older_recording_on_request(demo):
    path, settings = demo
    ctx = Context.from_settings(settings)
    calls = ctx.store.table("calls").read(columns=["call_id", "start", "recording"])
    recorded = calls[calls["recording"] != ""].sort_values("start")
    folder = Path(settings.recordings.folder)
    # the simulator writes the recent days' files only; other tests of the session may have asked
    # for some older ones already, so the oldest not yet on disk is taken
    on_disk = {f.name for f in folder.rglob("*.wav")}
    left = recorded[~recorded["recording"].isin(on_disk)]
    assert len(left) > len(recorded) // 2, "the older recordings should be left for later"
    oldest = left.iloc[0]
    playable = ctx.recordings.playable(oldest["call_id"])
    assert playable.path.name == oldest["recording"] and playable.path.is_relative_to(folder.resolve())
    with wave.open(str(playable.path)) as w:
        assert w.getnframes() > 8000


# -- the player ------------------------------------------------------------------------------------

def test_the_player_points_at_the_call_not_the_file(library, case):
    markup = player_html("1764566000.1", "in-….wav", checker=library)
    assert '<audio controls preload="none" src="/atsnb/recordings/1764566000.1"' in markup
    assert 'href="/atsnb/recordings/1764566000.1?download=1" download' in markup
    assert "Скачать запись" in markup
    assert recording_url("a/b c", base="/prefix/") == "/prefix/atsnb/recordings/a%2Fb%20c"


def test_the_player_shows_why_instead_of_a_control_that_would_not_play(library, case):
    expired = player_html(case.calls["expired"], "old.wav", checker=library)
    assert "<audio" not in expired and "больше не хранится на АТС" in expired
    none = player_html(case.calls["none"], "")
    assert "<audio" not in none and "не записывался" in none
    i18n.set_language("en")
    widget = recording_player(case.calls["empty"], "empty.wav", checker=library)
    assert "<audio" not in widget.value and "The recording is empty" in widget.value
