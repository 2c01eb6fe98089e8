"""SqlCatalog's outbox and owed-email methods: what the relay dispatches, what was sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.moderation import Connected
from photogate.domain.catalog import EmailRecord, EmailStatus, OutboxMessage
from photogate.domain.submission import Status

_SENT = EmailStatus.SENT.value
_PENDING = EmailStatus.PENDING.value
_FAILED = EmailStatus.FAILED.value
_RECEIVED = frozenset({Status.RECEIVED})


class SqlOutbox:
    """Mixed into SqlCatalog; marking twice never undoes or repeats the first mark."""

    async def pending_outbox(
        self: Connected, limit: int, *, created_before: datetime | None = None
    ) -> list[OutboxMessage]:
        """Outbox messages not yet handed to the queue, oldest first (only older ones if asked)."""
        query = select(db.outbox).where(db.outbox.c.dispatched_at.is_(None))
        if created_before is not None:
            query = query.where(db.outbox.c.created_at < created_before)
        async with self._read() as conn:
            rows = await conn.execute(
                query.order_by(db.outbox.c.created_at, db.outbox.c.id).limit(limit)
            )
            return [mapping.outbox_from_row(row) for row in rows.mappings()]

    async def forget_dispatched_outbox(
        self: Connected, dispatched_before: datetime, limit: int
    ) -> int:
        """Delete at most `limit` outbox messages dispatched before `dispatched_before`."""
        outbox = db.outbox.c
        # A range of (dispatched_at, created_at); NULL, the undispatched, is never below it.
        oldest = select(outbox.id).where(outbox.dispatched_at < dispatched_before).limit(limit)
        async with self._write() as conn:
            gone = await conn.execute(delete(db.outbox).where(outbox.id.in_(oldest)))
        return gone.rowcount

    async def get_email(self: Connected, email_id: str) -> EmailRecord | None:
        """One owed email, or None."""
        async with self._read() as conn:
            rows = await conn.execute(select(db.emails).where(db.emails.c.id == email_id))
            row = rows.mappings().first()
        return None if row is None else mapping.email_from_row(row)

    async def claim_email(
        self: Connected, email_id: str, *, now: datetime, until: datetime
    ) -> bool:
        """Claim a pending email until `until` unless a claim still runs or it is held;
        True if we got it.
        """
        emails = db.emails.c
        lapsed = emails.claimed_until.is_(None) | (emails.claimed_until <= now)
        released = emails.held_until.is_(None) | (emails.held_until <= now)
        free = (emails.id == email_id) & (emails.status == _PENDING) & lapsed & released
        # One conditional UPDATE: PostgreSQL re-checks the WHERE on the row a concurrent claim
        # committed, SQLite runs writers one at a time, so at most one caller matches the row.
        async with self._write() as conn:
            claimed = await conn.execute(update(db.emails).where(free).values(claimed_until=until))
        return claimed.rowcount == 1

    async def release_email(self: Connected, email_id: str) -> None:
        """Drop the email's claim, so a retry may claim it at once."""
        async with self._write() as conn:
            await conn.execute(
                update(db.emails).where(db.emails.c.id == email_id).values(claimed_until=None)
            )

    async def mark_email_sent(self: Connected, email_id: str, at: datetime) -> bool:
        """Record delivery and the submission's thanked time; False if it was already sent."""
        unsent = (db.emails.c.id == email_id) & (db.emails.c.status != _SENT)
        its_submission = select(db.emails.c.submission_id).where(db.emails.c.id == email_id)
        done: mapping.Values = {"status": _SENT, "sent_at": at, "claimed_until": None}
        async with self._write() as conn:
            sent = await conn.execute(update(db.emails).where(unsent).values(done))
            if sent.rowcount == 0:
                return False
            await conn.execute(
                update(db.submissions)
                .where(db.submissions.c.id == its_submission.scalar_subquery())
                .values(thanked_at=at)
            )
        return True

    async def mark_email_attempt(
        self: Connected, email_id: str, error: str, *, final: bool
    ) -> None:
        """Record a failed delivery attempt; `final` marks the email failed for good."""
        changes: mapping.Values = {"attempts": db.emails.c.attempts + 1, "last_error": error}
        if final:
            changes |= {"status": _FAILED, "claimed_until": None}
        unsent = (db.emails.c.id == email_id) & (db.emails.c.status != _SENT)
        async with self._write() as conn:
            await conn.execute(update(db.emails).where(unsent).values(changes))

    async def reopen_email(self: Connected, email_id: str) -> bool:
        """Move a failed email with an address back to pending, unclaimed; True if it moved."""
        emails = db.emails.c
        failed = (emails.id == email_id) & (emails.status == _FAILED) & (emails.to != "")
        # One conditional UPDATE, like claim_email: a sent email never matches, whatever races.
        async with self._write() as conn:
            reopened = await conn.execute(
                update(db.emails).where(failed).values(status=_PENDING, claimed_until=None)
            )
        return reopened.rowcount == 1
