"""SqlCatalog's direct-upload methods: a submission recorded before its file, then completed
or failed.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from typing import Protocol

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from photogate.adapters.sql import mapping
from photogate.adapters.sql import tables as db
from photogate.adapters.sql.fingerprints import insert_fingerprint
from photogate.adapters.sql.moves import Move, apply_move
from photogate.adapters.sql.same_files import first_copy
from photogate.clock import Clock
from photogate.domain.catalog import OutboxMessage
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.submission import AuditEntry, Repeat, Status, Submission, UploadedFile

_AWAITING = frozenset({Status.AWAITING_UPLOAD})


class Connected(Protocol):
    """What these methods need of the SqlCatalog they are mixed into."""

    _clock: Clock

    def _write(self) -> AbstractAsyncContextManager[AsyncConnection]: ...

    async def _queue(self, conn: AsyncConnection, message: OutboxMessage) -> None: ...

    async def _load(self, conn: AsyncConnection, submission_id: str) -> Submission | None: ...


class SqlUploads:
    """Mixed into SqlCatalog."""

    async def add_awaiting_upload(self: Connected, submission: Submission) -> None:
        """Record a new submission in awaiting_upload, audited; nothing is queued yet."""
        entry = AuditEntry(
            submission.id, None, submission.status, "customer", None, submission.created_at
        )
        async with self._write() as conn:
            await conn.execute(insert(db.submissions).values(mapping.submission_values(submission)))
            await conn.execute(insert(db.audit_log).values(mapping.audit_values(entry)))

    async def complete_upload(
        self: Connected,
        submission_id: str,
        *,
        file: UploadedFile,
        fingerprint: Fingerprint,
        outbox: OutboxMessage,
        actor: str,
        repeats: Collection[Status] = (),
    ) -> Submission | Repeat | None:
        """Record the arrived file, move awaiting_upload to received and queue `outbox`, at once;
        unless it repeats a submission in `repeats` (see same_files).
        """
        move = Move(
            submission_id, _AWAITING, Status.RECEIVED, actor, None, self._clock(), asdict(file)
        )
        async with self._write() as conn:
            current = await self._load(conn, submission_id)
            if current is None or current.status is not Status.AWAITING_UPLOAD:
                return None
            earlier = await _standing_copy(conn, current, fingerprint, repeats)
            if earlier is not None:
                return Repeat(earlier)
            if not await apply_move(conn, move):
                return None
            submission = await self._load(conn, submission_id)
            if submission is None:  # cannot be: it was moved in this very transaction
                return None
            await insert_fingerprint(conn, submission, fingerprint)
            await self._queue(conn, outbox)
            return submission

    async def fail_upload(
        self: Connected,
        submission_id: str,
        *,
        reason: str,
        actor: str,
        repeat_of: str | None = None,
    ) -> Submission | None:
        """Move awaiting_upload to failed with `reason` and `repeat_of`, audited."""
        changes = {"repeat_of": repeat_of}
        move = Move(submission_id, _AWAITING, Status.FAILED, actor, reason, self._clock(), changes)
        async with self._write() as conn:
            if not await apply_move(conn, move):
                return None
            return await self._load(conn, submission_id)


async def _standing_copy(
    conn: AsyncConnection,
    submission: Submission,
    fingerprint: Fingerprint,
    repeats: Collection[Status],
) -> Submission | None:
    """The oldest other submission of the same product and file in `repeats` (None without
    any), under the lock that keeps two completions from both finding none.
    """
    if not repeats:
        return None
    sku, sha256, own = submission.sku, fingerprint.sha256, submission.id
    return await conn.run_sync(lambda sync: first_copy(sync, sku, sha256, repeats, excluding=own))
