"""InMemoryCatalog's erasure and retention methods, with the SQL catalog's rules."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from typing import Final, Protocol

from photogate.clock import Clock
from photogate.domain.catalog import CustomerPhoto, EmailRecord, EmailStatus
from photogate.domain.erasure import ErasureRequest
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.submission import Status, Submission, email_key

CANCELLED: Final = "cancelled: the customer's data was erased"


class _Stored(Protocol):
    """What these methods need of the InMemoryCatalog they are mixed into."""

    _clock: Clock
    _submissions: dict[str, Submission]
    _photos: dict[str, CustomerPhoto]
    _emails: dict[str, EmailRecord]
    _fingerprints: dict[str, Fingerprint]
    _erasure_requests: dict[str, ErasureRequest]

    def _settle(self, current: Submission, moved: Submission, actor: str) -> Submission: ...


class InMemoryPrivacy:
    """Mixed into InMemoryCatalog: a customer's submissions, erasure, purged originals."""

    async def customer_submissions(self: _Stored, email: str) -> list[Submission]:
        """Every submission sent with `email` (matched by email_key), oldest first."""
        wanted = email_key(email)
        if not wanted:
            return []
        found = [s for s in self._submissions.values() if email_key(s.email) == wanted]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    async def request_erasure(self: _Stored, requests: Collection[ErasureRequest]) -> None:
        """Record the erasures not asked for yet of submissions there and not erased."""
        for request in requests:
            current = self._submissions.get(request.submission_id)
            if current is None or current.status is Status.ERASED:
                continue
            self._erasure_requests.setdefault(request.submission_id, request)

    async def erasure_requests(self: _Stored, limit: int) -> list[ErasureRequest]:
        """Erasures asked for whose submission is not erased yet, oldest first."""
        left = [
            r
            for r in self._erasure_requests.values()
            if (s := self._submissions.get(r.submission_id)) and s.status is not Status.ERASED
        ]
        return sorted(left, key=lambda r: (r.requested_at, r.submission_id))[:limit]

    async def erase_submission(
        self: _Stored, submission_id: str, *, actor: str, reason: str
    ) -> bool:
        """Move to erased (audited) and drop everything personal, at once; False if done before
        or still published.
        """
        current = self._submissions.get(submission_id)
        if current is None or current.status in {Status.ERASED, Status.APPROVED}:
            return False
        now = self._clock()
        # The erasure deletes the original too, so it is (again) marked purged now.
        blank = replace(current, email="", display_name="", caption="", extra={})
        blank = replace(blank, original_purged_at=now)
        self._settle(current, blank.moved(Status.ERASED, reason, now), actor)
        self._fingerprints.pop(submission_id, None)
        self._erasure_requests.pop(submission_id, None)
        for email in [e for e in self._emails.values() if e.submission_id == submission_id]:
            self._emails[email.id] = _forgotten(email)
        return True

    async def originals_to_purge(
        self: _Stored, statuses: Collection[Status], *, settled_before: datetime | None, limit: int
    ) -> list[Submission]:
        """Submissions in `statuses` with their original kept, unchanged since `settled_before`."""
        found = [
            s
            for s in self._submissions.values()
            if s.status in statuses
            and s.original_purged_at is None
            and (settled_before is None or _last_change(s) < settled_before)
        ]
        return sorted(found, key=lambda s: (_last_change(s), s.id))[:limit]

    async def mark_original_purged(
        self: _Stored, submission_id: str, *, allowed_from: Collection[Status], at: datetime
    ) -> bool:
        """Record the original as deleted, if still in `allowed_from` and not marked yet."""
        current = self._submissions.get(submission_id)
        if current is None or current.status not in allowed_from:
            return False
        if current.original_purged_at is not None:
            return False
        self._submissions[submission_id] = replace(current, original_purged_at=at)
        return True


def _forgotten(email: EmailRecord) -> EmailRecord:
    if email.status is EmailStatus.PENDING:
        return replace(email, to="", status=EmailStatus.FAILED, last_error=CANCELLED)
    # Any last error may quote the address (a mail server's reply): it goes with the address.
    return replace(email, to="", last_error=None)


def _last_change(submission: Submission) -> datetime:
    return submission.updated_at or submission.created_at
