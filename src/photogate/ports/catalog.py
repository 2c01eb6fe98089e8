"""Catalog: the shop's database (products, submissions, customer photos, outbox, audit trail).

`Catalog` is the whole of it: the ledgers defined here, and those with modules of their own
(moderation, privacy, rate_limits, review_claims, heartbeats).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from photogate.domain.catalog import CustomerPhoto, EmailRecord, OutboxMessage, Product
from photogate.domain.fingerprint import Fingerprint, KnownImage
from photogate.domain.scan import ScanResult
from photogate.domain.submission import (
    SCANNABLE,
    AuditEntry,
    Repeat,
    Status,
    Submission,
    UploadedFile,
)
from photogate.ports.heartbeats import HeartbeatLedger
from photogate.ports.moderation import ModerationLedger
from photogate.ports.privacy import PrivacyLedger
from photogate.ports.rate_limits import RateLedger
from photogate.ports.review_claims import ReviewClaims


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

    async def add_submission(
        self,
        submission: Submission,
        outbox: OutboxMessage,
        fingerprint: Fingerprint | None = None,
        *,
        repeats: Collection[Status] = (),
    ) -> Submission | None:
        """Record a new submission, its queue message (and its file's fingerprint) at once;
        None once recorded.

        With `repeats` and a fingerprint, a repeat is not recorded: if a submission of the same
        SKU and the same bytes is in one of `repeats`, nothing is written and the oldest such is
        returned. Checking and recording are one step for every process on the catalog, so of
        the same file sent twice at once (a double click) exactly one is recorded.
        """
        ...

    async def get_submission(self, submission_id: str) -> Submission | None:
        """One submission, or None."""
        ...

    async def known_submissions(self, submission_ids: Collection[str]) -> set[str]:
        """Those of `submission_ids` the catalog has a submission for (in any state)."""
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
        allowed_from: Collection[Status] = SCANNABLE,
        reason: str | None = None,
    ) -> bool:
        """In one transaction: approve, publish `photo`, owe `email` and queue `outbox`; the
        audit row gives `reason` (what the scanner found, or that a person approved it).

        The submission keeps `photo.caption` as its caption: what was published is what is
        kept, so a caption a moderator left out (personal data, say) is gone from it too.

        Returns False and changes nothing if the submission was no longer in `allowed_from`
        (scannable, unless a moderator approves from needs_review).
        """
        ...

    async def queue_position(self, submission_id: str) -> int | None:
        """How many submissions waiting to be scanned were received before this one."""
        ...

    async def audit_trail(self, submission_id: str) -> list[AuditEntry]:
        """Every recorded state change of the submission, oldest first."""
        ...

    async def stale_submissions(self, older_than: datetime, limit: int) -> list[Submission]:
        """Scannable submissions unchanged since before `older_than`, least recently changed
        first, leaving out those with an outbox message not yet dispatched (the relay's work).

        "Changed" is `updated_at`, or `created_at` for a submission never moved.
        """
        ...

    async def note_scan_retry(self, submission_id: str) -> bool:
        """Record that a worker is trying the submission's scan again: if it is scanning, its
        `updated_at` becomes now (no audit entry: its state did not change), so the reconciler
        does not take a message that is only between attempts for a lost one. False, changing
        nothing, if it is not scanning (or unknown).
        """
        ...

    async def requeue(
        self,
        submission_id: str,
        *,
        outbox: OutboxMessage,
        actor: str,
        reason: str,
        expected_updated_at: datetime | None,
    ) -> Submission | None:
        """In one transaction: move a scannable submission to queued (audited) and queue `outbox`.

        A compare-and-set: only if its `updated_at` is still `expected_updated_at`. Returns the
        moved submission, or None and changes nothing if it moved on (or is gone).
        """
        ...


class UploadLedger(Protocol):
    """Direct uploads: a submission recorded before its file, completed once the file arrived
    (or failed, refused or never arrived).
    """

    async def add_awaiting_upload(self, submission: Submission) -> None:
        """Record a new submission in awaiting_upload, audited; nothing is queued yet."""
        ...

    async def complete_upload(
        self,
        submission_id: str,
        *,
        file: UploadedFile,
        fingerprint: Fingerprint,
        outbox: OutboxMessage,
        actor: str,
        repeats: Collection[Status] = (),
    ) -> Submission | Repeat | None:
        """In one transaction: record the file's facts and fingerprint, move the submission
        from awaiting_upload to received (audited) and queue `outbox`.

        A compare-and-set: returns None and changes nothing if it is no longer awaiting_upload.
        With `repeats`, returns Repeat and changes nothing if another submission of the same
        SKU and bytes is in one of `repeats`; as in add_submission, checking and recording are
        one step for every process on the catalog.
        """
        ...

    async def fail_upload(
        self, submission_id: str, *, reason: str, actor: str, repeat_of: str | None = None
    ) -> Submission | None:
        """Move the submission from awaiting_upload to failed with `reason` (audited); for the
        customer's own repeat, record `repeat_of`, the earlier submission that answers for it.

        A compare-and-set: returns None and changes nothing if it is no longer awaiting_upload.
        """
        ...


class EmailOutbox(Protocol):
    """The transactional outbox of queue messages, and the emails owed."""

    async def pending_outbox(
        self, limit: int, *, created_before: datetime | None = None
    ) -> list[OutboxMessage]:
        """Outbox messages not yet handed to the queue, oldest first (only older ones if asked)."""
        ...

    async def mark_dispatched(self, outbox_id: str, *, queued: str | None = None) -> None:
        """The outbox message is on its queue now; in the same transaction the submission
        `queued` (if given) moves from received to queued, audited as the outbox's move.
        """
        ...

    async def forget_dispatched_outbox(self, dispatched_before: datetime, limit: int) -> int:
        """Delete at most `limit` outbox messages handed to their queue before
        `dispatched_before`; how many went. A message not yet dispatched is never deleted.
        """
        ...

    async def get_email(self, email_id: str) -> EmailRecord | None:
        """One owed email, or None."""
        ...

    async def claim_email(self, email_id: str, *, now: datetime, until: datetime) -> bool:
        """Take the right to send a pending email until `until`, in one atomic step.

        True if this caller got it: the email is pending and unclaimed, or its last claim
        ran out at or before `now`. False otherwise (claimed by someone else, sent, failed, gone).
        """
        ...

    async def release_email(self, email_id: str) -> None:
        """Drop the email's claim, so a retry may claim it at once (the send was deferred)."""
        ...

    async def mark_email_sent(self, email_id: str, at: datetime) -> bool:
        """Record delivery (and the submission's thanked time), dropping any claim; False if
        it was already sent.
        """
        ...

    async def mark_email_attempt(self, email_id: str, error: str, *, final: bool) -> None:
        """Record a failed delivery attempt; `final` marks the email failed for good and drops
        any claim.
        """
        ...

    async def reopen_email(self, email_id: str) -> bool:
        """Owe a failed email again: back to pending and unclaimed (an operator replays it).

        True if it moved. False, changing nothing, if it is not failed (a sent email stays sent:
        one thank-you per photo), unknown, or cancelled by an erasure (its address is blank).
        """
        ...


class FingerprintLedger(Protocol):
    """Fingerprints of submissions and marketing photos: duplicates and near-copies."""

    async def get_fingerprint(self, submission_id: str) -> Fingerprint | None:
        """The fingerprint recorded with the submission, or None."""
        ...

    async def record_marketing_fingerprints(self, sku: str, phashes: Mapping[str, str]) -> None:
        """Replace the perceptual hashes (by URL) of a product's marketing photos."""
        ...

    async def images_near(
        self, phashes: Collection[str], *, max_distance: int, with_pending: bool = False
    ) -> list[KnownImage]:
        """The fingerprinted marketing photos and published customer photos whose pHash is
        within `max_distance` bits of one of `phashes`, in listing_order.

        With `with_pending`, also the fingerprinted submissions on their way (ON_THEIR_WAY), as
        pending images. Read so that a submission published meanwhile is listed one way or the
        other, never missed. Only the matches are loaded whole, however many photos the shop has.
        """
        ...

    async def marketing_images(self) -> list[KnownImage]:
        """Every fingerprinted marketing photo, in listing_order."""
        ...


class Catalog(
    ProductCatalog,
    SubmissionLedger,
    UploadLedger,
    EmailOutbox,
    ModerationLedger,
    ReviewClaims,
    RateLedger,
    FingerprintLedger,
    PrivacyLedger,
    HeartbeatLedger,
    Protocol,
):
    """The whole catalog database."""

    async def ping(self) -> None:
        """Reach the database once; raises StorageUnavailable when it cannot be reached."""
        ...
