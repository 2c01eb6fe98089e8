"""SqlCatalog's moderation methods: review lists, unpublishing, audit pages."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Final, Protocol

from sqlalchemy import RowMapping, Select, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.locks import SQLITE_WRITE_LOCK
from photogate.adapters.sql.moves import Move, Shown, apply_move
from photogate.clock import Clock
from photogate.domain.catalog import CustomerPhoto, EmailRecord, EmailStatus, OutboxMessage
from photogate.domain.moderation import reason_in_review, takes_back
from photogate.domain.submission import AuditEntry, AuditLine, Status, Submission

_REJECTED: Final = frozenset({Status.REJECTED})


class Connected(Protocol):
    """What these methods need of the SqlCatalog they are mixed into."""

    _clock: Clock

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    def _write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    async def _queue(self, conn: AsyncConnection, message: OutboxMessage) -> None: ...


class SqlModeration:
    """Mixed into SqlCatalog; no method here updates or deletes an audit_log row."""

    async def list_submissions(
        self: Connected, status: Status, *, limit: int, offset: int = 0
    ) -> tuple[list[Submission], int]:
        """A page of the submissions in `status`, oldest first, and their total count."""
        of_status = db.submissions.c.status == status.value
        oldest_first = (db.submissions.c.created_at, db.submissions.c.id)
        page = select(db.submissions).where(of_status).order_by(*oldest_first)
        async with self._read() as conn:
            total = await conn.scalar(select(func.count()).where(of_status))
            rows = await conn.execute(page.limit(limit).offset(offset))
            return [mapping.submission_from_row(row) for row in rows.mappings()], total or 0

    async def list_published(
        self: Connected, *, sku_prefix: str = "", limit: int, offset: int = 0
    ) -> tuple[list[CustomerPhoto], int]:
        """A page of published photos (of SKUs starting with `sku_prefix`), newest first."""
        photos = db.customer_photos.c
        matching = photos.sku.startswith(sku_prefix, autoescape=True)
        newest_first = (photos.approved_at.desc(), photos.submission_id.desc())
        page = select(db.customer_photos).where(matching).order_by(*newest_first)
        async with self._read() as conn:
            total = await conn.scalar(select(func.count()).where(matching))
            rows = await conn.execute(page.limit(limit).offset(offset))
            return [mapping.photo_from_row(row) for row in rows.mappings()], total or 0

    async def transition_with_email(
        self: Connected,
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
        at = self._clock()
        move = Move(submission_id, frozenset(allowed_from), to, actor, reason, at)
        async with self._write() as conn:
            if not await apply_move(conn, move):
                return False
            await conn.execute(insert(db.emails).values(mapping.email_values(email, at)))
            await self._queue(conn, outbox)
        return True

    async def unpublish(
        self: Connected,
        submission_id: str,
        *,
        allowed_from: Collection[Status],
        to: Status,
        actor: str,
        reason: str | None,
    ) -> bool:
        """In one transaction: move the submission (audited) and remove its published photo."""
        move = Move(submission_id, frozenset(allowed_from), to, actor, reason, self._clock())
        its_photo = db.customer_photos.c.submission_id == submission_id
        async with self._write() as conn:
            if not await apply_move(conn, move):
                return False
            await conn.execute(delete(db.customer_photos).where(its_photo))
        return True

    async def undo_rejection(
        self: Connected,
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
        try:
            async with self._write() as conn:
                trail = await _locked_trail(conn, submission_id)
                if not takes_back(trail, rejected_at, since):
                    return False
                move = _back_to_review(submission_id, trail, actor, reason, self._clock())
                if not await apply_move(conn, move):
                    return False
                if not await _withdraw_held_email(conn, submission_id, now):
                    raise _Undone
        except _Undone:
            return False
        return True

    async def audit_page(self: Connected, *, after: int, limit: int) -> list[AuditLine]:
        """Audit entries numbered after `after`, in the order they were written, with numbers
        and their submissions' SKUs, in one query.
        """
        async with self._read() as conn:
            rows = await conn.execute(_audit_lines(after, limit))
            return [_audit_line(row) for row in rows.mappings()]


def _audit_lines(after: int, limit: int) -> Select[Any]:
    """Entries after `after` with their submission's SKU; an outer join, so that an entry is
    never left out of the trail for want of its submission.
    """
    trail, submissions = db.audit_log, db.submissions
    sku = func.coalesce(submissions.c.sku, "").label("sku")
    joined = trail.outerjoin(submissions, submissions.c.id == trail.c.submission_id)
    query = select(trail, sku).select_from(joined).where(trail.c.id > after)
    return query.order_by(trail.c.id).limit(limit)


def _audit_line(row: RowMapping) -> AuditLine:
    return AuditLine(row["id"], mapping.audit_from_row(row), row["sku"])


class _Undone(Exception):
    """Rolls back an undo that turned out not to be allowed."""


def _back_to_review(
    submission_id: str, trail: list[AuditEntry], actor: str, reason: str, at: datetime
) -> Move:
    """The undo of the rejection ending `trail`: audited with `reason`, the submission shown
    with the reason it was in review for before that rejection.
    """
    shown = Shown(reason_in_review(trail[:-1], reason))
    return Move(submission_id, _REJECTED, Status.NEEDS_REVIEW, actor, reason, at, shown=shown)


async def _locked_trail(conn: AsyncConnection, submission_id: str) -> list[AuditEntry]:
    """The submission's audit trail, oldest first, read once its row is locked.

    The lock first, so no move can slip in between the trail read here and this
    transaction's own move: FOR UPDATE takes the row's on PostgreSQL, where every move takes it
    too; SQLite, which has no row locks, takes its one write lock (locks.SQLITE_WRITE_LOCK).
    """
    row = db.submissions.c
    if conn.dialect.name == "sqlite":
        await conn.execute(SQLITE_WRITE_LOCK)
    else:
        await conn.execute(select(row.id).where(row.id == submission_id).with_for_update())
    trail = db.audit_log.c
    query = select(db.audit_log).where(trail.submission_id == submission_id).order_by(trail.id)
    return [mapping.audit_from_row(row) for row in (await conn.execute(query)).mappings()]


async def _withdraw_held_email(conn: AsyncConnection, submission_id: str, now: datetime) -> bool:
    """Delete the submission's held email if no sender has it; True if there was none held.

    One conditional DELETE: a sender's claim is a conditional UPDATE of the same row that
    needs the hold over, so of the two only one ever matches.
    """
    emails = db.emails.c
    held = (emails.submission_id == submission_id) & emails.held_until.is_not(None)
    if await conn.scalar(select(func.count()).where(held)) == 0:
        return True
    withdrawable = (
        held
        & (emails.status == EmailStatus.PENDING.value)
        & emails.claimed_until.is_(None)
        & (emails.held_until > now)
    )
    withdrawn = await conn.execute(delete(db.emails).where(withdrawable))
    return bool(withdrawn.rowcount)
