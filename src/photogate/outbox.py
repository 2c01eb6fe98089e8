"""The outbox relay: hands messages written with a state change over to their queues."""

from __future__ import annotations

import logging
from datetime import timedelta

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import OutboxMessage
from photogate.messages import SCAN_QUEUE
from photogate.ports import Catalog, MessageQueue

log = logging.getLogger(__name__)


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
