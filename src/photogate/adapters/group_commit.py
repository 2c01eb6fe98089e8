"""Group commit: writes that arrive together are made in one transaction.

A database flushes its log for many transactions at once; this does the same one level up, for
an adapter whose callers each write a little (intake's new submission, the relay's "sent" mark,
a queue message). The first caller starts a writer task; whatever arrives while it writes waits
for the next batch, so a burst is written in a few large transactions and a lone caller still
goes straight through. Each caller returns once its own item is committed, or raises the error
that kept it out.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, Generic, TypeVar

T = TypeVar("T")

DEFAULT_MAX_BATCH: Final = 64


class GroupCommit(Generic[T]):
    """Batches concurrent `submit` calls into calls of `write` (one transaction each).

    `write` must be all-or-nothing. When it fails with one of `item_errors` (a broken rule that
    may belong to one item only), the batch's items are written again one by one, so only the
    item at fault fails; any other error fails the whole batch at once.
    """

    def __init__(
        self,
        write: Callable[[Sequence[T]], Awaitable[None]],
        *,
        item_errors: tuple[type[Exception], ...] = (),
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._write = write
        self._item_errors = item_errors
        self._max_batch = max_batch
        self._waiting: deque[tuple[T, asyncio.Future[None]]] = deque()
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> None:
        """Write `item` with whatever else is waiting; return once it is committed.

        A caller cancelled while its batch is being written still waits for the outcome: if the
        write failed it gets that error, if it succeeded the cancellation goes on. So a caller
        that cleans up on an exception never removes what a committed row points at.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done() or self._writer.get_loop() is not loop:
            self._writer = loop.create_task(self._drain())
        await _outcome(future)

    async def _drain(self) -> None:
        while self._waiting:
            count = min(self._max_batch, len(self._waiting))
            batch = [self._waiting.popleft() for _ in range(count)]
            try:
                await self._commit(batch)
            except BaseException as exc:  # the writer itself was cancelled: nobody is left hanging
                _settle_all(batch, exc)
                _settle_all(list(self._waiting), exc)
                self._waiting.clear()
                raise

    async def _commit(self, batch: list[tuple[T, asyncio.Future[None]]]) -> None:
        try:
            await self._write([item for item, _ in batch])
        except self._item_errors as exc:
            if len(batch) == 1:
                _settle_all(batch, exc)
                return
            for one in batch:
                await self._commit([one])
            return
        except Exception as exc:
            _settle_all(batch, exc)
            return
        _settle_all(batch, None)


async def _outcome(future: asyncio.Future[None]) -> None:
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        if not future.done():
            await asyncio.wait([future])
        if not future.cancelled() and future.exception() is not None:
            raise future.exception() from None  # type: ignore[misc]
        raise


def _settle_all(
    batch: Sequence[tuple[object, asyncio.Future[None]]], error: BaseException | None
) -> None:
    for _, future in batch:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        elif isinstance(error, asyncio.CancelledError):
            future.cancel()
        else:
            future.set_exception(error)
