"""What identifies an image: its bytes' hash, a perceptual hash, and the images it resembles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from photogate.domain.catalog import CustomerPhoto


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


@dataclass(frozen=True)
class KnownImage:
    """An image already on the shop: a product's marketing photo or a published customer photo."""

    kind: ImageKind
    sku: str
    url: str  # where staff can look at it
    phash: str
    submission_id: str | None = None  # set for customer photos

    def describe(self) -> str:
        """A few words naming the image, for review reasons and the audit trail."""
        if self.kind is ImageKind.MARKETING:
            return f"the marketing photo {self.url} of {self.sku}"
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
