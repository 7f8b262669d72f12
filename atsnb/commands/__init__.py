"""One module per ``atsnb`` subcommand; each defines ``register(subparsers)``."""

from __future__ import annotations

import argparse

from atsnb.config import Settings, load_settings
from atsnb.i18n import set_language


def settings_from(args: argparse.Namespace) -> Settings:
    """The effective settings for a command: ``--config`` file, then the environment.  Their
    ``ui.language`` becomes the language of what the command prints, so no command can forget it."""
    settings = load_settings(getattr(args, "config", None))
    set_language(settings.ui.language)
    return settings
