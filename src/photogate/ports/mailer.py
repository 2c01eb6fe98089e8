"""Mailer: sends one composed email."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol


class Mailer(Protocol):
    """Delivers RFC 5322 messages.

    Raises MailDeferred (transient: 4xx, unreachable) or MailRejected (permanent: 5xx).
    """

    async def send(self, message: EmailMessage) -> None:
        """Hand the message over for delivery."""
        ...
