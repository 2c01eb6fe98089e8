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
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Final

from photogate.adapters.atomic_files import write_atomically
from photogate.adapters.mail_recipients import address_key, recipients
from photogate.errors import MailDeferred

# Messages hold customers' addresses: readable by our user only.
_FILE_MODE = 0o600
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")
# The recipient part of a file name: "to-" and a hash of the one address the message went to.
# Unkeyed on purpose: the file itself holds the address in clear, and goes with it.
_RECIPIENT: Final = re.compile(r"to-[0-9a-f]{24}")
# The recipient part of a message to several addresses, or none: an erasure reads its headers.
SEVERAL: Final = "to-several"


class FileMailer:
    """Writes each message as `<UTC time>_<recipient>_<Message-ID>.eml` (RFC 5322, CRLF line
    ends), where `<recipient>` is `to-` and a hash of its one recipient's address: an erasure
    finds a customer's files by name, without reading the others.

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
        try:
            await asyncio.to_thread(self._write, _file_key(message), _recipient_part(message), data)
        except OSError as exc:  # full or read-only: nothing was delivered, so send it later
            detail = f"could not write the message to the outbox: {exc.strerror}"
            raise MailDeferred(detail) from exc

    async def forget_recipient(self, address: str) -> int:
        """Delete every .eml sent to `address` (any capitals); returns how many went.

        Files are found by the hash in their names. Those without one (a message to several
        addresses, or written before names carried it) are found by their headers.
        """
        return await asyncio.to_thread(self._forget, address_key(address))

    def files(self) -> list[Path]:
        """The .eml files in the outbox, oldest first."""
        return sorted(self._directory.glob("*.eml"))

    def _write(self, key: str, recipient: str, data: bytes) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        claim = self._directory / f".{key}.claim"
        path, replaced = self._path_for(key, recipient, claim)
        write_atomically(path, data, mode=_FILE_MODE)
        # Once the file exists it is the claim: later senders find it by name.
        claim.unlink(missing_ok=True)
        if replaced is not None:  # sent again to someone else: the old name would mislead
            replaced.unlink(missing_ok=True)

    def _path_for(self, key: str, recipient: str, claim: Path) -> tuple[Path, Path | None]:
        """The file of `key`: an earlier one (renamed, and returned second, if its recipient
        changed), else the name its first sender claimed.
        """
        earlier = self._earlier(key)
        if earlier is None:
            # A look for a file then a write would let two concurrent senders each pick a name.
            claimed = _claim(claim, _name(_timestamp(), recipient, key))
            # Looked for again: the claim's owner may have written its file and dropped its claim.
            earlier = self._earlier(key)
            if earlier is None:
                stamp = _stamp(claimed) if claimed else _timestamp()
                return self._directory / _name(stamp, recipient, key), None
        path = self._directory / _name(_stamp(earlier.name), recipient, key)
        return path, None if path == earlier else earlier

    def _earlier(self, key: str) -> Path | None:
        earlier = sorted(self._directory.glob(f"*_{key}.eml"))
        return earlier[0] if earlier else None

    def _forget(self, address: str) -> int:
        hashed = _hashed(address)
        return sum(_deleted(p) for p in self._kept() if _sent_to(p, address, hashed))

    def _kept(self) -> list[Path]:
        """The outbox's .eml files; never a link (its target is not ours to read or delete)."""
        return [p for p in self._directory.glob("*.eml") if not p.is_symlink() and p.is_file()]


def _file_key(message: EmailMessage) -> str:
    """A file-name-safe key for the Message-ID: readable part plus a hash that keeps it unique."""
    message_id = str(message.get("Message-ID", "")).strip()
    if not message_id:
        return uuid.uuid4().hex
    readable = _UNSAFE.sub("_", message_id.strip("<>")).lstrip("._")[:60]
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:12]
    return f"{readable}-{digest}"


def _recipient_part(message: EmailMessage) -> str:
    """The recipient part of the message's file name."""
    addresses = recipients(message)
    return _hashed(next(iter(addresses))) if len(addresses) == 1 else SEVERAL


def _hashed(address: str) -> str:
    return f"to-{hashlib.sha256(address.encode()).hexdigest()[:24]}"


def _name(stamp: str, recipient: str, key: str) -> str:
    return f"{stamp}_{recipient}_{key}.eml"


def _stamp(name: str) -> str:
    """The time a file name (or a claim) starts with."""
    return name.partition("_")[0]


def _recipient_of(name: str) -> str:
    """The recipient part of a file name; for a name from before it had one, something else."""
    parts = name.split("_", 2)
    return parts[1] if len(parts) == 3 else ""


def _sent_to(path: Path, address: str, hashed: str) -> bool:
    """Whether the kept message at `path` went to `address` (whose name part is `hashed`)."""
    recipient = _recipient_of(path.name)
    if _RECIPIENT.fullmatch(recipient):
        return recipient == hashed
    return address in _recipients_in(path)


def _recipients_in(path: Path) -> frozenset[str]:
    """The address keys a kept message was sent to, from its headers alone."""
    try:
        with path.open("rb") as file:
            return recipients(BytesHeaderParser(policy=email.policy.default).parse(file))
    except FileNotFoundError:  # deleted meanwhile (a resend, another erasure)
        return frozenset()


def _deleted(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


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
