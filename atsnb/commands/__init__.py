"""One module per ``atsnb`` subcommand; each defines ``register(subparsers)`` and takes what it
works on from the composition root (:func:`context_from`)."""

from __future__ import annotations

import argparse

from atsnb.composition import Context


def context_from(args: argparse.Namespace) -> Context:
    """The context of a command: the ``--config`` file, then the environment.  Its settings'
    ``ui.language`` becomes the language of what the command prints, so no command can forget it."""
    return Context.load(getattr(args, "config", None))
