"""InMemoryMessageQueue: the MessageQueue fake, with a clock tests can move by hand."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from photogate.errors import ReceiptExpired
from photogate.ports.queue import QueueMessage


@dataclass
class _Stored:
    id: str
    body: str
    seq: int
    inserted_at: float
    visible_at: float
    dequeue_count: int = 0
    pop_receipt: str | None = None

    def order(self) -> tuple[float, int]:
        """Oldest-visible first, ties by send order (as SqliteMessageQueue)."""
        return (self.visible_at, self.seq)


class InMemoryMessageQueue:
    """Named queues in a dict; no method but wait_for_messages awaits, so each call is atomic
    on its event loop.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._queues: dict[str, dict[str, _Stored]] = {}
        self._seq = itertools.count()
        self._arrivals: dict[str, asyncio.Event] = {}

    async def send(self, queue: str, body: str, *, delay: float = 0.0) -> str:
        """Enqueue `body`, invisible for `delay` seconds; returns the message id."""
        now = self._clock()
        stored = _Stored(str(uuid.uuid4()), body, next(self._seq), now, now + delay)
        self._queues.setdefault(queue, {})[stored.id] = stored
        if delay <= 0:
            self._arrived(queue).set()
        return stored.id

    async def receive(
        self, queue: str, *, max_messages: int = 1, visibility_timeout: float = 30.0
    ) -> list[QueueMessage]:
        """Take up to `max_messages` visible messages, oldest-visible first, and hide them."""
        now = self._clock()
        visible = [m for m in self._queues.get(queue, {}).values() if m.visible_at <= now]
        taken = sorted(visible, key=_Stored.order)[:max_messages]
        return [_hand_out(stored, now + visibility_timeout) for stored in taken]

    async def delete(self, queue: str, message: QueueMessage) -> None:
        """Remove a received message; raises ReceiptExpired if its receipt is stale."""
        self._owned(queue, message)
        del self._queues[queue][message.id]

    async def update_visibility(
        self, queue: str, message: QueueMessage, visibility_timeout: float
    ) -> QueueMessage:
        """Hide the message for `visibility_timeout` s from now; returns it with a new receipt."""
        stored = self._owned(queue, message)
        stored.visible_at = self._clock() + visibility_timeout
        stored.pop_receipt = _new_receipt()
        if visibility_timeout <= 0:
            self._arrived(queue).set()
        return replace(message, pop_receipt=stored.pop_receipt)

    async def count(self, queue: str) -> int:
        """Number of messages in the queue, visible or not."""
        return len(self._queues.get(queue, {}))

    async def peek(self, queue: str, *, max_messages: int = 1) -> list[QueueMessage]:
        """Up to `max_messages` visible messages, oldest-visible first, left as they are."""
        now = self._clock()
        visible = [m for m in self._queues.get(queue, {}).values() if m.visible_at <= now]
        return [_peeked(stored) for stored in sorted(visible, key=_Stored.order)[:max_messages]]

    async def wait_for_messages(self, queue: str, seconds: float) -> bool:
        """Wait up to `seconds` (real time) for a send to `queue`; True if one came."""
        arrived = self._arrived(queue)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), seconds)
        came = arrived.is_set()
        arrived.clear()
        return came

    def _arrived(self, queue: str) -> asyncio.Event:
        return self._arrivals.setdefault(queue, asyncio.Event())

    def _owned(self, queue: str, message: QueueMessage) -> _Stored:
        """The stored message if `message` still holds its current receipt."""
        stored = self._queues.get(queue, {}).get(message.id)
        if stored is None or stored.pop_receipt != message.pop_receipt:
            raise ReceiptExpired(
                f"message {message.id} was received again or deleted since this receipt was"
                " issued; drop it, its new owner will settle it"
            )
        return stored


def _hand_out(stored: _Stored, hidden_until: float) -> QueueMessage:
    """Hide `stored` until `hidden_until` and give the receiver a fresh receipt."""
    stored.visible_at = hidden_until
    stored.dequeue_count += 1
    stored.pop_receipt = _new_receipt()
    return QueueMessage(
        id=stored.id,
        body=stored.body,
        pop_receipt=stored.pop_receipt,
        dequeue_count=stored.dequeue_count,
        inserted_at=datetime.fromtimestamp(stored.inserted_at, tz=UTC),
    )


def _peeked(stored: _Stored) -> QueueMessage:
    """`stored` as a peek shows it: no receipt, its dequeue count unchanged."""
    inserted_at = datetime.fromtimestamp(stored.inserted_at, tz=UTC)
    return QueueMessage(stored.id, stored.body, "", stored.dequeue_count, inserted_at)


def _new_receipt() -> str:
    return secrets.token_urlsafe(16)
