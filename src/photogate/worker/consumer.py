"""A queue consumer with Azure Functions' semantics: retries with delay, then a poison queue."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from photogate.errors import PermanentError, ReceiptExpired, TransientError
from photogate.messages import poison_queue
from photogate.ports import MessageQueue, QueueMessage
from photogate.settings import QueueSettings

log = logging.getLogger(__name__)

Handle = Callable[[str], Awaitable[object]]
OnPoison = Callable[[str, str], Awaitable[None]]


@dataclass(frozen=True)
class Route:
    """What to do with one queue's messages, and what to do when one is given up."""

    queue: str
    handle: Handle
    on_poison: OnPoison
    max_in_flight: int


class QueueConsumer:
    """Receives only as many messages as it can start, and settles each one."""

    def __init__(self, queue: MessageQueue, route: Route, settings: QueueSettings) -> None:
        self._queue = queue
        self._route = route
        self._settings = settings
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set, then finish the messages in hand."""
        while not stop.is_set():
            received = await self._receive_some()
            if not received:
                await _wait_any(stop, self._wake, seconds=self._settings.poll_interval_s)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def nudge(self) -> None:
        """Look at the queue now rather than after the poll interval."""
        self._wake.set()

    async def _receive_some(self) -> int:
        free = self._route.max_in_flight - len(self._tasks)
        if free <= 0:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            return 1
        self._wake.clear()
        messages = await self._safe_receive(min(free, 32))
        for message in messages:
            task = asyncio.create_task(self.process(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(messages)

    async def _safe_receive(self, count: int) -> list[QueueMessage]:
        try:
            return await self._queue.receive(
                self._route.queue,
                max_messages=count,
                visibility_timeout=self._settings.visibility_timeout_s,
            )
        except Exception:
            log.warning("receiving from %s failed; retrying", self._route.queue, exc_info=True)
            return []

    async def process(self, message: QueueMessage) -> None:
        """Handle one message and delete it, retry it later, or send it to the poison queue."""
        if message.dequeue_count > self._settings.max_attempts:
            reason = f"delivered {message.dequeue_count - 1} times without completing"
            await self._poison(message, reason)
            return
        try:
            await self._route.handle(message.body)
        except TransientError as exc:
            await self._retry(message, exc, exc.retry_after)
        except PermanentError as exc:
            await self._poison(message, str(exc))
        except Exception as exc:
            log.exception("unexpected error handling a %s message", self._route.queue)
            await self._retry(message, exc, None)
        else:
            await self._delete(message)

    async def _retry(
        self, message: QueueMessage, exc: Exception, retry_after: float | None
    ) -> None:
        if message.dequeue_count >= self._settings.max_attempts:
            await self._poison(message, str(exc) or type(exc).__name__)
            return
        delay = retry_after if retry_after is not None else self.backoff(message.dequeue_count)
        log.info("retrying %s message %s in %.1fs: %s", self._route.queue, message.id, delay, exc)
        try:
            await self._queue.update_visibility(self._route.queue, message, delay)
        except ReceiptExpired:
            log.info("message %s is someone else's now", message.id)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter, capped."""
        base, cap = self._settings.backoff_base_s, self._settings.backoff_max_s
        return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))  # noqa: S311 - not crypto

    async def _poison(self, message: QueueMessage, reason: str) -> None:
        log.error("giving up on %s message %s: %s", self._route.queue, message.id, reason)
        record = json.dumps(
            {"body": message.body, "error": reason, "attempts": message.dequeue_count}
        )
        await self._queue.send(poison_queue(self._route.queue), record)
        await self._route.on_poison(message.body, reason)
        await self._delete(message)

    async def _delete(self, message: QueueMessage) -> None:
        try:
            await self._queue.delete(self._route.queue, message)
        except ReceiptExpired:
            log.info("message %s was redelivered meanwhile; its new owner settles it", message.id)


async def _wait_any(*events: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
