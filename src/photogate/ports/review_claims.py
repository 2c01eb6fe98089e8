"""Review claims: moderators' soft claims on submissions in review, so people working at once
get different ones (part of the Catalog; see moderation/claims.py).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from photogate.domain.moderation import ReviewClaim
from photogate.domain.submission import Submission


class ReviewClaims(Protocol):
    """Soft claims on submissions in review, so moderators working at once get different ones.

    A claim lapses by itself at its `until` (compared with the caller's `now`, no job sweeps
    them) and ends when the submission leaves review. It only steers who is shown what:
    decisions stay compare-and-sets on the status, whoever holds the claim.
    """

    async def claim_next_review(
        self, moderator: str, *, now: datetime, until: datetime
    ) -> Submission | None:
        """Claim for `moderator` until `until` the oldest submission in review with no claim
        running at `now` (theirs included: asking again moves on), dropping their other claims.

        One atomic step across every process on the catalog: callers at the same moment get
        different submissions. None, changing nothing, when every one in review is claimed.
        """
        ...

    async def claim_review(
        self,
        submission_id: str,
        moderator: str,
        *,
        now: datetime,
        until: datetime,
        take_over: bool = False,
        unless_holding: bool = False,
    ) -> ReviewClaim | None:
        """Claim this submission in review for `moderator` until `until`, dropping their other
        claims, unless someone else's claim runs at `now` (with `take_over`, even then). With
        `unless_holding`, claim it only if the moderator holds no other running claim (which
        is then kept): a look at another photo takes nothing.

        Returns the claim that holds afterwards: someone else's when it was kept, changing
        nothing. None, changing nothing, if the submission is not in review (or unknown).
        """
        ...

    async def review_claims(
        self, submission_ids: Collection[str], *, now: datetime
    ) -> dict[str, ReviewClaim]:
        """The claims running at `now` on those of these submissions still in review, by id."""
        ...
