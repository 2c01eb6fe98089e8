"""SqlCatalog's erasure and retention methods: a customer's submissions, purged originals."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Final, Protocol

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.moves import Move, apply_move
from photogate.clock import Clock
from photogate.domain.catalog import EmailStatus
from photogate.domain.erasure import ErasureRequest
from photogate.domain.submission import Status, Submission, email_key

CANCELLED: Final = "cancelled: the customer's data was erased"
# Everything but erased may be erased; statuses are bound as their plain values.
# A published one is taken down first (see PrivacyLedger.erase_submission).
_ERASABLE: Final = frozenset(Status) - {Status.ERASED, Status.APPROVED}


class Connected(Protocol):
    """What these methods need of the SqlCatalog they are mixed into."""

    _clock: Clock

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    def _write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...


class SqlPrivacy:
    """Mixed into SqlCatalog."""

    async def customer_submissions(self: Connected, email: str) -> list[Submission]:
        """Every submission sent with `email` (matched by email_key), oldest first."""
        wanted = email_key(email)
        if not wanted:
            return []
        row = db.submissions.c
        query = select(db.submissions).where(row.email_key == wanted)
        async with self._read() as conn:
            rows = await conn.execute(query.order_by(row.created_at, row.id))
            return [mapping.submission_from_row(r) for r in rows.mappings()]

    async def request_erasure(self: Connected, requests: Collection[ErasureRequest]) -> None:
        """Record the erasures not asked for yet of submissions there and not erased."""
        if not requests:
            return
        async with self._write() as conn:
            open_ids = await _erasable_without_request(conn, [r.submission_id for r in requests])
            rows = [_request_values(r) for r in requests if r.submission_id in open_ids]
            if rows:
                await conn.execute(insert(db.erasure_requests), rows)

    async def erasure_requests(self: Connected, limit: int) -> list[ErasureRequest]:
        """Erasures asked for whose submission is not erased yet, oldest first."""
        asked, row = db.erasure_requests.c, db.submissions.c
        query = (
            select(db.erasure_requests)
            .join(db.submissions, row.id == asked.submission_id)
            .where(row.status != Status.ERASED.value)
            .order_by(asked.requested_at, asked.submission_id)
            .limit(limit)
        )
        async with self._read() as conn:
            rows = await conn.execute(query)
            return [ErasureRequest(**r) for r in rows.mappings()]

    async def erase_submission(
        self: Connected, submission_id: str, *, actor: str, reason: str
    ) -> bool:
        """Move to erased (audited) and drop everything personal, at once; False if done before
        or still published.
        """
        now = self._clock()
        changes: mapping.Values = {"email": "", "email_key": "", "display_name": "", "caption": ""}
        # The erasure deletes the original too, so it is (again) marked purged now.
        changes |= {"extra": {}, "original_purged_at": now}
        move = Move(submission_id, _ERASABLE, Status.ERASED, actor, reason, now, changes)
        async with self._write() as conn:
            if not await apply_move(conn, move):
                return False
            await _drop_fingerprint(conn, submission_id)
            await _forget_emails(conn, submission_id)
            await conn.execute(
                delete(db.erasure_requests).where(
                    db.erasure_requests.c.submission_id == submission_id
                )
            )
        return True

    async def originals_to_purge(
        self: Connected,
        statuses: Collection[Status],
        *,
        settled_before: datetime | None,
        limit: int,
    ) -> list[Submission]:
        """Submissions in `statuses` with their original kept, unchanged since `settled_before`."""
        async with self._read() as conn:
            rows = await conn.execute(kept_originals_query(statuses, settled_before, limit))
            return [mapping.submission_from_row(r) for r in rows.mappings()]

    async def mark_original_purged(
        self: Connected, submission_id: str, *, allowed_from: Collection[Status], at: datetime
    ) -> bool:
        """Record the original as deleted, if still in `allowed_from` and not marked yet."""
        row = db.submissions.c
        still = (
            (row.id == submission_id)
            & row.status.in_(sorted(s.value for s in allowed_from))
            & row.original_purged_at.is_(None)
        )
        async with self._write() as conn:
            changed = await conn.execute(
                update(db.submissions).where(still).values(original_purged_at=at)
            )
        return changed.rowcount == 1


async def _erasable_without_request(conn: AsyncConnection, ids: list[str]) -> set[str]:
    """Those of `ids` that name a submission not erased and not asked to be erased yet."""
    row, asked = db.submissions.c, db.erasure_requests.c
    requested = select(asked.submission_id).where(asked.submission_id.in_(ids))
    query = select(row.id).where(
        row.id.in_(ids), row.status != Status.ERASED.value, row.id.not_in(requested)
    )
    return set((await conn.execute(query)).scalars())


def _request_values(request: ErasureRequest) -> mapping.Values:
    return {
        "submission_id": request.submission_id,
        "actor": request.actor,
        "takedown_reason": request.takedown_reason,
        "erasure_reason": request.erasure_reason,
        "requested_at": request.requested_at,
    }


def kept_originals_query(
    statuses: Collection[Status], settled_before: datetime | None, limit: int
) -> Select[Any]:
    """Submissions in `statuses` whose original is not marked purged, least recently changed
    first; with `settled_before`, only those unchanged since.

    Its `original_purged_at IS NULL` lets the partial index of kept originals serve it, so the
    hourly purge reads the few kept among a year of purged ones, not all of them.
    """
    row = db.submissions.c
    kept: list[ColumnElement[bool]] = [
        row.status.in_(sorted(s.value for s in statuses)),
        row.original_purged_at.is_(None),
    ]
    if settled_before is not None:
        kept.append(_changed_before(settled_before))
    oldest_first = (func.coalesce(row.updated_at, row.created_at), row.id)
    return select(db.submissions).where(*kept).order_by(*oldest_first).limit(limit)


def _changed_before(moment: datetime) -> ColumnElement[bool]:
    row = db.submissions.c
    # Two plain comparisons rather than one COALESCE, so each is a range of the kept originals'
    # index (status, updated_at, created_at).
    return or_(row.updated_at < moment, and_(row.updated_at.is_(None), row.created_at < moment))


async def _drop_fingerprint(conn: AsyncConnection, submission_id: str) -> None:
    await conn.execute(
        delete(db.fingerprints).where(db.fingerprints.c.submission_id == submission_id)
    )


async def _forget_emails(conn: AsyncConnection, submission_id: str) -> None:
    emails = db.emails.c
    of_submission = emails.submission_id == submission_id
    owed = of_submission & (emails.status == EmailStatus.PENDING.value)
    # Any last error may quote the address (a mail server's reply): it goes with the address.
    await conn.execute(update(db.emails).where(of_submission).values(to="", last_error=None))
    cancelled = {"status": EmailStatus.FAILED.value, "last_error": CANCELLED}
    await conn.execute(update(db.emails).where(owed).values(cancelled))
