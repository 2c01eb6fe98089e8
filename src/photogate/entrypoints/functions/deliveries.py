"""One queue-triggered delivery, settled as `photogate worker` settles a message.

The Functions host receives, hides and deletes the message: returning deletes it, raising makes
the host try again after host.json's visibilityTimeout and, at maxDequeueCount, move it to
`<queue>-poison`. A throttled delivery is sent again as a fresh copy with a delay and then
returns, so throttling counts no attempt (the copy's dequeue count starts over; worker/envelope.py
carries the real failures along). The last allowed attempt settles the message itself, as the
worker does, so the submission or email is marked failed with the reason. host.json's
maxDequeueCount is max_attempts + 1: if that last attempt dies (a timeout, an out-of-memory
kill), one more delivery comes and settles it, instead of the host moving the raw message to
`<queue>-poison` and leaving the submission scanning for the reconciler to re-queue.
"""

from __future__ import annotations

import json
import logging

from photogate.bootstrap import Services
from photogate.errors import PermanentError, TransientError
from photogate.messages import poison_queue
from photogate.worker.consumer import (
    OUTAGES,
    Route,
    backoff_delay,
    requeue_delay,
    storage_outage,
)
from photogate.worker.envelope import Envelope, open_envelope, seal

log = logging.getLogger(__name__)


async def deliver(services: Services, route: Route, body: str, dequeue_count: int) -> None:
    """Handle one delivery of `body`; raises (for the host to retry) only on a failure that
    is neither throttling, nor permanent, nor the last attempt.
    """
    envelope = open_envelope(body)
    attempt = envelope.failures + max(1, dequeue_count)
    max_attempts = services.settings.queue.max_attempts
    if attempt > max_attempts:  # earlier deliveries crashed, timed out, or failed to give up
        await _poison(
            services, route, envelope, attempt - 1, envelope.over_limit_reason(attempt - 1)
        )
        return
    outage = storage_outage(route.queue)
    try:
        await route.handle(envelope.body)
    except OUTAGES as exc:
        outage.note(exc)
        await _put_back(services, route, envelope, attempt, exc)
    except PermanentError as exc:
        await _poison(services, route, envelope, attempt, str(exc))
    except Exception as exc:
        if attempt < max_attempts:
            log.info("%s delivery failed (attempt %d); the host retries it", route.queue, attempt)
            raise
        await _poison(services, route, envelope, attempt, str(exc) or type(exc).__name__)
    else:
        outage.note(None)


async def _put_back(
    services: Services, route: Route, envelope: Envelope, attempt: int, exc: TransientError
) -> None:
    """Send a delayed copy carrying the failures so far; the host then deletes the original.

    If the send fails this raises, and the host's retry costs one attempt: better than a loss.
    """
    throttles = envelope.throttles + 1
    delay = requeue_delay(services.settings.queue, exc, throttles)
    copy = Envelope(envelope.body, failures=attempt - 1, throttles=throttles)
    await services.ports.queue.send(route.queue, seal(copy), delay=delay)
    log.debug("throttled %s message back on the queue for %.1f s", route.queue, delay)


async def _poison(
    services: Services, route: Route, envelope: Envelope, attempts: int, reason: str
) -> None:
    """Give the message's work up, then record it on the poison queue (the worker's format).

    In that order, as the worker's consumer does: should either step fail, a delayed copy past
    its attempts and carrying `reason` is sent (the host then deletes this one), so the next
    delivery gives it up again for that reason, and the poison queue gets one record. Should
    that send fail too, this raises and the host retries.
    """
    log.error("giving up on a %s message after %d attempts: %s", route.queue, attempts, reason)
    record = json.dumps({"body": envelope.body, "error": reason, "attempts": attempts})
    try:
        await route.on_poison(envelope.body, reason)
        await services.ports.queue.send(poison_queue(route.queue), record)
    except Exception:
        log.warning("could not give up a %s message; trying again", route.queue, exc_info=True)
        settings = services.settings.queue
        copy = envelope.giving_up_again(attempts, settings.max_attempts, reason)
        delay = backoff_delay(settings, copy.give_up_tries)
        await services.ports.queue.send(route.queue, seal(copy), delay=delay)
