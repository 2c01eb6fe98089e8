"""InMemoryCatalog's review claims: moderators' soft claims on submissions in review."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from photogate.adapters.memory.emails import require_aware
from photogate.domain.moderation import ReviewClaim
from photogate.domain.submission import Status, Submission


class _Stored(Protocol):
    """What these methods need of the InMemoryCatalog they are mixed into."""

    _submissions: dict[str, Submission]
    # The claimed_by and claimed_until columns of the SQL catalog; _settle drops a moved one's.
    _review_claims: dict[str, ReviewClaim]


class InMemoryReviewClaims:
    """Mixed into InMemoryCatalog; no method awaits, so a claim is atomic on the event loop."""

    async def claim_next_review(
        self: _Stored, moderator: str, *, now: datetime, until: datetime
    ) -> Submission | None:
        """Claim the oldest submission in review with no claim running at `now`, if any."""
        require_aware(now, until)
        free = [s for s in _in_review(self) if _running(self, s.id, now) is None]
        if not free:
            return None
        oldest = min(free, key=lambda s: (s.created_at, s.id))
        _hold(self, ReviewClaim(oldest.id, moderator, until))
        return oldest

    async def claim_review(
        self: _Stored,
        submission_id: str,
        moderator: str,
        *,
        now: datetime,
        until: datetime,
        take_over: bool = False,
        unless_holding: bool = False,
    ) -> ReviewClaim | None:
        """Claim this submission in review unless someone else's claim runs (or `take_over`),
        or (`unless_holding`) the moderator holds another; their other claims end.
        """
        require_aware(now, until)
        submission = self._submissions.get(submission_id)
        if submission is None or submission.status is not Status.NEEDS_REVIEW:
            return None
        running = _running(self, submission_id, now)
        if running is not None and not running.held_by(moderator) and not take_over:
            return running
        if unless_holding and _holds_another(self, moderator, submission_id, now):
            return running
        claim = ReviewClaim(submission_id, moderator, until)
        _hold(self, claim)
        return claim

    async def review_claims(
        self: _Stored, submission_ids: Collection[str], *, now: datetime
    ) -> dict[str, ReviewClaim]:
        """The claims running at `now` on those of these submissions still in review."""
        require_aware(now)
        wanted = set(submission_ids)
        running = (_running(self, s.id, now) for s in _in_review(self) if s.id in wanted)
        return {claim.submission_id: claim for claim in running if claim is not None}


def _in_review(catalog: _Stored) -> list[Submission]:
    return [s for s in catalog._submissions.values() if s.status is Status.NEEDS_REVIEW]


def _running(catalog: _Stored, submission_id: str, now: datetime) -> ReviewClaim | None:
    claim = catalog._review_claims.get(submission_id)
    return claim if claim is not None and claim.until > now else None


def _holds_another(catalog: _Stored, moderator: str, submission_id: str, now: datetime) -> bool:
    """Whether `moderator` holds a running claim on a photo in review other than this one."""
    others = (s.id for s in _in_review(catalog) if s.id != submission_id)
    return any((c := _running(catalog, sid, now)) and c.held_by(moderator) for sid in others)


def _hold(catalog: _Stored, claim: ReviewClaim) -> None:
    """Give `claim` its submission, dropping its moderator's claims on any other."""
    theirs = [sid for sid, held in catalog._review_claims.items() if held.held_by(claim.moderator)]
    for submission_id in theirs:
        del catalog._review_claims[submission_id]
    catalog._review_claims[claim.submission_id] = claim
