"""The reconciler: queues again the submissions that stopped moving because a message was lost.

No queue can say whether it holds a message for a given submission, so the reconciler
reasons from the catalog. A scannable submission whose outbox message was dispatched and
which has not changed for longer than the grace period (longer than the visibility timeout,
so not one a worker is holding) has most likely lost its message: a crash between two
writes, a queue that dropped it. It gets a new outbox message, written in one transaction
with a compare-and-set on its `updated_at` that also moves it on: two reconcilers never both
re-queue it, and it is not re-queued again before another grace period without progress.

A message between two attempts (hidden for a retry's backoff, or put back throttled) is not
lost: each attempt notes itself on the submission (Catalog.note_scan_retry), which counts
as a change. So the grace period must outlast the longest retry delay (backoff_max_s).

If the message was not lost after all (it waited behind a backlog), one submission now has
two messages. That is harmless: the scan claims the submission with a compare-and-set, the
scanner answers a repeated X-Request-Id from its store, and approved or rejected is final,
so a second message makes no second decision, photo row or email. To keep that rare, a run
re-queues nothing while the head of the scan queue has waited longer than the grace period
less the longest retry delay: a message may have waited out that delay before it joined the
line.
Submissions whose outbox message was never dispatched are the outbox relay's to send.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import OutboxMessage
from photogate.domain.submission import Status, Submission, new_id
from photogate.messages import SCAN_QUEUE, scan_request
from photogate.outbox import relay_soon
from photogate.ports import MessageQueue, Ports
from photogate.ports.queue import PeekableQueue
from photogate.settings import QueueSettings

log = logging.getLogger(__name__)
ACTOR = "reconciler"


@dataclass(frozen=True)
class ReconcilePolicy:
    """How long a submission may stand still before it is re-queued, and how many per run.

    `retry_delay_max_s` is the longest a live message stays hidden between two attempts
    (the queue's backoff_max_s): a message that waited that long, then behind others, has
    been still for longer than it waited in line.
    """

    after_s: float = 600.0
    limit: int = 100
    clock: Clock = utcnow
    retry_delay_max_s: float = 300.0

    @classmethod
    def from_settings(cls, queue: QueueSettings, *, limit: int = 100) -> ReconcilePolicy:
        """The policy the queue settings give (reconcile_after_s, backoff_max_s)."""
        return cls(queue.reconcile_after_s, limit, retry_delay_max_s=queue.backoff_max_s)

    @property
    def behind_s(self) -> float:
        """How long the head of the scan queue may have waited before a run holds off."""
        return max(self.after_s - self.retry_delay_max_s, 0.0)


@dataclass(frozen=True)
class Requeued:
    """One submission the reconciler queued again."""

    submission_id: str
    was: Status
    idle_s: float


@dataclass(frozen=True)
class Reconciled:
    """What one run did; `behind` means the scan queue was behind and nothing was re-queued."""

    requeued: list[Requeued] = field(default_factory=list)
    behind: bool = False


async def reconcile(*, ports: Ports, policy: ReconcilePolicy) -> Reconciled:
    """Re-queue the scannable submissions unchanged for `policy.after_s` whose message was sent."""
    now = policy.clock()
    cutoff = now - timedelta(seconds=policy.after_s)
    if await scan_queue_behind(ports.queue, now - timedelta(seconds=policy.behind_s)):
        log.info("the scan queue is behind by over %.0f s; not reconciling now", policy.behind_s)
        return Reconciled(behind=True)
    requeued = []
    for submission in await ports.catalog.stale_submissions(cutoff, policy.limit):
        done = await _requeue(ports, submission, now)
        if done is not None:
            requeued.append(done)
    return Reconciled(requeued)


async def scan_queue_behind(queue: MessageQueue, cutoff: datetime) -> bool:
    """Whether a visible scan message has waited since before `cutoff` (False if unknowable)."""
    if not isinstance(queue, PeekableQueue):
        return False
    head = await queue.peek(SCAN_QUEUE, max_messages=1)
    return bool(head) and head[0].inserted_at < cutoff


async def _requeue(ports: Ports, submission: Submission, now: datetime) -> Requeued | None:
    idle_s = (now - (submission.updated_at or submission.created_at)).total_seconds()
    outbox = OutboxMessage(new_id(), SCAN_QUEUE, scan_request(submission.id), submission.id)
    moved = await ports.catalog.requeue(
        submission.id,
        outbox=outbox,
        actor=ACTOR,
        reason=f"reconciler: re-queued after {idle_s:.0f} s without progress",
        expected_updated_at=submission.updated_at,
    )
    if moved is None:
        return None  # it moved on since the query, or another reconciler took it
    log.warning("re-queued %s submission %s after %.0f s", submission.status, submission.id, idle_s)
    await relay_soon(ports.catalog, ports.queue, outbox)
    return Requeued(submission.id, submission.status, idle_s)
