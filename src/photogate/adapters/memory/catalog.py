"""InMemoryCatalog: the Catalog port on dicts, with the SQL catalog's rules and atomicity."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from photogate.adapters.memory.emails import InMemoryEmails, require_aware
from photogate.adapters.memory.fingerprints import InMemoryFingerprints, same_file
from photogate.adapters.memory.heartbeats import InMemoryHeartbeats
from photogate.adapters.memory.moderation import InMemoryModeration, RateEvent
from photogate.adapters.memory.privacy import InMemoryPrivacy
from photogate.adapters.memory.review_claims import InMemoryReviewClaims
from photogate.adapters.memory.uploads import InMemoryUploads
from photogate.clock import Clock, utcnow
from photogate.domain.catalog import (
    OUTBOX_ACTOR,
    CustomerPhoto,
    EmailRecord,
    OutboxMessage,
    Product,
)
from photogate.domain.erasure import ErasureRequest
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.heartbeat import Heartbeat
from photogate.domain.moderation import ReviewClaim
from photogate.domain.scan import ScanResult
from photogate.domain.submission import SCANNABLE, AuditEntry, Status, Submission
from photogate.errors import CatalogConflict

# Waiting for the scanner, as opposed to being scanned or settled.
WAITING = frozenset({Status.RECEIVED, Status.QUEUED})


@dataclass
class _OutboxRow:
    message: OutboxMessage
    created_at: datetime
    dispatched_at: datetime | None = None


class InMemoryCatalog(
    InMemoryEmails,
    InMemoryModeration,
    InMemoryReviewClaims,
    InMemoryFingerprints,
    InMemoryUploads,
    InMemoryPrivacy,
    InMemoryHeartbeats,
):
    """The whole catalog in dicts; no method awaits, so each one is atomic on the event loop.

    Every check runs before the first change, so a refused write leaves nothing behind,
    as a rolled-back transaction would.
    """

    def __init__(self, *, clock: Clock = utcnow) -> None:
        self._clock = clock
        self._products: dict[str, Product] = {}
        self._submissions: dict[str, Submission] = {}
        self._photos: dict[str, CustomerPhoto] = {}
        self._emails: dict[str, EmailRecord] = {}
        self._email_claims: dict[str, datetime] = {}
        self._review_claims: dict[str, ReviewClaim] = {}
        self._outbox: dict[str, _OutboxRow] = {}
        self._audit: list[AuditEntry] = []
        self._rate_events: list[RateEvent] = []
        self._fingerprints: dict[str, Fingerprint] = {}
        self._erasure_requests: dict[str, ErasureRequest] = {}
        self._marketing: dict[str, dict[str, str]] = {}
        self._heartbeats: dict[str, Heartbeat] = {}

    async def aclose(self) -> None:
        """Nothing to release; here so callers can close any catalog alike."""

    async def ping(self) -> None:
        """Always reachable: the dicts are in this process."""

    # -- products -------------------------------------------------------------------------

    async def upsert_products(self, products: Sequence[Product]) -> None:
        """Insert or update these products by SKU."""
        self._products.update((product.sku, product) for product in products)

    async def list_products(self) -> list[Product]:
        """All products, by SKU."""
        return [self._products[sku] for sku in sorted(self._products)]

    async def get_product(self, sku: str) -> Product | None:
        """One product, or None."""
        return self._products.get(sku)

    async def list_photos(
        self, sku: str, *, limit: int, offset: int = 0
    ) -> tuple[list[CustomerPhoto], int]:
        """A page of a product's approved photos, newest first, and the total count."""
        photos = [photo for photo in self._photos.values() if photo.sku == sku]
        photos.sort(key=lambda photo: (photo.approved_at, photo.submission_id), reverse=True)
        return photos[offset : offset + limit], len(photos)

    async def get_photo(self, submission_id: str) -> CustomerPhoto | None:
        """The published photo of one submission, or None."""
        return self._photos.get(submission_id)

    async def photo_counts(self) -> dict[str, int]:
        """Number of approved customer photos per SKU."""
        counts: dict[str, int] = {}
        for photo in self._photos.values():
            counts[photo.sku] = counts.get(photo.sku, 0) + 1
        return counts

    # -- submissions ----------------------------------------------------------------------

    async def add_submission(
        self,
        submission: Submission,
        outbox: OutboxMessage,
        fingerprint: Fingerprint | None = None,
        *,
        repeats: Collection[Status] = (),
    ) -> Submission | None:
        """Record a new submission, its "received" audit, queue message and fingerprint at once,
        unless it repeats one in `repeats` (that one is returned, nothing is written).
        """
        require_aware(submission.created_at, submission.consent_at, submission.updated_at)
        if fingerprint is not None and repeats:
            prints = self._fingerprints
            earlier = same_file(
                self._submissions, prints, submission.sku, fingerprint.sha256, repeats
            )
            if earlier is not None:
                return earlier
        self._refuse_if(submission.id in self._submissions, f"submission {submission.id} exists")
        self._refuse_if(submission.sku not in self._products, f"no product {submission.sku}")
        self._check_outbox(outbox, also_known={submission.id})
        self._submissions[submission.id] = submission
        self._audit.append(
            AuditEntry(
                submission.id, None, submission.status, "customer", None, submission.created_at
            )
        )
        self._queue(outbox)
        if fingerprint is not None:
            self._fingerprints[submission.id] = fingerprint
        return None

    async def get_submission(self, submission_id: str) -> Submission | None:
        """One submission, or None."""
        return self._submissions.get(submission_id)

    async def known_submissions(self, submission_ids: Collection[str]) -> set[str]:
        """Those of `submission_ids` the catalog has a submission for."""
        return {sid for sid in submission_ids if sid in self._submissions}

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
        """Move the submission to `to` only if it is in `allowed_from`, with an audit entry."""
        current = self._submissions.get(submission_id)
        if current is None or current.status not in allowed_from:
            return None
        moved = current.moved(to, reason, self._clock())
        if scan is not None:
            moved = replace(moved, scan=scan)
        return self._settle(current, moved, actor)

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
        """In one transaction: approve, publish `photo`, owe `email` and queue `outbox`."""
        current = self._movable(submission_id, allowed_from)
        if current is None:
            return False
        require_aware(photo.approved_at)
        self._check_photo(photo)
        self._check_email(email)
        self._check_outbox(outbox)
        moved = replace(
            current.moved(Status.APPROVED, reason, self._clock()),
            published_at=photo.approved_at,
            caption=photo.caption,
            scan=scan if scan is not None else current.scan,
        )
        self._settle(current, moved, actor)
        self._photos[photo.submission_id] = photo
        self._emails[email.id] = email
        self._queue(outbox)
        return True

    async def queue_position(self, submission_id: str) -> int | None:
        """How many submissions waiting to be scanned were received before this one."""
        this = self._submissions.get(submission_id)
        if this is None or this.status not in WAITING:
            return None
        waiting = (s for s in self._submissions.values() if s.status in WAITING)
        return sum(1 for s in waiting if s.created_at < this.created_at)

    async def audit_trail(self, submission_id: str) -> list[AuditEntry]:
        """Every recorded state change of the submission, oldest first."""
        return [entry for entry in self._audit if entry.submission_id == submission_id]

    async def stale_submissions(self, older_than: datetime, limit: int) -> list[Submission]:
        """Scannable submissions unchanged since before `older_than`, their messages all sent."""
        require_aware(older_than)
        unsent = {r.message.submission_id for r in self._outbox.values() if not r.dispatched_at}
        stale = [
            s
            for s in self._submissions.values()
            if s.status in SCANNABLE and _last_change(s) < older_than and s.id not in unsent
        ]
        return sorted(stale, key=lambda s: (_last_change(s), s.id))[:limit]

    async def note_scan_retry(self, submission_id: str) -> bool:
        """Move a scanning submission's updated_at to now; False if it is not scanning."""
        current = self._submissions.get(submission_id)
        if current is None or current.status is not Status.SCANNING:
            return False
        self._submissions[submission_id] = replace(current, updated_at=self._clock())
        return True

    async def requeue(
        self,
        submission_id: str,
        *,
        outbox: OutboxMessage,
        actor: str,
        reason: str,
        expected_updated_at: datetime | None,
    ) -> Submission | None:
        """Move a scannable submission unchanged since `expected_updated_at` to queued, at once
        with its new outbox message; None if it moved on meanwhile.
        """
        current = self._submissions.get(submission_id)
        if current is None or current.status not in SCANNABLE:
            return None
        if current.updated_at != expected_updated_at:
            return None
        self._check_outbox(outbox)
        moved = self._settle(current, current.moved(Status.QUEUED, reason, self._clock()), actor)
        self._queue(outbox)
        return moved

    # -- outbox (owed emails: InMemoryEmails in emails.py) -----------------------------------

    async def pending_outbox(
        self, limit: int, *, created_before: datetime | None = None
    ) -> list[OutboxMessage]:
        """Outbox messages not yet handed to the queue, oldest first (only older ones if asked)."""
        pending = [
            row
            for row in self._outbox.values()
            if row.dispatched_at is None
            and (created_before is None or row.created_at < created_before)
        ]
        pending.sort(key=lambda row: (row.created_at, row.message.id))
        return [row.message for row in pending[:limit]]

    async def mark_dispatched(self, outbox_id: str, *, queued: str | None = None) -> None:
        """The outbox message is on its queue now; marking it twice keeps the first time."""
        row = self._outbox.get(outbox_id)
        if row is not None and row.dispatched_at is None:
            row.dispatched_at = self._clock()
        if queued is not None:
            await self.transition(
                queued, allowed_from={Status.RECEIVED}, to=Status.QUEUED, actor=OUTBOX_ACTOR
            )

    async def forget_dispatched_outbox(self, dispatched_before: datetime, limit: int) -> int:
        """Delete at most `limit` outbox messages dispatched before `dispatched_before`."""
        old = [
            outbox_id
            for outbox_id, row in self._outbox.items()
            if row.dispatched_at is not None and row.dispatched_at < dispatched_before
        ][: max(limit, 0)]
        for outbox_id in old:
            del self._outbox[outbox_id]
        return len(old)

    # -- rules the database enforces for the SQL catalog -----------------------------------

    def _settle(self, current: Submission, moved: Submission, actor: str) -> Submission:
        self._submissions[moved.id] = moved
        # As the SQL catalog's moves clear claimed_by: a moved submission's claim is over.
        self._review_claims.pop(moved.id, None)
        at = moved.updated_at or self._clock()
        entry = AuditEntry(moved.id, current.status, moved.status, actor, moved.status_reason, at)
        self._audit.append(entry)
        return moved

    def _movable(self, submission_id: str, allowed_from: Collection[Status]) -> Submission | None:
        current = self._submissions.get(submission_id)
        return current if current is not None and current.status in allowed_from else None

    def _queue(self, message: OutboxMessage) -> None:
        self._outbox[message.id] = _OutboxRow(message, self._clock())

    def _check_photo(self, photo: CustomerPhoto) -> None:
        self._refuse_if(photo.submission_id in self._photos, f"{photo.submission_id} published")
        self._refuse_unknown({photo.submission_id})

    def _check_email(self, email: EmailRecord) -> None:
        self._refuse_if(email.id in self._emails, f"email {email.id} exists")
        owed = ((e.submission_id, e.kind) for e in self._emails.values())
        duplicate = (email.submission_id, email.kind) in set(owed)
        self._refuse_if(duplicate, f"a {email.kind} email is owed for {email.submission_id}")
        self._refuse_unknown({email.submission_id})

    def _check_outbox(self, message: OutboxMessage, also_known: Iterable[str] = ()) -> None:
        self._refuse_if(message.id in self._outbox, f"outbox message {message.id} exists")
        if message.submission_id is not None:
            self._refuse_unknown({message.submission_id} - set(also_known))

    def _refuse_unknown(self, submission_ids: set[str]) -> None:
        for submission_id in submission_ids:
            self._refuse_if(submission_id not in self._submissions, f"no {submission_id}")

    @staticmethod
    def _refuse_if(broken: bool, rule: str) -> None:
        if broken:
            raise CatalogConflict(f"the catalog refused the write: {rule}")


def _last_change(submission: Submission) -> datetime:
    return submission.updated_at or submission.created_at
