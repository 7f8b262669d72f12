"""One module per ``atsnb`` subcommand; each defines ``register(subparsers)``."""

from __future__ import annotations

import argparse

from atsnb.config import Settings, load_settings


def settings_from(args: argparse.Namespace) -> Settings:
    """The effective settings for a command: ``--config`` file, then the environment."""
    return load_settings(getattr(args, "config", None))
