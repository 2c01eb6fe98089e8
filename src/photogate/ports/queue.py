"""MessageQueue: Azure Storage Queue semantics (at-least-once, visibility timeout, pop receipts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class QueueMessage:
    """A received message; `pop_receipt` proves the receiver still owns it."""

    id: str
    body: str
    pop_receipt: str
    dequeue_count: int
    inserted_at: datetime


class MessageQueue(Protocol):
    """Named queues of text messages, delivered at least once."""

    async def send(self, queue: str, body: str, *, delay: float = 0.0) -> str:
        """Enqueue `body`, invisible for `delay` seconds; returns the message id."""
        ...

    async def receive(
        self, queue: str, *, max_messages: int = 1, visibility_timeout: float = 30.0
    ) -> list[QueueMessage]:
        """Take up to `max_messages` visible messages and hide them for `visibility_timeout` s.

        Each receive increments the message's dequeue count and issues a new pop receipt.
        """
        ...

    async def delete(self, queue: str, message: QueueMessage) -> None:
        """Remove a received message; raises ReceiptExpired if its receipt is stale."""
        ...

    async def update_visibility(
        self, queue: str, message: QueueMessage, visibility_timeout: float
    ) -> QueueMessage:
        """Hide the message for `visibility_timeout` s from now; returns it with a new receipt."""
        ...

    async def count(self, queue: str) -> int:
        """Approximate number of messages in the queue, visible or not."""
        ...


@runtime_checkable
class WakeableQueue(Protocol):
    """Optional for a MessageQueue: it can wake an idle consumer when a message is sent.

    Consumers check for it with isinstance(); without it they poll at a capped interval.
    """

    async def wait_for_messages(self, queue: str, seconds: float) -> bool:
        """Wait up to `seconds` for a send to `queue`; True if one may have come (a hint)."""
        ...


@runtime_checkable
class PeekableQueue(Protocol):
    """Optional for a MessageQueue: it can show the head of a queue without receiving it.

    The reconciler checks for it with isinstance(); without it, it cannot tell whether the
    scan queue is behind and re-queues stuck submissions regardless (duplicates are harmless).
    """

    async def peek(self, queue: str, *, max_messages: int = 1) -> list[QueueMessage]:
        """Up to `max_messages` (at most 32) visible messages, oldest-visible first, untouched.

        Dequeue counts and visibility stay as they were; a peeked message's `pop_receipt` is
        empty, so it cannot be deleted or updated.
        """
        ...
