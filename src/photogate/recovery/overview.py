"""What the pipeline holds right now, for an operator asking "is anything waiting or stuck?".

Queue depths (and their poison queues) say how far behind the workers are; submissions counted
by status, with the oldest of each waiting state, say whether anything is left behind (a
backlog that drains shows its oldest moving forward; a stuck one does not). The scan workers'
heartbeats say which are alive and whether the scanner answers them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from photogate.clock import Clock, utcnow
from photogate.domain.heartbeat import ALIVE_WITHIN, SHOWN_WITHIN, UNATTENDED_AFTER, Heartbeat
from photogate.domain.submission import Status
from photogate.messages import QUEUES, SCAN_QUEUE, poison_queue
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
    # The scan workers heard from within SHOWN_WITHIN, the latest first.
    workers: tuple[Heartbeat, ...] = ()

    def count(self, status: Status) -> int:
        """Submissions in `status`."""
        return next((s.count for s in self.submissions if s.status is status), 0)

    @property
    def poisoned(self) -> int:
        """Messages in every poison queue together."""
        return sum(q.poison for q in self.queues)

    @property
    def scans_waiting(self) -> int:
        """Messages in the scan queue."""
        return next((q.messages for q in self.queues if q.queue == SCAN_QUEUE), 0)

    @property
    def alive(self) -> tuple[Heartbeat, ...]:
        """The workers heard from within ALIVE_WITHIN that have not said they stopped."""
        return tuple(
            beat
            for beat in self.workers
            if not beat.stopped and self.taken_at - beat.seen_at <= ALIVE_WITHIN
        )

    @property
    def oldest_unscanned(self) -> timedelta | None:
        """How long the oldest photo waiting for its scan (received or queued) has waited."""
        ages = [
            age
            for s in self.submissions
            if s.status in {Status.RECEIVED, Status.QUEUED}
            and (age := s.oldest_age(self.taken_at)) is not None
        ]
        return max(ages, default=None)

    @property
    def unattended(self) -> bool:
        """Scans have waited UNATTENDED_AFTER and no worker is alive: none is running."""
        waited = self.oldest_unscanned
        stuck = waited is not None and waited >= UNATTENDED_AFTER
        return self.scans_waiting > 0 and stuck and not self.alive

    @property
    def scanner_failing(self) -> Heartbeat | None:
        """The latest heartbeat, if its worker's calls to the scanner keep failing (a later
        beat of a worker that reaches the scanner says it answers again).
        """
        latest = self.workers[0] if self.workers else None
        failing = latest is not None and latest.breaker_open and not latest.stopped
        return latest if failing else None

    @property
    def warnings(self) -> tuple[str, ...]:
        """What an operator must act on: scans waiting with no worker, a scanner that fails."""
        found = []
        waited = self.oldest_unscanned
        if self.unattended and waited is not None:
            found.append(
                f"The oldest photo waiting for its scan came in {age_text(waited)} ago and no"
                f" scan worker has reported in the last {age_text(ALIVE_WITHIN)}: is the"
                " worker running (`photogate worker`, or the Functions app on Azure)?"
            )
        failing = self.scanner_failing
        if failing is not None:
            found.append(
                f"The scanner keeps failing: worker {failing.worker} has paused its calls"
                f" (last error: {failing.last_error or 'none recorded'})."
            )
        return tuple(found)


async def overview(ports: Ports, clock: Clock = utcnow) -> Overview:
    """Read the queue depths, the submission counts and the recent heartbeats (a few cheap
    reads, nothing written).
    """
    queues = tuple([await _depth(ports.queue, queue) for queue in QUEUES])
    submissions = tuple([await _count(ports.catalog, status) for status in Status])
    now = clock()
    workers = tuple(await ports.catalog.recent_heartbeats(now - SHOWN_WITHIN))
    return Overview(queues, submissions, now, workers)


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
