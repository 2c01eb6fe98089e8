"""Mailer: sends one composed email, and forgets the copies it keeps when a customer is erased."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class Mailer(Protocol):
    """Delivers RFC 5322 messages.

    Raises MailDeferred (transient: 4xx, unreachable), MailRejected (permanent: 5xx), or
    MailUnconfirmed when the server was handed the whole message but its answer was lost.
    """

    async def send(self, message: EmailMessage) -> None:
        """Hand the message over for delivery."""
        ...

    async def forget_recipient(self, address: str) -> int:
        """Delete every copy this mailer keeps of messages sent to `address` (any capitals),
        for an erasure; returns how many it deleted. Idempotent.

        Mail that left for another server is out of our hands: a mailer keeping no copies
        (SMTP) deletes nothing and returns 0.
        """
        ...
