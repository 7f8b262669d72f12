"""The settings file as an administrator edits it (docs/settings.md): where each setting's value
comes from, and edits written back with the file's comments and layout kept.

:func:`entries` lists every setting of :class:`atsnb.config.Settings` with its effective value and
its source — ``default``, ``file`` or ``env`` (an ``ATSNB_…`` variable, or the ``ATSNB_PBX_URL`` /
``ATSNB_STORE`` shortcuts).  A setting set by the environment is **locked**: the file's value would
not take effect, so it is not offered for editing.  Secrets (``password``, ``token``, URLs that may
carry a password) are **write-only**: an entry says whether one is set, never what it is.

:func:`write` applies edits to the TOML file with ``tomlkit`` (comments, order and spacing stay as
the administrator wrote them), checks the result by loading it as atsnb would, and replaces the file
atomically (a temporary file in the same folder, its mode kept, then a rename): a crash leaves the
old file or the new one, never half of one.

The settings page runs in a dashboard kernel, which has the file but not the administrator's
``ATSNB_…`` variables: ``atsnb serve`` tells it which settings those set (:data:`LOCKED_VARIABLE`,
names only, :func:`encode_locked`), and :func:`effective_settings` puts the server's values for them
over the file's.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit

from atsnb.config import SECRET_KEYS, Settings, load_settings
from atsnb.errors import ConfigError

SECRET_LIKE = SECRET_KEYS | {"url", "base_url"}  # URLs may carry a user's password
SHORTCUTS = {"ATSNB_PBX_URL": ("pbx", {"host", "port", "user", "password", "database"}),
             "ATSNB_STORE": ("store", {"path"})}
# What ``atsnb serve`` hands the settings page's kernel: the real file's path, and which settings
# the administrator's environment sets (names of variables only, never their values).
FILE_VARIABLE = "ATSNB_SETTINGS_FILE"
LOCKED_VARIABLE = "ATSNB_LOCKED_KEYS"
Locked = Mapping[tuple[str, str], str]  # (section, key) → the variable that sets it


@dataclass(frozen=True)
class Entry:
    """One setting as the settings page shows it."""

    section: str
    key: str
    value: Any  # the effective value; None for a secret (see ``is_set``)
    source: str  # default | file | env
    variable: str  # the ATSNB_… variable that sets it (or would)
    secret: bool
    is_set: bool  # for a secret: whether it has a value

    @property
    def locked(self) -> bool:
        return self.source == "env"


def _file_values(path: Path | None) -> dict[str, dict[str, Any]]:
    if path is None or not path.exists():
        return {}
    document = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    return {s: v for s, v in document.items() if isinstance(v, dict)}


def locked_by(env: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """(section, key) → the variable of ``env`` that sets it."""
    out: dict[tuple[str, str], str] = {}
    for field in dataclasses.fields(Settings):
        for sub in dataclasses.fields(getattr(Settings(), field.name)):
            name = f"ATSNB_{field.name.upper()}_{sub.name.upper()}"
            if name in env:
                out[field.name, sub.name] = name
    for variable, (section, keys) in SHORTCUTS.items():
        if env.get(variable):
            out.update({(section, key): variable for key in keys})
    return out


def encode_locked(locked: Locked) -> str:
    """``pbx.host=ATSNB_PBX_URL,thresholds.service_level_s=ATSNB_THRESHOLDS_SERVICE_LEVEL_S``."""
    return ",".join(f"{s}.{k}={variable}" for (s, k), variable in sorted(locked.items()))


def decode_locked(text: str) -> dict[tuple[str, str], str]:
    """The reverse of :func:`encode_locked` (an empty text: nothing locked)."""
    out: dict[tuple[str, str], str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, variable = item.partition("=")
        section, _, key = name.partition(".")
        if not (section and key and variable.startswith("ATSNB_")):
            raise ConfigError(f"{LOCKED_VARIABLE}: {item!r} should look like section.key=ATSNB_VARIABLE.")
        out[section, key] = variable
    return out


def effective_settings(path: str | os.PathLike[str] | None, locked: Locked, environment: Settings) -> Settings:
    """The settings as the server runs with them, seen from a process that has the settings file but
    not the administrator's variables: the file's values, and for every ``locked`` setting the value
    ``environment`` has (the server's copy without secrets — so a secret set only by a variable is
    empty here)."""
    file = Path(path).expanduser() if path else None
    settings = load_settings(file if file is not None and file.exists() else None, {})
    for section, key in locked:
        value = getattr(getattr(environment, section), key)
        setattr(getattr(settings, section), key, "" if key in SECRET_LIKE else value)
    return settings


def entries(path: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None, *,
            locked: Locked | None = None, environment: Settings | None = None) -> list[Entry]:
    """Every setting with its effective value and source (module docstring).  From the settings
    page's kernel, ``locked`` and ``environment`` stand for the administrator's variables (see
    :func:`effective_settings`); a secret set by a variable then counts as set."""
    file = Path(path).expanduser() if path else None
    if locked is not None:
        settings = effective_settings(file, locked, environment or Settings())
        by_env = dict(locked)
    else:
        env = dict(os.environ if env is None else env)
        settings = load_settings(file, {k: v for k, v in env.items() if k != "ATSNB_CONFIG"})
        by_env = locked_by(env)
    in_file = _file_values(file)
    out: list[Entry] = []
    for section, values in settings.as_dict().items():
        for key, value in values.items():
            secret = key in SECRET_LIKE
            source = "env" if (section, key) in by_env else "file" if key in in_file.get(section, {}) else "default"
            out.append(Entry(section, key, None if secret else value, source,
                             by_env.get((section, key), f"ATSNB_{section.upper()}_{key.upper()}"),
                             secret, bool(value) or (secret and source == "env" and locked is not None)))
    return out


def write(path: str | os.PathLike[str], changes: Mapping[tuple[str, str], Any],
          env: Mapping[str, str] | None = None, *, locked: Locked | None = None) -> None:
    """Set ``changes`` ((section, key) → value) in the settings file, keeping its comments; refused
    for a setting the environment sets (module docstring; ``locked`` instead of ``env`` from the
    settings page's kernel) and for values atsnb would not accept."""
    file = Path(path).expanduser()
    locked = dict(locked) if locked is not None else locked_by(dict(os.environ if env is None else env))
    refused = [f"{s}.{k} ({locked[s, k]})" for s, k in changes if (s, k) in locked]
    if refused:
        raise ConfigError("These settings are set by environment variables and cannot be changed here: "
                          + ", ".join(refused) + ".")
    text = file.read_text(encoding="utf-8") if file.exists() else ""
    document = tomlkit.parse(text)
    for (section, key), value in changes.items():
        if section not in document:
            document.add(section, tomlkit.table())
        document[section][key] = value  # type: ignore[index]
    new_text = tomlkit.dumps(document)
    folder = file.parent
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(new_text)
            out.flush()
            os.fsync(out.fileno())
        load_settings(temporary, {})  # the result must be settings atsnb accepts
        os.chmod(temporary, file.stat().st_mode & 0o777 if file.exists() else 0o600)
        os.replace(temporary, file)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
