"""Mailer that writes .eml files to a folder: the default outbox, opened with any mail client."""

from __future__ import annotations

import asyncio
import email.policy
import hashlib
import os
import re
import tempfile
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from photogate.adapters.atomic_files import write_atomically

# Messages hold customers' addresses: readable by our user only.
_FILE_MODE = 0o600
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


class FileMailer:
    """Writes each message as `<UTC time>_<Message-ID>.eml` (RFC 5322, CRLF line ends).

    Sending a Message-ID again replaces its earlier file, so retries never duplicate, even
    when two deliveries of one message send at the same time (in one process or several):
    the first to claim the Message-ID names its file (a hidden `.<key>.claim` next to it).
    A message without a Message-ID always gets a new file.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = Path(directory)

    async def send(self, message: EmailMessage) -> None:
        """Write the message to the outbox folder atomically."""
        data = message.as_bytes(policy=email.policy.SMTP)
        await asyncio.to_thread(self._write, _file_key(message), data)

    def files(self) -> list[Path]:
        """The .eml files in the outbox, oldest first."""
        return sorted(self._directory.glob("*.eml"))

    def _write(self, key: str, data: bytes) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        claim = self._directory / f".{key}.claim"
        write_atomically(self._path_for(key, claim), data, mode=_FILE_MODE)
        # Once the file exists it is the claim: later senders find it by name.
        claim.unlink(missing_ok=True)

    def _path_for(self, key: str, claim: Path) -> Path:
        """The file of `key`: an earlier one, else the name its first sender claimed."""
        earlier = self._earlier(key)
        if earlier is not None:
            return earlier
        # A look for a file then a write would let two concurrent senders each pick a name.
        name = _claim(claim, f"{_timestamp()}_{key}.eml")
        # Looked for again: the claim's owner may have written its file and dropped its claim.
        return self._earlier(key) or self._directory / (name or f"{_timestamp()}_{key}.eml")

    def _earlier(self, key: str) -> Path | None:
        earlier = sorted(self._directory.glob(f"*_{key}.eml"))
        return earlier[0] if earlier else None


def _file_key(message: EmailMessage) -> str:
    """A file-name-safe key for the Message-ID: readable part plus a hash that keeps it unique."""
    message_id = str(message.get("Message-ID", "")).strip()
    if not message_id:
        return uuid.uuid4().hex
    readable = _UNSAFE.sub("_", message_id.strip("<>")).lstrip("._")[:60]
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
    return f"{readable}-{digest}"


def _claim(claim: Path, name: str) -> str | None:
    """The name in `claim`, written now as `name` unless someone else wrote it first; None if
    that claim is gone already (its owner's file exists then).

    The claim is linked into place complete (a link fails if the claim exists), so a reader
    never sees it half written.
    """
    fd, temp = tempfile.mkstemp(dir=claim.parent, prefix=".claim.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(name)
        os.link(temp, claim)
    except FileExistsError:
        pass
    except OSError:
        return name  # a file system without hard links: as before, with no claim
    finally:
        Path(temp).unlink()
    try:
        return claim.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
