"""A lease on a received message: its visibility is renewed while a handler works on it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Protocol

from photogate.errors import ReceiptExpired
from photogate.ports import MessageQueue, QueueMessage

log = logging.getLogger(__name__)

# A failed renewal is tried again this soon (or after a tenth of the visibility, if shorter).
# Waiting the usual half visibility instead lands the next try at or after the expiry, when
# another consumer may already have received the message and started on it a second time.
RETRY_S = 1.0


class Timer(Protocol):
    """The time a lease keeps: a monotonic clock, and a wait that the lease's end cuts short."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    async def wait(self, done: asyncio.Event, seconds: float) -> None:
        """Return after `seconds`, or as soon as `done` is set."""
        ...


class LoopTimer:
    """Real time, as the event loop measures it."""

    def now(self) -> float:
        """The event loop's monotonic clock."""
        return asyncio.get_running_loop().time()

    async def wait(self, done: asyncio.Event, seconds: float) -> None:
        """Return after `seconds`, or as soon as `done` is set."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), seconds)


class Lease:
    """Keeps `message` hidden for as long as the `async with` block runs.

    Every `visibility_s / 2` it hides the message for another `visibility_s`; `message` is
    always the latest copy, since each renewal issues a new pop receipt. A failed renewal is
    tried again every RETRY_S (a tenth of the visibility, if shorter) until one succeeds or the
    visibility won by the last success has run out. The renewal is never cancelled midway, so
    the receipt it obtains is never lost.
    """

    def __init__(
        self,
        queue: MessageQueue,
        queue_name: str,
        message: QueueMessage,
        visibility_s: float,
        *,
        timer: Timer | None = None,
    ) -> None:
        self.message = message
        self.renewals = 0
        self._queue = queue
        self._queue_name = queue_name
        self._visibility_s = visibility_s
        self._retry_s = min(RETRY_S, visibility_s / 10)
        self._timer = timer or LoopTimer()
        self._done = asyncio.Event()
        self._renewer: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Lease:
        # Measured from now, a little after the receive: the visibility it won ends earlier.
        expires = self._timer.now() + self._visibility_s
        self._renewer = asyncio.create_task(self._renew_until_done(expires))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._done.set()
        if self._renewer is not None:
            await asyncio.shield(self._renewer)

    async def _renew_until_done(self, expires: float) -> None:
        """Renew every half visibility; after a failure, retry soon while the message is hidden."""
        try:
            while not await self._done_within(self._visibility_s / 2):
                renewed = await self._renew()
                if renewed is None:
                    renewed = await self._retry_until(expires)
                if renewed is None:
                    return
                expires = renewed
        except ReceiptExpired:
            log.info("message %s is someone else's now; not renewing", self.message.id)

    async def _retry_until(self, expires: float) -> float | None:
        """Renew every retry interval until one succeeds (its expiry) or the lease ended or the
        visibility ran out at `expires` (None: the message may be received by someone else).
        """
        while (left := expires - self._timer.now()) > 0:
            if await self._done_within(min(self._retry_s, left)):
                return None
            renewed = await self._renew(quiet=True)
            if renewed is not None:
                log.info("renewed %s after a failed renewal", self.message.id)
                return renewed
        log.warning(
            "could not renew %s before its visibility ran out; it may be delivered again",
            self.message.id,
        )
        return None

    async def _renew(self, *, quiet: bool = False) -> float | None:
        """Hide the message for another visibility; when that ends, or None if the call failed.

        ReceiptExpired goes up: the message is someone else's, and no retry can change that.
        A failure is a warning, unless `quiet` (a retry: the first failure was the warning).
        """
        started = self._timer.now()  # the new visibility runs from some instant after this
        try:
            self.message = await self._queue.update_visibility(
                self._queue_name, self.message, self._visibility_s
            )
        except ReceiptExpired:
            raise
        except Exception:
            level = logging.DEBUG if quiet else logging.WARNING
            log.log(level, "renewing %s failed; retrying soon", self.message.id, exc_info=True)
            return None
        self.renewals += 1
        return started + self._visibility_s

    async def _done_within(self, seconds: float) -> bool:
        await self._timer.wait(self._done, seconds)
        return self._done.is_set()
