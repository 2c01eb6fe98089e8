"""Use cases: moderators claim photos in review, so people working at once get different ones.

A claim is soft: it steers "next" and warns whoever opens the photo, and lapses by itself after
a few minutes (PHOTOGATE_CONSOLE__CLAIM_MINUTES). Deciding never needs one; a decision stays a
compare-and-set on the status, so of two moderators deciding at once only the first counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from photogate.clock import Clock, utcnow
from photogate.domain.moderation import ReviewClaim
from photogate.domain.submission import Status, Submission
from photogate.ports import Catalog


@dataclass(frozen=True)
class ClaimTerms:
    """How long a claim lasts, and the clock it is measured by."""

    lasting: timedelta
    clock: Clock = field(default=utcnow)


async def claim_next(catalog: Catalog, moderator: str, terms: ClaimTerms) -> Submission | None:
    """The oldest photo in review that no one is reviewing, claimed for `moderator` (whose
    claim on another photo ends); None if there is none.
    """
    now = terms.clock()
    return await catalog.claim_next_review(moderator, now=now, until=now + terms.lasting)


async def held_alone(catalog: Catalog, moderator: str, terms: ClaimTerms) -> Submission | None:
    """The photo `moderator` is reviewing when it is the only one in review; else None (so
    "next" can say there is no other, rather than that others are reviewing them).
    """
    waiting, total = await catalog.list_submissions(Status.NEEDS_REVIEW, limit=1)
    if total != 1:
        return None
    claim = (await catalog.review_claims([waiting[0].id], now=terms.clock())).get(waiting[0].id)
    return waiting[0] if claim is not None and claim.held_by(moderator) else None


async def open_for_review(
    catalog: Catalog,
    submission_id: str,
    moderator: str,
    terms: ClaimTerms,
    *,
    take_over: bool = False,
) -> ReviewClaim | None:
    """Claim a photo in review for `moderator` as they open it, unless someone else's claim
    runs (with `take_over`, even then). The claim that holds afterwards; None if not in review.

    Opening a photo claims it only if the moderator holds no other claim: a glance in another
    tab neither hands the photo they are deciding to the next colleague nor takes a second
    one from them. Taking one over, a choice to work on it, moves them on, as "next" does.
    """
    now = terms.clock()
    until = now + terms.lasting
    return await catalog.claim_review(
        submission_id,
        moderator,
        now=now,
        until=until,
        take_over=take_over,
        unless_holding=not take_over,
    )


async def claims_on(
    catalog: Catalog, submissions: Sequence[Submission], terms: ClaimTerms
) -> dict[str, ReviewClaim]:
    """Who is reviewing which of `submissions` now, by submission id."""
    if not submissions:
        return {}
    ids = [submission.id for submission in submissions]
    return await catalog.review_claims(ids, now=terms.clock())
