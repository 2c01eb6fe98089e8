"""SqlCatalog's review claims: moderators' soft claims on submissions in review.

A claim is a conditional UPDATE of the submission's claimed_by and claimed_until, the first
statement of its transaction, so two claimers at once never both win a submission:

- SQLite: the UPDATE takes the database's one write lock before its subquery reads (a writer
  that finds it held waits out busy_timeout, then starts afresh on the newest data).
- PostgreSQL: "next" picks its row with FOR UPDATE SKIP LOCKED, so a claimer steps over the row
  a racer has just locked and takes the next one, instead of waiting to find it gone; a claim of
  one given submission waits for its row, then re-checks the WHERE on the row as committed.

The claimer's other claims are dropped after, stepping over rows someone else has locked (a
decision under way clears the claim anyway): nothing here waits while it holds a lock, so
claimers cannot deadlock each other.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, Update, exists, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.moderation import Connected
from photogate.domain.moderation import ReviewClaim
from photogate.domain.submission import Status, Submission

_IN_REVIEW = Status.NEEDS_REVIEW.value
# A claim refused by a racer's commit re-reads the row; after this many refusals, give up.
_ATTEMPTS = 3
_row = db.submissions.c


class SqlReviewClaims:
    """Mixed into SqlCatalog; claims are no decisions, so nothing here writes the audit trail."""

    async def claim_next_review(
        self: Connected, moderator: str, *, now: datetime, until: datetime
    ) -> Submission | None:
        """Claim the oldest submission in review with no claim running at `now`, if any."""
        oldest_free = (
            select(_row.id)
            .where(_in_review() & _lapsed(now))
            .order_by(_row.created_at, _row.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claim = _claim(moderator, until).where((_row.id == oldest_free) & _lapsed(now))
        async with self._write() as conn:
            claimed = (await conn.execute(claim.returning(db.submissions))).mappings().first()
            if claimed is None:
                return None
            await _drop_others(conn, moderator, claimed["id"])
        return mapping.submission_from_row(claimed)

    async def claim_review(
        self: Connected,
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
        allowed = (_row.id == submission_id) & _in_review()
        if not take_over:
            allowed &= _lapsed(now) | (_row.claimed_by == moderator)
        if unless_holding:
            allowed &= ~_holds_another(moderator, submission_id, now)
        async with self._write() as conn:
            for _ in range(_ATTEMPTS):
                claimed = await conn.execute(_claim(moderator, until).where(allowed))
                if claimed.rowcount == 1:
                    await _drop_others(conn, moderator, submission_id)
                    return ReviewClaim(submission_id, moderator, until)
                kept = await _running_claims(conn, [submission_id], now)
                if kept or not await _still_in_review(conn, submission_id):
                    return kept.get(submission_id)
        return None

    async def review_claims(
        self: Connected, submission_ids: Collection[str], *, now: datetime
    ) -> dict[str, ReviewClaim]:
        """The claims running at `now` on those of these submissions still in review."""
        async with self._read() as conn:
            return await _running_claims(conn, submission_ids, now)


def _in_review() -> ColumnElement[bool]:
    # Statuses are bound as plain values: a driver may adapt an Enum by its name.
    return _row.status == _IN_REVIEW


def _holds_another(moderator: str, submission_id: str, now: datetime) -> ColumnElement[bool]:
    """Whether `moderator` holds a running claim on a photo in review other than this one."""
    other = db.submissions.alias("other")
    theirs = (
        (other.c.status == _IN_REVIEW)
        & (other.c.claimed_by == moderator)
        & (other.c.claimed_until > now)
        & (other.c.id != submission_id)
    )
    return exists().where(theirs)


def _lapsed(now: datetime) -> ColumnElement[bool]:
    return _row.claimed_until.is_(None) | (_row.claimed_until <= now)


def _claim(moderator: str, until: datetime) -> Update:
    """The UPDATE that gives a submission still in review to `moderator` until `until`."""
    values = {"claimed_by": moderator, "claimed_until": until}
    return update(db.submissions).where(_in_review()).values(values)


async def _drop_others(conn: AsyncConnection, moderator: str, keep: str) -> None:
    """End `moderator`'s claims on every submission but `keep`; rows locked by others are left."""
    theirs = (
        select(_row.id)
        .where(_in_review() & (_row.claimed_by == moderator) & (_row.id != keep))
        .with_for_update(skip_locked=True)
    )
    unclaimed = {"claimed_by": None, "claimed_until": None}
    await conn.execute(update(db.submissions).where(_row.id.in_(theirs)).values(unclaimed))


async def _running_claims(
    conn: AsyncConnection, submission_ids: Collection[str], now: datetime
) -> dict[str, ReviewClaim]:
    running = _in_review() & _row.id.in_(list(submission_ids)) & (_row.claimed_until > now)
    query = select(_row.id, _row.claimed_by, _row.claimed_until).where(running)
    rows = await conn.execute(query.where(_row.claimed_by.is_not(None)))
    return {row.id: ReviewClaim(row.id, row.claimed_by, row.claimed_until) for row in rows}


async def _still_in_review(conn: AsyncConnection, submission_id: str) -> bool:
    query = select(_row.id).where((_row.id == submission_id) & _in_review())
    return await conn.scalar(query) is not None
