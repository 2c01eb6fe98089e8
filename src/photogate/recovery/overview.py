"""What the pipeline holds right now, for an operator asking "is anything waiting or stuck?".

Queue depths (and their poison queues) say how far behind the workers are; submissions counted
by status, with the oldest of each waiting state, say whether anything is left behind (a
backlog that drains shows its oldest moving forward; a stuck one does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from photogate.clock import Clock, utcnow
from photogate.domain.submission import Status
from photogate.messages import QUEUES, poison_queue
from photogate.ports import Catalog, MessageQueue, Ports

# States that wait on the pipeline or on people; how long the oldest has waited matters.
WAITING: Final = frozenset(
    {
        Status.AWAITING_UPLOAD,
        Status.RECEIVED,
        Status.QUEUED,
        Status.SCANNING,
        Status.NEEDS_REVIEW,
    }
)


@dataclass(frozen=True)
class QueueDepth:
    """Messages in a queue (visible or being worked on) and in its poison queue."""

    queue: str
    messages: int
    poison: int


@dataclass(frozen=True)
class StatusCount:
    """How many submissions are in `status`; for a waiting state, when the oldest came in."""

    status: Status
    count: int
    oldest_at: datetime | None

    def oldest_age(self, now: datetime) -> timedelta | None:
        """How long the oldest submission in this state has been in the pipeline."""
        return None if self.oldest_at is None else max(now - self.oldest_at, timedelta(0))

    def oldest_age_text(self, now: datetime) -> str:
        """oldest_age as a person reads it (see age_text); empty when there is no oldest."""
        age = self.oldest_age(now)
        return "" if age is None else age_text(age)


@dataclass(frozen=True)
class Overview:
    """Queues and submissions as they stood at `taken_at`."""

    queues: tuple[QueueDepth, ...]
    submissions: tuple[StatusCount, ...]
    taken_at: datetime

    def count(self, status: Status) -> int:
        """Submissions in `status`."""
        return next((s.count for s in self.submissions if s.status is status), 0)

    @property
    def poisoned(self) -> int:
        """Messages in every poison queue together."""
        return sum(q.poison for q in self.queues)


async def overview(ports: Ports, clock: Clock = utcnow) -> Overview:
    """Read the queue depths and the submission counts (a few cheap reads, nothing written)."""
    queues = tuple([await _depth(ports.queue, queue) for queue in QUEUES])
    submissions = tuple([await _count(ports.catalog, status) for status in Status])
    return Overview(queues, submissions, clock())


async def _depth(queue: MessageQueue, name: str) -> QueueDepth:
    return QueueDepth(name, await queue.count(name), await queue.count(poison_queue(name)))


async def _count(catalog: Catalog, status: Status) -> StatusCount:
    waiting = status in WAITING
    oldest, total = await catalog.list_submissions(status, limit=1 if waiting else 0)
    return StatusCount(status, total, oldest[0].created_at if oldest else None)


def age_text(age: timedelta) -> str:
    """A short, readable age: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    seconds = int(age.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if hours == 0:
        return f"{minutes} min"
    if days == 0:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"
