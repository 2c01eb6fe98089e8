"""What identifies an image: its bytes' hash, a perceptual hash, and the images it resembles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from photogate.domain.catalog import CustomerPhoto
from photogate.domain.submission import Status, Submission

# Submissions on their way whose pictures a later one may copy: being scanned or in review.
# One still received or queued is left out: screened later, it finds this one published or
# on its way, so of two copies one is still never published unseen. That keeps the set small
# (the scanner's concurrency and the review queue) however long the queue's backlog grows.
ON_THEIR_WAY: frozenset[Status] = frozenset({Status.SCANNING, Status.NEEDS_REVIEW})


@dataclass(frozen=True)
class Fingerprint:
    """A file's SHA-256 (the same bytes) and its 64-bit perceptual hash (the same picture)."""

    sha256: str
    phash: str  # 16 hex digits


def hamming(left: str, right: str) -> int:
    """How many of the 64 bits two perceptual hashes differ in (0: the same picture)."""
    return (int(left, 16) ^ int(right, 16)).bit_count()


class ImageKind(StrEnum):
    """Where an image a submission may copy comes from."""

    MARKETING = "marketing"
    CUSTOMER = "customer"
    # An earlier submission still on its way (ON_THEIR_WAY): two copies scanned at once
    # would otherwise both find nothing published and both be published.
    PENDING = "pending"


@dataclass(frozen=True)
class KnownImage:
    """An image a submission may copy: a product's marketing photo, a published customer photo,
    or the photo of an earlier submission not yet published (pending).
    """

    kind: ImageKind
    sku: str
    # Where staff can look at it; "" for a pending one, which has no URL until published
    # (the console shows its preview, never a public link).
    url: str
    phash: str
    submission_id: str | None = None  # set for customer and pending photos
    received_at: datetime | None = None  # set for pending photos: their submission's created_at

    def describe(self) -> str:
        """A few words naming the image, for review reasons and the audit trail."""
        if self.kind is ImageKind.MARKETING:
            return f"the marketing photo {self.url} of {self.sku}"
        if self.kind is ImageKind.PENDING:
            return (
                f"the customer photo of submission {self.submission_id} ({self.sku}), "
                "sent earlier and not yet published"
            )
        return f"the published customer photo of submission {self.submission_id} ({self.sku})"

    def predates(self, submission: Submission) -> bool:
        """Whether this image was there before `submission`, which may then be a copy of it.

        A pending photo only if received first (ties by id): of two copies sent at once exactly
        the later one is the copy. No image predates its own submission.
        """
        if self.kind is not ImageKind.PENDING or self.received_at is None:
            return self.submission_id != submission.id
        return received_before(self.received_at, self.submission_id or "", submission)


@dataclass(frozen=True)
class ImageMatch:
    """A known image that a submission's picture is a near-copy of."""

    image: KnownImage
    distance: int


def received_before(created_at: datetime, submission_id: str, later: Submission) -> bool:
    """Whether the submission (`created_at`, `submission_id`) was received before `later`: the
    older first, the smaller id of two received at the same instant.
    """
    return (created_at, submission_id) < (later.created_at, later.id)


def published_image(photo: CustomerPhoto, phash: str) -> KnownImage:
    """A published customer photo as a known image, seen through its mid-sized JPEG."""
    shown = photo.best("jpeg", 800) or photo.best("jpeg", photo.width)
    url = shown.url if shown else ""
    return KnownImage(ImageKind.CUSTOMER, photo.sku, url, phash, photo.submission_id)


def pending_image(submission_id: str, sku: str, phash: str, received_at: datetime) -> KnownImage:
    """An earlier submission still on its way as a known image; it has no URL yet."""
    return KnownImage(ImageKind.PENDING, sku, "", phash, submission_id, received_at)


def listing_order(image: KnownImage) -> tuple[str, str, str, str]:
    """How catalogs list known images: by kind, SKU and URL (pending ones, all without a URL,
    by submission id).
    """
    return (image.kind, image.sku, image.url, image.submission_id or "")
