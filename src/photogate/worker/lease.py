"""A lease on a received message: its visibility is renewed while a handler works on it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType

from photogate.errors import ReceiptExpired
from photogate.ports import MessageQueue, QueueMessage

log = logging.getLogger(__name__)


class Lease:
    """Keeps `message` hidden for as long as the `async with` block runs.

    Every `visibility_s / 2` it hides the message for another `visibility_s`; `message` is
    always the latest copy, since each renewal issues a new pop receipt. The renewal is never
    cancelled midway, so the receipt it obtains is never lost.
    """

    def __init__(
        self, queue: MessageQueue, queue_name: str, message: QueueMessage, visibility_s: float
    ) -> None:
        self.message = message
        self.renewals = 0
        self._queue = queue
        self._queue_name = queue_name
        self._visibility_s = visibility_s
        self._done = asyncio.Event()
        self._renewer: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Lease:
        self._renewer = asyncio.create_task(self._renew_until_done())
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

    async def _renew_until_done(self) -> None:
        while not await self._done_within(self._visibility_s / 2):
            try:
                self.message = await self._queue.update_visibility(
                    self._queue_name, self.message, self._visibility_s
                )
            except ReceiptExpired:
                log.info("message %s is someone else's now; not renewing", self.message.id)
                return
            except Exception:
                log.warning("renewing %s failed; trying again", self.message.id, exc_info=True)
                continue
            self.renewals += 1

    async def _done_within(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._done.wait(), seconds)
        return self._done.is_set()
