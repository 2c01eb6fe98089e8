"""Poison queues for operators: list, show, replay and purge the messages the worker gave up on.

A queue cannot be browsed (Azure peeks at most 32 messages, and a peek gives no receipt to
delete with), so these functions *receive* poison messages, hidden for HOLD_S, and make the
ones they leave alone visible again at once (visibility 0). A crash in between leaves them
hidden for HOLD_S, no longer. No worker reads a poison queue, so this takes nothing from
anyone, and the poison messages' own dequeue counts mean nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime

from photogate.domain.catalog import EmailStatus
from photogate.domain.submission import Status
from photogate.errors import PermanentError, ReceiptExpired
from photogate.messages import NOTIFY_QUEUE, SCAN_QUEUE, field_of, poison_queue
from photogate.ports import MessageQueue, Ports, QueueMessage
from photogate.worker.envelope import open_envelope

log = logging.getLogger(__name__)

REPLAYED = "replayed from poison queue"
HOLD_S = 60.0
_BATCH = 32  # the most one receive hands out on Azure Storage Queues
_EVERY = 10_000_000  # "no limit" when looking for one message
# A replay's `state` for a submission retention left without its original.
PURGED = "purged"


@dataclass(frozen=True)
class PoisonMessage:
    """A message the worker gave up on. `id` is the poison queue's id, the one operators use."""

    id: str
    queue: str
    body: str
    error: str
    attempts: int | None
    poisoned_at: datetime
    submission_id: str | None
    email_id: str | None = None


@dataclass(frozen=True)
class Replayed:
    """A poison message sent back to its queue, and what the replay did to the work it names.

    `reopened`: its failed submission is queued again, or its failed email owed again. Else
    `state` says why not: the submission's or email's state ("erased" for an email cancelled by
    an erasure, PURGED for a submission whose original retention deleted, so there is nothing
    left to scan), or None if there is no such submission or email (or the body names none).
    """

    message: PoisonMessage
    reopened: bool
    state: str | None


Progress = Callable[[PoisonMessage], None]


def _quiet(_: PoisonMessage) -> None:
    """No progress report."""


def read_poison(queue: str, message: QueueMessage) -> PoisonMessage:
    """The record in a poison message of `queue`; a body the worker did not wrap (one that
    Azure Functions moved there itself) is the original body, with no error recorded.
    """
    record = _record(message.body) or {"body": message.body, "error": "(not recorded)"}
    # A throttled message travels in an envelope; the original body is what goes back.
    body = open_envelope(str(record["body"])).body
    attempts = record.get("attempts")
    return PoisonMessage(
        id=message.id,
        queue=queue,
        body=body,
        error=str(record["error"]),
        attempts=attempts if isinstance(attempts, int) else None,
        poisoned_at=message.inserted_at,
        submission_id=_field(body, "submission_id") if queue == SCAN_QUEUE else None,
        email_id=_field(body, "email_id") if queue == NOTIFY_QUEUE else None,
    )


async def list_poison(
    ports: Ports, queue: str = SCAN_QUEUE, *, limit: int = 1000
) -> list[PoisonMessage]:
    """Up to `limit` messages of the queue's poison queue, oldest first, left where they are."""
    poison = poison_queue(queue)
    held: list[QueueMessage] = []
    try:
        async with aclosing(_each_held(ports.queue, poison, limit)) as messages:
            held = [message async for message in messages]
    finally:
        await _release(ports.queue, poison, held)
    return sorted((read_poison(queue, m) for m in held), key=lambda p: (p.poisoned_at, p.id))


async def show_poison(
    ports: Ports, message_id: str, queue: str = SCAN_QUEUE
) -> PoisonMessage | None:
    """The poison message `message_id`, left where it is; None if there is no such message."""
    poison = poison_queue(queue)
    held = await _take(ports.queue, poison, message_id)
    if held is None:
        return None
    await _release(ports.queue, poison, [held])
    return read_poison(queue, held)


async def replay(
    ports: Ports, message_id: str, queue: str = SCAN_QUEUE, *, actor: str
) -> Replayed | None:
    """Reopen what the poison message names (audited as `actor`), send its original body to
    `queue` again, then drop it from the poison queue; None if there is no such message. See
    `_replay`.
    """
    held = await _take(ports.queue, poison_queue(queue), message_id)
    return None if held is None else await _replay(ports, queue, held, actor)


async def replay_all(
    ports: Ports, queue: str = SCAN_QUEUE, *, actor: str, progress: Progress = _quiet
) -> int:
    """Replay every message the poison queue held when this started, audited as `actor`;
    returns how many.

    Stopping at the count it started with, it cannot chase a message poisoned again at once.
    """
    poison = poison_queue(queue)
    budget = await ports.queue.count(poison)
    replayed = 0
    async with aclosing(_each_held(ports.queue, poison, budget)) as messages:
        async for held in messages:
            progress((await _replay(ports, queue, held, actor)).message)
            replayed += 1
    return replayed


async def purge_one(ports: Ports, message_id: str, queue: str = SCAN_QUEUE) -> PoisonMessage | None:
    """Delete one poison message for good; None if there is no such message."""
    poison = poison_queue(queue)
    held = await _take(ports.queue, poison, message_id)
    if held is None:
        return None
    await _delete(ports.queue, poison, held)
    return read_poison(queue, held)


async def purge(ports: Ports, queue: str = SCAN_QUEUE, *, progress: Progress = _quiet) -> int:
    """Delete every message the poison queue held when this started; returns how many.

    Their submissions stay failed: purging gives up on them for good.
    """
    poison = poison_queue(queue)
    budget = await ports.queue.count(poison)
    purged = 0
    async with aclosing(_each_held(ports.queue, poison, budget)) as messages:
        async for held in messages:
            await _delete(ports.queue, poison, held)
            progress(read_poison(queue, held))
            purged += 1
    return purged


async def count_poison(ports: Ports, queue: str = SCAN_QUEUE) -> int:
    """About how many messages the queue's poison queue holds."""
    return await ports.queue.count(poison_queue(queue))


async def _replay(ports: Ports, queue: str, held: QueueMessage, actor: str) -> Replayed:
    """Reopen the failed submission or email, resend the original body, and only then delete
    the poison copy.

    Reopened first, so the resent message finds a scannable submission, or an email owed
    (a failed one is never sent; a sent one never reopens, so it is not sent twice). Should
    the send fail, the poison message is still there to replay again, which resends for the
    email left pending; a queued submission without a message is what the reconciler
    re-queues.
    """
    record = read_poison(queue, held)
    if record.submission_id is not None:
        replayed = await _reopen_submission(ports, record, record.submission_id, actor)
    elif record.email_id is not None:
        replayed = await _reopen_email(ports, record, record.email_id)
    else:
        replayed = Replayed(record, reopened=False, state=None)
    await ports.queue.send(queue, record.body)
    await _delete(ports.queue, poison_queue(queue), held)
    log.info("replayed poison message %s to %s", record.id, queue)
    return replayed


async def _reopen_submission(
    ports: Ports, record: PoisonMessage, submission_id: str, actor: str
) -> Replayed:
    """Move the failed submission back to queued (audited); else say what state it is in.

    One whose original retention deleted stays failed: a scan would only fail it again.
    """
    current = await ports.catalog.get_submission(submission_id)
    purged = current is not None and current.original_purged_at is not None
    if current is not None and current.status is Status.FAILED and purged:
        return Replayed(record, reopened=False, state=PURGED)
    queued = await ports.catalog.transition(
        submission_id, allowed_from={Status.FAILED}, to=Status.QUEUED, actor=actor, reason=REPLAYED
    )
    if queued is not None:
        return Replayed(record, reopened=True, state=queued.status.value)
    submission = await ports.catalog.get_submission(submission_id)
    state = None if submission is None else submission.status.value
    return Replayed(record, reopened=False, state=state)


async def _reopen_email(ports: Ports, record: PoisonMessage, email_id: str) -> Replayed:
    """Owe the failed email again; else say what state it is in."""
    reopened = await ports.catalog.reopen_email(email_id)
    email = await ports.catalog.get_email(email_id)
    if email is None:
        return Replayed(record, reopened=False, state=None)
    # A failed email that would not reopen lost its address to an erasure.
    erased = not reopened and email.status is EmailStatus.FAILED
    return Replayed(record, reopened=reopened, state="erased" if erased else email.status.value)


async def _each_held(
    queue: MessageQueue, poison: str, limit: int
) -> AsyncGenerator[QueueMessage, None]:
    """Each message of `poison` once, up to `limit`, hidden while the caller handles it.

    The caller deletes or releases every message it gets; messages received but not handed
    out when it stops are released here, as is a message met again (its hold ran out).
    """
    seen: set[str] = set()
    batch: list[QueueMessage] = []
    try:
        while len(seen) < limit:
            wanted = min(_BATCH, limit - len(seen))
            received = await queue.receive(poison, max_messages=wanted, visibility_timeout=HOLD_S)
            await _release(queue, poison, [m for m in received if m.id in seen])
            batch = [m for m in received if m.id not in seen]
            if not batch:
                return
            seen.update(m.id for m in batch)
            while batch:
                yield batch.pop(0)
    finally:
        await _release(queue, poison, batch)


async def _take(queue: MessageQueue, poison: str, message_id: str) -> QueueMessage | None:
    """The poison message `message_id`, held; the others received on the way are released."""
    passed: list[QueueMessage] = []
    found = None
    try:
        async with aclosing(_each_held(queue, poison, _EVERY)) as messages:
            async for held in messages:
                if held.id == message_id:
                    found = held
                    break
                passed.append(held)
    finally:
        await _release(queue, poison, passed)
    return found


async def _release(queue: MessageQueue, poison: str, messages: list[QueueMessage]) -> None:
    for message in messages:
        # A stale receipt: the hold ran out and the message is visible (or someone else's).
        with contextlib.suppress(ReceiptExpired):
            await queue.update_visibility(poison, message, 0)


async def _delete(queue: MessageQueue, poison: str, held: QueueMessage) -> None:
    try:
        await queue.delete(poison, held)
    except ReceiptExpired:
        log.warning("poison message %s was held too long and taken again; not deleted", held.id)


def _record(raw: str) -> dict[str, object] | None:
    """The worker's {"body", "error", "attempts"} record, or None for any other body."""
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("body"), str) and "error" in data:
        return data
    return None


def _field(body: str, name: str) -> str | None:
    try:
        return field_of(body, name)
    except PermanentError:
        return None
