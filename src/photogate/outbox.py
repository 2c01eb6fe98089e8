"""The outbox relay: hands messages written with a state change over to their queues."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import OutboxMessage
from photogate.messages import SCAN_QUEUE
from photogate.ports import Catalog, MessageQueue

log = logging.getLogger(__name__)
# A dispatched message is kept this long (to look into a recent incident), then deleted: a
# busy shop writes some 250,000 a year, and nothing reads them once sent.
KEEP_DISPATCHED: Final = timedelta(days=7)
# Deleted this many to a transaction, so a relay or an upload waits for one batch at most; a
# run stops after FORGET_BATCHES, so a backlog is cleared over a few runs, the other chores
# running in between.
FORGET_BATCH: Final = 1000
FORGET_BATCHES: Final = 50


async def dispatch(catalog: Catalog, queue: MessageQueue, message: OutboxMessage) -> None:
    """Send one outbox message and mark it sent; a queued scan moves its submission to queued.

    A crash between send and mark sends the message again later: consumers are idempotent.
    """
    await queue.send(message.queue, message.body)
    queued = message.submission_id if message.queue == SCAN_QUEUE else None
    await catalog.mark_dispatched(message.id, queued=queued)


async def relay_outbox(
    catalog: Catalog,
    queue: MessageQueue,
    *,
    older_than_s: float = 0.0,
    limit: int = 100,
    clock: Clock = utcnow,
) -> int:
    """Send pending outbox messages at least `older_than_s` old; returns how many were sent.

    The age keeps this sweep from racing the writer, which sends its own message at once.
    """
    created_before = clock() - timedelta(seconds=older_than_s)
    pending = await catalog.pending_outbox(limit, created_before=created_before)
    for message in pending:
        await dispatch(catalog, queue, message)
    return len(pending)


async def relay_soon(catalog: Catalog, queue: MessageQueue, message: OutboxMessage) -> bool:
    """Send the message just written; False if it failed and the worker's sweep will send it."""
    try:
        await dispatch(catalog, queue, message)
    except Exception:
        log.warning("outbox relay failed; the worker's sweep will send it", exc_info=True)
        return False
    return True


async def forget_dispatched(
    catalog: Catalog,
    *,
    clock: Clock = utcnow,
    batch: int = FORGET_BATCH,
    batches: int = FORGET_BATCHES,
) -> int:
    """Delete the outbox messages dispatched over KEEP_DISPATCHED ago, `batch` to a
    transaction, at most `batches` of them; returns how many went. The worker's reconcile loop
    (and the Functions reconcile timer) runs it.
    """
    before, forgotten = clock() - KEEP_DISPATCHED, 0
    for _ in range(batches):
        gone = await catalog.forget_dispatched_outbox(before, batch)
        forgotten += gone
        if gone < batch:
            break
    if forgotten:
        log.info("deleted %d outbox messages dispatched before %s", forgotten, before.isoformat())
    return forgotten
