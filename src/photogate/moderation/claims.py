"""Use cases: moderators claim photos in review, so people working at once get different ones.

A claim is soft: it steers "next" and warns whoever opens the photo, and lapses by itself after
a few minutes (PHOTOGATE_CONSOLE__CLAIM_MINUTES). Deciding never needs one; a decision stays a
compare-and-set on the status, so of two moderators deciding at once only the first counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from photogate.clock import Clock, utcnow
from photogate.domain.moderation import ReviewClaim
from photogate.domain.submission import Status, Submission
from photogate.ports import Catalog

# With none free, every photo in review is claimed, and a moderator's claim ends as they take
# another: the queue is then about as long as the team at work, far shorter than this (a
# moderator's photo past it, after a burst of arrivals, is only missed by the notice).
_HELD_AT_ONCE: Final = 200


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


@dataclass(frozen=True)
class Kept:
    """The photo a moderator stays on when "next" found no other free, and whether it is the
    only one in review (else every other one is someone else's).
    """

    submission: Submission
    alone: bool


async def kept_on_next(catalog: Catalog, moderator: str, terms: ClaimTerms) -> Kept | None:
    """The photo `moderator` is still reviewing once "next" found none free, so "next" can
    return them to it rather than say that others are reviewing all those waiting; None if
    they hold none.
    """
    waiting, total = await catalog.list_submissions(Status.NEEDS_REVIEW, limit=_HELD_AT_ONCE)
    claims = await claims_on(catalog, waiting, terms)
    mine = [s for s in waiting if s.id in claims and claims[s.id].held_by(moderator)]
    return Kept(mine[0], alone=total == 1) if mine else None


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
