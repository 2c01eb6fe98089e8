"""Moderation ledger: what people need to review, take down and account for submissions
(part of the Catalog).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Protocol

from photogate.domain.catalog import CustomerPhoto, EmailRecord, OutboxMessage
from photogate.domain.submission import (
    AuditLine,
    Status,
    Submission,
)


class ModerationLedger(Protocol):
    """What people need to review, take down and account for submissions."""

    async def list_submissions(
        self, status: Status, *, limit: int, offset: int = 0
    ) -> tuple[list[Submission], int]:
        """A page of the submissions in `status`, oldest first, and their total count."""
        ...

    async def list_published(
        self, *, sku_prefix: str = "", limit: int, offset: int = 0
    ) -> tuple[list[CustomerPhoto], int]:
        """A page of published photos (of SKUs starting with `sku_prefix`), newest first."""
        ...

    async def transition_with_email(
        self,
        submission_id: str,
        *,
        allowed_from: Collection[Status],
        to: Status,
        actor: str,
        reason: str | None,
        email: EmailRecord,
        outbox: OutboxMessage,
    ) -> bool:
        """In one transaction: move the submission (audited), owe `email` and queue `outbox`.

        Returns False and changes nothing if the submission was not in `allowed_from`.
        """
        ...

    async def unpublish(
        self,
        submission_id: str,
        *,
        allowed_from: Collection[Status],
        to: Status,
        actor: str,
        reason: str | None,
    ) -> bool:
        """In one transaction: move the submission (audited) and remove its published photo.

        Returns False and changes nothing if the submission was not in `allowed_from`.
        """
        ...

    async def undo_rejection(
        self,
        submission_id: str,
        *,
        actor: str,
        reason: str,
        rejected_at: datetime,
        since: datetime,
        now: datetime,
    ) -> bool:
        """In one transaction: take back the rejection audited at `rejected_at`, a moderator's
        made at or after `since`, and withdraw its rejection email, which must still be held at
        `now` and unclaimed (it is deleted: it was never sent).

        A compare-and-set on the audit trail: that rejection must still be the submission's
        latest entry, so an undo never takes back a later rejection. The submission goes back
        to needs_review with the status_reason it had there before the rejection; the audit
        entry of the move gives `reason`.

        Returns False and changes nothing otherwise: another rejection named, rejected earlier
        or by the scanner, moved since, or its email no longer held (being sent, or sent).
        """
        ...

    async def audit_page(self, *, after: int, limit: int) -> list[AuditLine]:
        """Audit entries numbered after `after`, in the order they were written, with numbers
        and their submissions' SKUs (read with the page: one query, however many submissions).

        The trail is append-only: no method of the catalog changes or removes an entry.
        """
        ...
