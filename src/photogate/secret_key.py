"""The root signing key of console sessions and withdrawal links: from settings, or made once
per data dir and kept in a 0600 file (outside the web package: the worker signs links too).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Final

from photogate.settings import Settings

SECRET_FILE: Final = "console-secret.key"  # noqa: S105 - a file name, not the secret


def console_secret(settings: Settings) -> bytes:
    """PHOTOGATE_CONSOLE__SECRET_KEY, else the data dir's own key (its processes share it)."""
    configured = settings.console.secret_key.get_secret_value()
    if configured:
        return configured.encode()
    return data_dir_secret(settings.data_dir / SECRET_FILE)


def data_dir_secret(path: Path) -> bytes:
    """The key stored at `path`, created first if there is none; racing creators agree on one."""
    if not path.exists():
        _create(path)
    return path.read_bytes().strip()


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    # Owner-only from the first byte; the key is complete before it appears under its name.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(48))
    try:
        # link() fails if another process made the key first; then theirs is the one kept.
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink()
