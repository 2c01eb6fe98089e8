"""What every CLI command shares: reading settings, and failing with a message and exit code 2."""

from __future__ import annotations

import sys

import typer

from photogate.errors import ConfigError
from photogate.settings import Settings, load_settings


def settings_or_exit() -> Settings:
    """The settings from the environment; bad ones print what is wrong and exit with code 2."""
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"photogate: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
