"""In-memory Mailer for unit tests: records what was sent, forgets it, can fail on demand."""

from __future__ import annotations

import copy
from email.message import EmailMessage

from photogate.adapters.mail_recipients import address_key, recipients


class InMemoryMailer:
    """Collects sent messages in `sent`; `fail_next` makes the next sends raise instead."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self._failures: list[Exception] = []

    def fail_next(self, times: int, error: Exception) -> None:
        """Make the next `times` sends raise `error` (e.g. MailDeferred) and record nothing."""
        self._failures.extend([error] * times)

    @property
    def failures_left(self) -> int:
        """How many upcoming sends will still fail."""
        return len(self._failures)

    async def send(self, message: EmailMessage) -> None:
        """Record a copy of the message, or raise the next planned failure."""
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(copy.deepcopy(message))

    async def forget_recipient(self, address: str) -> int:
        """Drop the recorded messages sent to `address` (any capitals); returns how many."""
        kept = [m for m in self.sent if address_key(address) not in recipients(m)]
        forgotten = len(self.sent) - len(kept)
        self.sent = kept
        return forgotten
