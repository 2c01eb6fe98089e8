"""Atomic file replacement: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".tmp"
# Files holding customers' data (names, addresses, unscanned uploads): our user only.
PRIVATE_FILE = 0o600


def write_atomically(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` via a hidden temp file in the same folder, fsync and rename.

    The folder must exist. On failure the temp file is removed and `path` is untouched.
    """
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        temp.chmod(mode)
        temp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(path.parent)


def create_private(path: Path) -> None:
    """Create `path` empty and readable by our user only (0600), with its folders. One that
    exists is left as its owner set it, unless it is still empty (an earlier process only
    opened it). For a database about to be opened: SQLite gives the journal files it adds the
    mode of the database file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
    except FileExistsError:
        if path.stat().st_size == 0:
            path.chmod(PRIVATE_FILE)


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself survive a power cut. Windows cannot open a folder this way,
    # and NTFS journals renames anyway.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
