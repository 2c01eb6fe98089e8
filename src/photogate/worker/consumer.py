"""A queue consumer with Azure Functions' semantics (retry with delay, then a poison queue) that
takes only the work it can start, lets throttling cost no attempt, and wakes promptly when idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Final, Protocol

from photogate.errors import (
    PermanentError,
    ReceiptExpired,
    StorageUnavailable,
    Throttled,
    TransientError,
)
from photogate.messages import poison_queue
from photogate.ports import MessageQueue, QueueMessage
from photogate.ports.queue import WakeableQueue
from photogate.settings import QueueSettings
from photogate.worker.envelope import Envelope, open_envelope, seal
from photogate.worker.failures import RepeatedFailures
from photogate.worker.lease import Lease

log = logging.getLogger(__name__)

Handle = Callable[[str], Awaitable[object]]
OnPoison = Callable[[str, str], Awaitable[None]]
MAX_BATCH = 32  # the most one Azure Storage Queue receive returns
# An idle consumer's first wait is this share of the poll interval, doubling up to all of it.
FIRST_IDLE_SHARE = 1 / 8


# What a message is put back for without costing an attempt: the scanner's throttling, and our
# own storage (the catalog database, the blob store) being unavailable for a while. Neither is
# the message's fault; a database locked for a minute must not fail photos the scanner passed.
OUTAGES: Final = (Throttled, StorageUnavailable)


class Admission(Protocol):
    """What a route's work waits for (the scan limiter): how much of it can start now."""

    def room(self) -> int:
        """How many more messages can start now."""
        ...

    def reserve(self) -> AbstractContextManager[object]:
        """Count one message as started; entered in the task that handles it."""
        ...

    async def wait_for_room(self, seconds: float) -> None:
        """Return once room may have grown, or after `seconds`."""
        ...


@dataclass(frozen=True)
class Route:
    """What to do with one queue's messages, and what to do when one is given up.

    `max_in_flight` caps the messages in hand; `admission`, if any, says how many can start.
    """

    queue: str
    handle: Handle
    on_poison: OnPoison
    max_in_flight: int
    admission: Admission | None = None


class QueueConsumer:
    """Receives only as many messages as it can start, and settles each one.

    A message counts `queue.max_attempts` real failures (errors, timeouts, crashes), not
    deliveries: a throttled one goes back as a fresh copy carrying its failures (envelope.py).
    """

    def __init__(self, queue: MessageQueue, route: Route, settings: QueueSettings) -> None:
        self._queue = queue
        self._route = route
        self._settings = settings
        self._tasks: set[asyncio.Task[None]] = set()
        self._receive_failures = RepeatedFailures(log, f"receiving from {route.queue}")
        # Put back at no attempt for as long as it lasts: said at WARNING, once a minute.
        self._storage_outage = storage_outage(route.queue)

    @property
    def in_hand(self) -> int:
        """Messages received and not yet settled."""
        return len(self._tasks)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set, then finish the messages in hand."""
        longest = self._settings.poll_interval_s
        idle = longest * FIRST_IDLE_SHARE
        while not stop.is_set():
            room = self._room()
            if room <= 0:
                await self._wait_for_room(stop)
            elif await self._receive_some(room):
                idle = longest * FIRST_IDLE_SHARE
            else:
                await self._wait_for_messages(stop, idle)
                idle = min(idle * 2, longest)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def process(self, message: QueueMessage) -> None:
        """Handle one message and delete it, put it back, or send it to the poison queue."""
        envelope = open_envelope(message.body)
        attempt = envelope.failures + message.dequeue_count
        if attempt > self._settings.max_attempts:
            reason = envelope.over_limit_reason(attempt - 1)
            await self._poison(message, envelope, attempt - 1, reason)
            return
        visibility = self._settings.visibility_timeout_s
        async with Lease(self._queue, self._route.queue, message, visibility) as lease:
            error = await self._attempt(envelope)
        await self._settle(lease.message, envelope, attempt, error)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, capped, and never under half its step: a retry
        that came back at once would only meet the same outage again.
        """
        return backoff_delay(self._settings, attempt)

    def throttle_delay(self, throttles: int) -> float:
        """Delay for a throttled message without Retry-After: exponential, never near zero."""
        return throttle_delay(self._settings, throttles)

    def _room(self) -> int:
        free = self._route.max_in_flight - len(self._tasks)
        admission = self._route.admission
        return free if admission is None else min(free, admission.room())

    async def _wait_for_room(self, stop: asyncio.Event) -> None:
        waits: list[Coroutine[Any, Any, object]] = [stop.wait()]
        if self._tasks:
            waits.append(asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED))
        if self._route.admission is not None:
            waits.append(self._route.admission.wait_for_room(self._settings.poll_interval_s))
        await _first_of(waits, seconds=self._settings.poll_interval_s)

    async def _wait_for_messages(self, stop: asyncio.Event, seconds: float) -> None:
        waits: list[Coroutine[Any, Any, object]] = [stop.wait()]
        if isinstance(self._queue, WakeableQueue):
            waits.append(self._queue.wait_for_messages(self._route.queue, seconds))
        await _first_of(waits, seconds=seconds)

    async def _receive_some(self, room: int) -> int:
        messages = await self._safe_receive(min(room, MAX_BATCH))
        for message in messages:
            admission = self._route.admission
            # Reserved before the task runs, so the next room() already counts this message.
            reservation = admission.reserve() if admission else contextlib.nullcontext()
            task = asyncio.create_task(self._process_reserved(message, reservation))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(messages)

    async def _process_reserved(
        self, message: QueueMessage, reservation: AbstractContextManager[object]
    ) -> None:
        with reservation:
            await self.process(message)

    async def _safe_receive(self, count: int) -> list[QueueMessage]:
        try:
            messages = await self._queue.receive(
                self._route.queue,
                max_messages=count,
                visibility_timeout=self._settings.visibility_timeout_s,
            )
        except Exception as exc:
            self._receive_failures.failed(exc)
            return []
        self._receive_failures.succeeded()
        return messages

    async def _attempt(self, envelope: Envelope) -> Exception | None:
        try:
            await self._route.handle(envelope.body)
        except (TransientError, PermanentError) as exc:
            return exc
        except Exception as exc:
            log.exception("unexpected error handling a %s message", self._route.queue)
            return exc
        return None

    async def _settle(
        self, message: QueueMessage, envelope: Envelope, attempt: int, error: Exception | None
    ) -> None:
        self._storage_outage.note(error)
        if error is None:
            await self._delete(message)
        elif isinstance(error, OUTAGES):
            await self._requeue(message, envelope, attempt, error)
        elif isinstance(error, PermanentError):
            await self._poison(message, envelope, attempt, str(error))
        else:
            await self._retry(message, envelope, attempt, error)

    async def _retry(
        self, message: QueueMessage, envelope: Envelope, attempt: int, exc: Exception
    ) -> None:
        if attempt >= self._settings.max_attempts:
            await self._poison(message, envelope, attempt, str(exc) or type(exc).__name__)
            return
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        delay = bounded_delay(self._settings, retry_after, floor=self.backoff(attempt))
        log.info("retrying %s message %s in %.1fs: %s", self._route.queue, message.id, delay, exc)
        await self._hide(message, delay)

    async def _requeue(
        self, message: QueueMessage, envelope: Envelope, attempt: int, exc: TransientError
    ) -> None:
        """Put a throttled message back as a fresh copy, so this delivery counts no attempt."""
        throttles = envelope.throttles + 1
        delay = requeue_delay(self._settings, exc, throttles)
        copy = Envelope(envelope.body, failures=attempt - 1, throttles=throttles)
        log.debug("throttled %s message %s back for %.1fs", self._route.queue, message.id, delay)
        try:
            # The copy first: a crash in between leaves two copies (handlers are idempotent),
            # never none.
            await self._queue.send(self._route.queue, seal(copy), delay=delay)
        except Exception:
            log.warning("could not put message %s back; delaying it", message.id, exc_info=True)
            await self._hide(message, delay)
            return
        await self._delete(message)

    async def _hide(self, message: QueueMessage, delay: float) -> None:
        try:
            await self._queue.update_visibility(self._route.queue, message, delay)
        except ReceiptExpired:
            log.info("message %s is someone else's now", message.id)

    async def _poison(
        self, message: QueueMessage, envelope: Envelope, attempts: int, reason: str
    ) -> None:
        """Settle the work as given up, then move the message to the poison queue.

        In that order: should either step fail, the message comes back and is given up again
        (settling again changes nothing), and the poison queue gets one record, not one per
        failed try.
        """
        log.error("giving up on %s message %s: %s", self._route.queue, message.id, reason)
        record = json.dumps({"body": envelope.body, "error": reason, "attempts": attempts})
        try:
            await self._route.on_poison(envelope.body, reason)
            await self._queue.send(poison_queue(self._route.queue), record)
        except Exception:
            log.warning("could not give up message %s; trying again", message.id, exc_info=True)
            await self._give_up_later(message, envelope, attempts, reason)
            return
        await self._delete(message)

    async def _give_up_later(
        self, message: QueueMessage, envelope: Envelope, attempts: int, reason: str
    ) -> None:
        """Put the message back, after a backoff, as a copy past its attempts that carries
        `reason`, so it is given up again for that reason, not for its deliveries.
        """
        copy = envelope.giving_up_again(attempts, self._settings.max_attempts, reason)
        delay = self.backoff(copy.give_up_tries)
        try:
            await self._queue.send(self._route.queue, seal(copy), delay=delay)
        except Exception:
            log.warning("could not put message %s back; delaying it", message.id, exc_info=True)
            await self._hide(message, delay)  # given up again later, for its deliveries
            return
        await self._delete(message)

    async def _delete(self, message: QueueMessage) -> None:
        try:
            await self._queue.delete(self._route.queue, message)
        except ReceiptExpired:
            log.info("message %s was redelivered meanwhile; its new owner settles it", message.id)


def throttle_delay(settings: QueueSettings, throttles: int) -> float:
    """Delay for a message throttled `throttles` times without Retry-After: exponential, jittered,
    never near zero (shared with the Azure Functions queue triggers).
    """
    return backoff_delay(settings, throttles)


class StorageOutage:
    """Says when a queue's messages go back because our storage is unavailable (at no
    attempt, so for as long as that lasts): the first time, once a minute after, and when a
    message goes through again. Throttling by the scanner, routine, is not reported here.
    """

    def __init__(self, queue: str) -> None:
        self._failures = RepeatedFailures(log, f"handling {queue} messages (storage unavailable)")

    def note(self, outcome: Exception | None) -> None:
        """Record one message's outcome: None for handled."""
        if isinstance(outcome, StorageUnavailable):
            self._failures.failed(outcome)
        elif outcome is None:
            self._failures.succeeded()


def storage_outage(queue: str) -> StorageOutage:
    """The StorageOutage reporter of `queue` in this process."""
    return _STORAGE_OUTAGES.setdefault(queue, StorageOutage(queue))


_STORAGE_OUTAGES: dict[str, StorageOutage] = {}


def requeue_delay(settings: QueueSettings, exc: TransientError, throttles: int) -> float:
    """Delay for a message throttled the `throttles`th time: its Retry-After, no shorter than
    the throttle delay nor longer than backoff_max_s (for the Azure Functions triggers too).
    """
    return bounded_delay(settings, exc.retry_after, floor=throttle_delay(settings, throttles))


def backoff_delay(settings: QueueSettings, step: int) -> float:
    """The `step`th delay of an exponential backoff, capped, jittered between half of it and
    all of it, so a delay is never near zero.
    """
    base, cap = settings.backoff_base_s, settings.backoff_max_s
    delay = min(cap, base * 2.0 ** (min(step, 30) - 1))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - not crypto


def bounded_delay(settings: QueueSettings, retry_after: float | None, *, floor: float) -> float:
    """The peer's Retry-After, but no shorter than `floor` (the delay we would pick without
    one: a "0" or a date past must not bring the message straight back) and no longer than
    backoff_max_s (a wild value must not park it for years); `floor` when there is none.
    """
    if retry_after is None:
        return floor
    return min(settings.backoff_max_s, max(floor, retry_after))


async def _first_of(waits: list[Coroutine[Any, Any, object]], *, seconds: float) -> None:
    """Wait until the first of `waits` finishes or `seconds` pass; cancel the rest."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
