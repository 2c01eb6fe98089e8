"""Mailer that writes .eml files to a folder: the default outbox, opened with any mail client."""

from __future__ import annotations

import asyncio
import email.policy
import hashlib
import re
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

    Sending a Message-ID again replaces its earlier file, so retries never duplicate;
    a message without a Message-ID always gets a new file.
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
        earlier = sorted(self._directory.glob(f"*_{key}.eml"))
        path = earlier[0] if earlier else self._directory / f"{_timestamp()}_{key}.eml"
        write_atomically(path, data, mode=_FILE_MODE)


def _file_key(message: EmailMessage) -> str:
    """A file-name-safe key for the Message-ID: readable part plus a hash that keeps it unique."""
    message_id = str(message.get("Message-ID", "")).strip()
    if not message_id:
        return uuid.uuid4().hex
    readable = _UNSAFE.sub("_", message_id.strip("<>")).lstrip("._")[:60]
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
    return f"{readable}-{digest}"


def _timestamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
