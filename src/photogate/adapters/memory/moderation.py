"""InMemoryCatalog's moderation and rate-limit methods, with the SQL catalog's rules."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from photogate.adapters.memory.emails import require_aware
from photogate.clock import Clock
from photogate.domain.catalog import CustomerPhoto, EmailRecord, EmailStatus, OutboxMessage
from photogate.domain.moderation import reason_in_review, takes_back
from photogate.domain.submission import AuditEntry, AuditLine, Status, Submission
from photogate.ports.rate_limits import require_slots

RateEvent = tuple[str, str, datetime]


class _Stored(Protocol):
    """What these methods need of the InMemoryCatalog they are mixed into."""

    _clock: Clock
    _submissions: dict[str, Submission]
    _photos: dict[str, CustomerPhoto]
    _emails: dict[str, EmailRecord]
    _audit: list[AuditEntry]
    _rate_events: list[RateEvent]
    _email_claims: dict[str, datetime]

    def _settle(self, current: Submission, moved: Submission, actor: str) -> Submission: ...

    def _queue(self, message: OutboxMessage) -> None: ...

    def _check_email(self, email: EmailRecord) -> None: ...

    def _check_outbox(self, message: OutboxMessage) -> None: ...

    def _movable(
        self, submission_id: str, allowed_from: Collection[Status]
    ) -> Submission | None: ...


class InMemoryModeration:
    """Mixed into InMemoryCatalog; no method here changes or removes an audit entry."""

    async def list_submissions(
        self: _Stored, status: Status, *, limit: int, offset: int = 0
    ) -> tuple[list[Submission], int]:
        """A page of the submissions in `status`, oldest first, and their total count."""
        found = [s for s in self._submissions.values() if s.status is status]
        found.sort(key=lambda s: (s.created_at, s.id))
        return found[offset : offset + limit], len(found)

    async def list_published(
        self: _Stored, *, sku_prefix: str = "", limit: int, offset: int = 0
    ) -> tuple[list[CustomerPhoto], int]:
        """A page of published photos (of SKUs starting with `sku_prefix`), newest first."""
        found = [p for p in self._photos.values() if p.sku.startswith(sku_prefix)]
        found.sort(key=lambda p: (p.approved_at, p.submission_id), reverse=True)
        return found[offset : offset + limit], len(found)

    async def transition_with_email(
        self: _Stored,
        submission_id: str,
        *,
        allowed_from: Collection[Status],
        to: Status,
        actor: str,
        reason: str | None,
        email: EmailRecord,
        outbox: OutboxMessage,
    ) -> bool:
        """In one transaction: move the submission (audited), owe `email` and queue `outbox`."""
        current = self._movable(submission_id, allowed_from)
        if current is None:
            return False
        self._check_email(email)
        self._check_outbox(outbox)
        self._settle(current, current.moved(to, reason, self._clock()), actor)
        self._emails[email.id] = email
        self._queue(outbox)
        return True

    async def undo_rejection(
        self: _Stored,
        submission_id: str,
        *,
        actor: str,
        reason: str,
        rejected_at: datetime,
        since: datetime,
        now: datetime,
    ) -> bool:
        """In one transaction: the moderator's rejection at `rejected_at`, still the latest
        entry, back to needs_review with its reason there, its held email withdrawn; False,
        nothing changed, if it was not that or its email left the hold.
        """
        require_aware(rejected_at, since, now)
        current = self._movable(submission_id, {Status.REJECTED})
        trail = [entry for entry in self._audit if entry.submission_id == submission_id]
        if current is None or not takes_back(trail, rejected_at, since):
            return False
        held = [
            e for e in self._emails.values() if e.submission_id == submission_id and e.held_until
        ]
        if any(not _withdrawable(email, self._email_claims, now) for email in held):
            return False
        for email in held:
            del self._emails[email.id]
        at = self._clock()
        self._settle(current, current.moved(Status.NEEDS_REVIEW, reason, at), actor)
        # As the SQL catalog's: audited as undone, shown with the reason it was in review for.
        shown = reason_in_review(trail[:-1], reason)
        self._submissions[submission_id] = current.moved(Status.NEEDS_REVIEW, shown, at)
        return True

    async def unpublish(
        self: _Stored,
        submission_id: str,
        *,
        allowed_from: Collection[Status],
        to: Status,
        actor: str,
        reason: str | None,
    ) -> bool:
        """In one transaction: move the submission (audited) and remove its published photo."""
        current = self._movable(submission_id, allowed_from)
        if current is None:
            return False
        self._settle(current, current.moved(to, reason, self._clock()), actor)
        self._photos.pop(submission_id, None)
        return True

    async def audit_page(self: _Stored, *, after: int, limit: int) -> list[AuditLine]:
        """Audit entries numbered after `after`, in the order they were written, with numbers
        and their submissions' SKUs.
        """
        # Numbered from 1 like the SQL table's identity column; entries are never removed.
        numbered = list(enumerate(self._audit, start=1))
        page = numbered[max(after, 0) : max(after, 0) + limit]
        skus = {sid: s.sku for sid, s in self._submissions.items()}
        return [AuditLine(n, entry, skus.get(entry.submission_id, "")) for n, entry in page]

    async def record_rate_event(
        self: _Stored, bucket: str, key: str, at: datetime, *, prune_before: datetime
    ) -> None:
        """Count one event of `key` in `bucket`; forget the bucket's ones before `prune_before`."""
        events = [*self._rate_events, (bucket, key, at)]
        self._rate_events[:] = [e for e in events if e[0] != bucket or e[2] >= prune_before]

    async def count_rate_events(
        self: _Stored, bucket: str, key: str, *, since: datetime
    ) -> tuple[int, datetime | None]:
        """How many events of `key` in `bucket` happened at or after `since`, and the oldest."""
        times = [at for b, k, at in self._rate_events if (b, k) == (bucket, key) and at >= since]
        return len(times), min(times, default=None)

    async def take_rate_slot(
        self: _Stored,
        bucket: str,
        key: str,
        at: datetime,
        *,
        since: datetime,
        max_events: int,
        prune_before: datetime,
    ) -> datetime | None:
        """Count one event of `key` if fewer than `max_events` happened since `since`; else
        return the oldest of them. Atomic: no await between counting and counting in.
        """
        require_slots(max_events)
        times = [t for b, k, t in self._rate_events if (b, k) == (bucket, key) and t >= since]
        if len(times) >= max_events:
            return min(times)
        events = [*self._rate_events, (bucket, key, at)]
        self._rate_events[:] = [e for e in events if e[0] != bucket or e[2] >= prune_before]
        return None

    async def give_back_rate_slot(self: _Stored, bucket: str, key: str, at: datetime) -> None:
        """Forget one event of `key` in `bucket` at `at`, if there is one."""
        if (bucket, key, at) in self._rate_events:
            self._rate_events.remove((bucket, key, at))

    async def forget_rate_keys(self: _Stored, bucket: str, keys: Collection[str]) -> None:
        """Forget every event of these keys in `bucket`."""
        forgotten = set(keys)
        self._rate_events[:] = [
            (b, key, at) for b, key, at in self._rate_events if b != bucket or key not in forgotten
        ]


def _withdrawable(email: EmailRecord, claims: dict[str, datetime], now: datetime) -> bool:
    """Whether a held email may be withdrawn: pending, never claimed, its hold still running."""
    still_held = email.held_until is not None and email.held_until > now
    return email.status is EmailStatus.PENDING and email.id not in claims and still_held
