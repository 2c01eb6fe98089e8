"""What identifies an image: its bytes' hash, a perceptual hash, and the images it resembles."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import StrEnum

from photogate.domain.catalog import CustomerPhoto
from photogate.domain.submission import Status

# Submissions on their way whose pictures another may copy: being scanned or in review. Each
# scan records "scanning" before screening reads, so of two copies scanned at once the second
# to be screened always sees the first (both may go to review; neither is published unseen).
# One still received or queued is left out: screened later, it finds the other published or on
# its way. That keeps the set small (the scanner's concurrency and the review queue) however
# long the queue's backlog grows.
ON_THEIR_WAY: frozenset[Status] = frozenset({Status.SCANNING, Status.NEEDS_REVIEW})


@dataclass(frozen=True)
class Fingerprint:
    """A file's SHA-256 (the same bytes) and its 64-bit perceptual hash (the same picture)."""

    sha256: str
    phash: str  # 16 hex digits


def hamming(left: str, right: str) -> int:
    """How many of the 64 bits two perceptual hashes differ in (0: the same picture)."""
    return (int(left, 16) ^ int(right, 16)).bit_count()


def within(max_distance: int, phashes: Collection[str]) -> Callable[[str], bool]:
    """A test of whether a perceptual hash is within `max_distance` bits of any of `phashes`."""
    targets = [int(phash, 16) for phash in phashes]

    def near(phash: str) -> bool:
        value = int(phash, 16)
        # A plain loop, twice as fast as any() over a generator: this runs per known image.
        for target in targets:  # noqa: SIM110
            if (value ^ target).bit_count() <= max_distance:
                return True
        return False

    return near


class ImageKind(StrEnum):
    """Where an image a submission may copy comes from."""

    MARKETING = "marketing"
    CUSTOMER = "customer"
    # Another submission still on its way (ON_THEIR_WAY): two copies scanned at once would
    # otherwise both find nothing published and both be published.
    PENDING = "pending"


@dataclass(frozen=True)
class KnownImage:
    """An image a submission may copy: a product's marketing photo, a published customer photo,
    or the photo of another submission not yet published (pending).
    """

    kind: ImageKind
    sku: str
    # Where staff can look at it; "" for a pending one, which has no URL until published
    # (the console shows its preview, never a public link).
    url: str
    phash: str
    submission_id: str | None = None  # set for customer and pending photos

    def describe(self) -> str:
        """A few words naming the image, for review reasons and the audit trail."""
        if self.kind is ImageKind.MARKETING:
            return f"the marketing photo {self.url} of {self.sku}"
        if self.kind is ImageKind.PENDING:
            return (
                f"the customer photo of submission {self.submission_id} ({self.sku}), "
                "not yet published"
            )
        return f"the published customer photo of submission {self.submission_id} ({self.sku})"


@dataclass(frozen=True)
class ImageMatch:
    """A known image that a submission's picture is a near-copy of."""

    image: KnownImage
    distance: int


def published_image(photo: CustomerPhoto, phash: str) -> KnownImage:
    """A published customer photo as a known image, seen through its mid-sized JPEG."""
    shown = photo.best("jpeg", 800) or photo.best("jpeg", photo.width)
    url = shown.url if shown else ""
    return KnownImage(ImageKind.CUSTOMER, photo.sku, url, phash, photo.submission_id)


def pending_image(submission_id: str, sku: str, phash: str) -> KnownImage:
    """A submission still on its way as a known image; it has no URL yet."""
    return KnownImage(ImageKind.PENDING, sku, "", phash, submission_id)


def listing_order(image: KnownImage) -> tuple[str, str, str, str]:
    """How catalogs list known images: by kind, SKU and URL (pending ones, all without a URL,
    by submission id).
    """
    return (image.kind, image.sku, image.url, image.submission_id or "")
