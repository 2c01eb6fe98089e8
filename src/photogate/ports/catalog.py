"""Catalog: the shop's database (products, submissions, customer photos, outbox, audit trail)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from photogate.domain.catalog import CustomerPhoto, EmailRecord, OutboxMessage, Product
from photogate.domain.scan import ScanResult
from photogate.domain.submission import AuditEntry, Status, Submission


class ProductCatalog(Protocol):
    """Products and the customer photos published on them."""

    async def upsert_products(self, products: Sequence[Product]) -> None:
        """Insert or update these products by SKU."""
        ...

    async def list_products(self) -> list[Product]:
        """All products, by SKU."""
        ...

    async def get_product(self, sku: str) -> Product | None:
        """One product, or None."""
        ...

    async def list_photos(
        self, sku: str, *, limit: int, offset: int = 0
    ) -> tuple[list[CustomerPhoto], int]:
        """A page of a product's approved photos, newest first, and the total count."""
        ...

    async def get_photo(self, submission_id: str) -> CustomerPhoto | None:
        """The published photo of one submission, or None."""
        ...

    async def photo_counts(self) -> dict[str, int]:
        """Number of approved customer photos per SKU."""
        ...


class SubmissionLedger(Protocol):
    """Submissions, their state changes and the audit trail that records each one."""

    async def add_submission(self, submission: Submission, outbox: OutboxMessage) -> None:
        """Record a new submission and its queue message in one transaction."""
        ...

    async def get_submission(self, submission_id: str) -> Submission | None:
        """One submission, or None."""
        ...

    async def transition(
        self,
        submission_id: str,
        *,
        allowed_from: Collection[Status],
        to: Status,
        actor: str,
        reason: str | None = None,
        scan: ScanResult | None = None,
    ) -> Submission | None:
        """Move the submission to `to` only if it is in `allowed_from`; record it in the audit.

        Returns the updated submission, or None if it was elsewhere (someone settled it first).
        """
        ...

    async def approve(
        self,
        submission_id: str,
        *,
        photo: CustomerPhoto,
        email: EmailRecord,
        outbox: OutboxMessage,
        actor: str,
        scan: ScanResult | None,
    ) -> bool:
        """In one transaction: approve, publish `photo`, owe `email` and queue `outbox`.

        Returns False and changes nothing if the submission was no longer scannable.
        """
        ...

    async def queue_position(self, submission_id: str) -> int | None:
        """How many submissions waiting to be scanned were received before this one."""
        ...

    async def audit_trail(self, submission_id: str) -> list[AuditEntry]:
        """Every recorded state change of the submission, oldest first."""
        ...


class EmailOutbox(Protocol):
    """The transactional outbox of queue messages, and the emails owed."""

    async def pending_outbox(
        self, limit: int, *, created_before: datetime | None = None
    ) -> list[OutboxMessage]:
        """Outbox messages not yet handed to the queue, oldest first (only older ones if asked)."""
        ...

    async def mark_dispatched(self, outbox_id: str) -> None:
        """The outbox message is on its queue now."""
        ...

    async def get_email(self, email_id: str) -> EmailRecord | None:
        """One owed email, or None."""
        ...

    async def mark_email_sent(self, email_id: str, at: datetime) -> bool:
        """Record delivery (and the submission's thanked time); False if it was already sent."""
        ...

    async def mark_email_attempt(self, email_id: str, error: str, *, final: bool) -> None:
        """Record a failed delivery attempt; `final` marks the email failed for good."""
        ...


class Catalog(ProductCatalog, SubmissionLedger, EmailOutbox, Protocol):
    """The whole catalog database."""
