"""Settings: one TOML file, every key overridable by an environment variable.

Where settings come from, later wins:

1. the defaults below;
2. the TOML file named by ``--config`` or ``ATSNB_CONFIG`` (sections as below);
3. ``ATSNB_<SECTION>_<KEY>`` environment variables (``ATSNB_PBX_HOST=10.0.0.5``);
4. the shortcuts ``ATSNB_PBX_URL`` (``mysql://user:password@host:port/database``) and
   ``ATSNB_STORE`` (the store folder).

Secrets (keys named ``password`` or ``token``) are masked by :meth:`Settings.masked`, and the
dataclasses' ``repr`` hides them, so printing a settings object or an exception that holds one
never reveals them.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from atsnb.errors import ConfigError

log = logging.getLogger(__name__)

SECRET_KEYS = frozenset({"password", "token", "viewer_token", "editor_token", "admin_token",
                         "viewer_password", "editor_password", "admin_password"})
MASK = "********"
HOSTINGS = ("cloud", "server", "other")
FOLLOW_UPS = ("edit", "reply", "off")
# old setting names that still work, with a message saying what they are called now
RENAMED = {("pbx", "delivery"): "hosting"}


@dataclass
class PBXSettings:
    """How to reach the PBX database.  ``hosting``: cloud (the PBX in the vendor's data centre: TLS
    required), server (on the company's own hardware), other (any connection, as a free-form ``url``)."""

    hosting: str = "server"
    host: str = "127.0.0.1"
    port: int = 3306
    database: str = "asteriskcdrdb"
    user: str = "atsnb"
    password: str = field(default="", repr=False)
    timezone: str = "Europe/Moscow"
    tls: bool = False
    tls_ca: str = ""
    connect_timeout_s: int = 10
    read_timeout_s: int = 120
    url: str = field(default="", repr=False)


@dataclass
class TablesSettings:
    """PBX table names; an empty name means "not present, do not look for it"."""

    cdr: str = "cdr"
    cel: str = "cel"
    queue_log: str = "queue_log"
    ratings: str = "quality_ratings"
    callbacks: str = "website_callbacks"
    # Column renames, "ours=theirs" pairs separated by commas, e.g. "calldate=start,did=didnum".
    cdr_columns: str = ""
    ratings_columns: str = ""
    callbacks_columns: str = ""


@dataclass
class StoreSettings:
    """Where the embedded store lives (Parquet call records + SQLite directories/state)."""

    path: str = "~/.local/share/atsnb/store"


@dataclass
class SyncSettings:
    """Incremental copy from the PBX: batch size, the overlap re-read for late rows, follow interval."""

    batch_rows: int = 50_000
    overlap_s: int = 14_400  # a CDR row is written at hang-up: cover the longest call + the sync interval
    follow_interval_s: int = 60
    retries: int = 5


@dataclass
class ThresholdsSettings:
    """Numbers from the glossary (docs/glossary.md §13) that a company may change."""

    short_abandon_s: int = 5
    service_level_s: int = 20
    recovery_windows_min: str = "20,120,1440"
    effective_talk_s: int = 60
    low_rating: int = 3  # a quality rating at or below this is a low one (the ratings report lists those calls)


@dataclass
class RecordingsSettings:
    """Where call recordings are read from: a mounted folder or an HTTP(S) base URL."""

    folder: str = ""
    base_url: str = ""
    viewers: bool = True  # the dashboards' viewer role may listen too (else editors and administrators only)


@dataclass
class SimulateSettings:
    """How the simulated company's Asterisk writes its records (``atsnb simulate``, docs/simulator.md):
    channel technology, transfer styles, CDR written twice, queue_log layout."""

    technology: str = "pjsip"  # pjsip | sip | iax2 | dahdi
    transfers: str = "blind,attended,blonde,park"  # also atxfer (the *2 key), refer (a SIP phone's own)
    duplicate_cdr: bool = False
    queue_log_data: str = "split"  # split (data1..data5) | single (one data column)


@dataclass
class SMTPSettings:
    """Mail account for report mailings."""

    host: str = ""
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    starttls: bool = True
    ssl: bool = False
    timeout_s: int = 30


@dataclass
class MailSettings:
    """Report mailings (docs/mail.md): how long a report may run, how long a mailed table is, when
    a run counts as late, how failed runs are retried."""

    run_timeout_s: int = 600  # per notebook cell under papermill
    table_rows: int = 20  # rows of each table in a mail; the rest are counted, the dashboard has them
    late_after_s: int = 900  # a run sent later than this after its time says "(late)" in the subject
    retry_s: int = 60  # first retry after a failure; doubled each time
    retry_max_s: int = 3600


@dataclass
class UISettings:
    """Interface language (ru by default, en), and the address the dashboards are reached at from
    outside (``public_url``, e.g. ``https://calls.example.ru/``): mails and alerts link to it;
    empty = no links."""

    language: str = "ru"
    public_url: str = ""


@dataclass
class AccessSettings:
    """Who may open the dashboards server (docs/security.md): a token per role — viewer, editor,
    admin; empty = a fresh one at every start — and, for ``atsnb serve --password``, a password
    per role (empty = that role cannot log in with a password)."""

    viewer_token: str = field(default="", repr=False)
    editor_token: str = field(default="", repr=False)
    admin_token: str = field(default="", repr=False)
    viewer_password: str = field(default="", repr=False)
    editor_password: str = field(default="", repr=False)
    admin_password: str = field(default="", repr=False)


@dataclass
class MonitorSettings:
    """The wall-boards (docs/monitor.md): how often a board refreshes (a monitor's own ``refresh_s``
    overrides it), the working day its daily targets are paced over, the service level it aims at."""

    refresh_s: int = 300
    workday: str = "09:00-18:00"  # effective calls are compared with the target's share of the day gone
    service_level_target_pct: int = 80


@dataclass
class TelegramSettings:
    """Telegram alerts (docs/telegram.md): the Bot API address (a private Bot API server or a test's
    own), the alert loop's poll, how old a missed call may be and still be announced, the
    follow-up when the client is reached again (edit the alert, reply to it, or off).  ``token``
    is read only by ``atsnb telegram add-bot`` (``ATSNB_TELEGRAM_TOKEN``); the catalog keeps it."""

    api_url: str = "https://api.telegram.org"
    token: str = field(default="", repr=False)
    poll_s: int = 5
    max_age_min: int = 1440
    follow_up: str = "edit"  # edit | reply | off
    timeout_s: int = 20
    retries: int = 5


@dataclass
class ServeSettings:
    """The dashboards server's kernels (docs/dashboards.md "Kernels"): a page that never opens its
    websocket (a link preview, a probe) loses its kernel after ``unconnected_timeout_s``, a closed
    tab or a locked phone after ``disconnected_grace_s``; at most ``max_kernels`` run at once
    (0 = from the machine's memory); ``pool_size`` preheated kernels per report's default view —
    every report's, or the main dashboard's only with ``preheat_reports`` off."""

    unconnected_timeout_s: int = 45
    disconnected_grace_s: int = 20
    max_kernels: int = 0
    pool_size: int = 1
    preheat_reports: bool = True


@dataclass
class Settings:
    pbx: PBXSettings = field(default_factory=PBXSettings)
    tables: TablesSettings = field(default_factory=TablesSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    thresholds: ThresholdsSettings = field(default_factory=ThresholdsSettings)
    recordings: RecordingsSettings = field(default_factory=RecordingsSettings)
    simulate: SimulateSettings = field(default_factory=SimulateSettings)
    smtp: SMTPSettings = field(default_factory=SMTPSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    ui: UISettings = field(default_factory=UISettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    access: AccessSettings = field(default_factory=AccessSettings)
    serve: ServeSettings = field(default_factory=ServeSettings)

    @property
    def store_path(self) -> Path:
        return Path(os.path.expanduser(self.store.path))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.pbx.timezone)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)

    def masked(self) -> dict[str, dict[str, Any]]:
        """The settings as a dict with every secret replaced by a mask (empty secrets stay empty)."""
        out = self.as_dict()
        for section in out.values():
            for key, value in section.items():
                if key in SECRET_KEYS and value:
                    section[key] = MASK
                elif key in ("url", "base_url") and value:
                    section[key] = mask_url(value)
        return out


def mask_url(url: str) -> str:
    """``mysql://u:secret@h/db`` → ``mysql://u:********@h/db``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    return parts._replace(netloc=netloc).geturl()


def _coerce(value: str, default: Any, where: str) -> Any:
    if isinstance(default, bool):
        low = value.strip().lower()
        if low in {"1", "true", "yes", "on"}:
            return True
        if low in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{where}: expected yes/no, got {value!r}.")
    if isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{where}: expected a whole number, got {value!r}.") from None
    return value


def _apply(settings: Settings, section: str, key: str, value: Any, where: str) -> None:
    if (section, key) in RENAMED:
        new = RENAMED[section, key]
        log.warning("%s: the setting %s.%s is now called %s.%s (ATSNB_%s_%s); the old name still works "
                    "but will go in a later version.", where, section, key, section, new, section.upper(), new.upper())
        key = new
    sect = getattr(settings, section, None)
    if sect is None or not dataclasses.is_dataclass(sect):
        known = ", ".join(f.name for f in dataclasses.fields(Settings))
        raise ConfigError(f"{where}: unknown section [{section}] (known: {known}).")
    names = {f.name for f in dataclasses.fields(sect)}
    if key not in names:
        raise ConfigError(f"{where}: unknown setting {section}.{key} (known: {', '.join(sorted(names))}).")
    default = getattr(sect, key)
    if isinstance(value, str):
        value = _coerce(value, default, where)
    elif isinstance(default, bool) != isinstance(value, bool) or (
        isinstance(default, int) and not isinstance(value, int)
    ):
        raise ConfigError(f"{where}: {section}.{key} should be {type(default).__name__}, got {value!r}.")
    setattr(sect, key, value)


def apply_pbx_url(settings: Settings, url: str) -> None:
    """Fill the PBX connection from ``mysql://user:password@host:port/database``."""
    parts = urlsplit(url)
    if parts.scheme not in {"mysql", "mariadb", "mysql+pymysql"}:
        raise ConfigError(f"PBX URL must start with mysql:// (got {parts.scheme or 'no scheme'}://…).")
    pbx = settings.pbx
    pbx.host = parts.hostname or pbx.host
    try:
        pbx.port = parts.port or 3306
    except ValueError:
        raise ConfigError("PBX URL has a port that is not a number.") from None
    pbx.user = unquote(parts.username or pbx.user)
    pbx.password = unquote(parts.password or "")
    if parts.path.strip("/"):
        pbx.database = parts.path.strip("/")


def load_settings(path: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Read settings from defaults, the TOML file, then the environment (see module docstring)."""
    env = dict(os.environ if env is None else env)
    settings = Settings()
    path = path or env.get("ATSNB_CONFIG")
    if path:
        p = Path(path).expanduser()
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"Configuration file {p} does not exist.") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"Configuration file {p} is not valid TOML: {exc}.") from None
        for section, values in data.items():
            if not isinstance(values, dict):
                raise ConfigError(f"{p}: '{section}' must be a [section], not a bare value.")
            for key, value in values.items():
                _apply(settings, section, key, value, f"{p} [{section}] {key}")
    sections = {f.name for f in dataclasses.fields(Settings)}
    for name, value in sorted(env.items()):
        if not name.startswith("ATSNB_") or name in {"ATSNB_CONFIG", "ATSNB_PBX_URL", "ATSNB_STORE"}:
            continue
        rest = name[len("ATSNB_"):].lower()
        section = next((s for s in sections if rest.startswith(s + "_")), None)
        if section is None:
            continue
        _apply(settings, section, rest[len(section) + 1:], value, f"environment variable {name}")
    if env.get("ATSNB_PBX_URL"):
        apply_pbx_url(settings, env["ATSNB_PBX_URL"])
    if env.get("ATSNB_STORE"):
        settings.store.path = env["ATSNB_STORE"]
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    pbx = settings.pbx
    if pbx.hosting not in HOSTINGS:
        raise ConfigError(f"pbx.hosting must be one of {', '.join(HOSTINGS)}, got {pbx.hosting!r}.")
    if pbx.hosting == "cloud":
        pbx.tls = True
    try:
        ZoneInfo(pbx.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"pbx.timezone {pbx.timezone!r} is not a known time zone (e.g. Europe/Moscow).") from None
    if settings.ui.language not in {"ru", "en"}:
        raise ConfigError(f"ui.language must be ru or en, got {settings.ui.language!r}.")
    if settings.telegram.follow_up not in FOLLOW_UPS:
        raise ConfigError(f"telegram.follow_up must be one of {', '.join(FOLLOW_UPS)}, "
                          f"got {settings.telegram.follow_up!r}.")


def parse_column_map(spec: str) -> dict[str, str]:
    """``"calldate=start, did=didnum"`` → ``{"calldate": "start", "did": "didnum"}`` (ours → theirs)."""
    out: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        ours, sep, theirs = item.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise ConfigError(f"Column mapping item {item!r} should look like ours=theirs.")
        out[ours.strip()] = theirs.strip()
    return out
