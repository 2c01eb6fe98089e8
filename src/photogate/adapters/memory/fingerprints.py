"""InMemoryCatalog's fingerprint methods, with the SQL catalog's rules."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

from photogate.domain.catalog import CustomerPhoto, Product
from photogate.domain.fingerprint import (
    ON_THEIR_WAY,
    Fingerprint,
    ImageKind,
    KnownImage,
    listing_order,
    pending_image,
    published_image,
    within,
)
from photogate.domain.submission import Status, Submission


class _Stored(Protocol):
    """What these methods need of the InMemoryCatalog they are mixed into."""

    _products: dict[str, Product]
    _submissions: dict[str, Submission]
    _photos: dict[str, CustomerPhoto]
    _fingerprints: dict[str, Fingerprint]
    _marketing: dict[str, dict[str, str]]

    def _refuse_if(self, broken: bool, rule: str) -> None: ...


class InMemoryFingerprints:
    """Mixed into InMemoryCatalog; fingerprints go when their submission or product goes."""

    async def get_fingerprint(self: _Stored, submission_id: str) -> Fingerprint | None:
        """The fingerprint recorded with the submission, or None."""
        return self._fingerprints.get(submission_id)

    async def record_marketing_fingerprints(
        self: _Stored, sku: str, phashes: Mapping[str, str]
    ) -> None:
        """Replace the perceptual hashes (by URL) of a product's marketing photos."""
        self._refuse_if(sku not in self._products, f"no product {sku}")
        self._marketing[sku] = dict(phashes)

    async def images_near(
        self: _Stored, phashes: Collection[str], *, max_distance: int, with_pending: bool = False
    ) -> list[KnownImage]:
        """Fingerprinted marketing photos, published customer photos and (`with_pending`)
        submissions on their way within `max_distance` bits of one of `phashes`, in
        listing_order.
        """
        found = _marketing(self._marketing)
        found += [
            published_image(photo, self._fingerprints[sid].phash)
            for sid, photo in self._photos.items()
            if sid in self._fingerprints
        ]
        if with_pending:
            found += _pending(self._submissions, self._fingerprints)
        near = within(max_distance, phashes)
        return sorted((image for image in found if near(image.phash)), key=listing_order)

    async def marketing_images(self: _Stored) -> list[KnownImage]:
        """Every fingerprinted marketing photo, in listing_order."""
        return sorted(_marketing(self._marketing), key=listing_order)


def _marketing(marketing: Mapping[str, Mapping[str, str]]) -> list[KnownImage]:
    return [
        KnownImage(ImageKind.MARKETING, sku, url, phash)
        for sku, phashes in marketing.items()
        for url, phash in phashes.items()
    ]


def _pending(
    submissions: Mapping[str, Submission], fingerprints: Mapping[str, Fingerprint]
) -> list[KnownImage]:
    """Fingerprinted submissions on their way, as pending images."""
    return [
        pending_image(s.id, s.sku, fingerprints[s.id].phash)
        for s in submissions.values()
        if s.status in ON_THEIR_WAY and s.id in fingerprints
    ]


def same_file(
    submissions: Mapping[str, Submission],
    fingerprints: Mapping[str, Fingerprint],
    sku: str,
    sha256: str,
    among: Collection[Status],
    *,
    excluding: str = "",
) -> Submission | None:
    """The oldest submission of `sku` in one of the `among` states with these bytes (other
    than `excluding`), without a wait: the catalog's writes check and record in one step.
    """
    same = [
        submissions[sid]
        for sid, fingerprint in fingerprints.items()
        if fingerprint.sha256 == sha256 and sid in submissions and sid != excluding
    ]
    found = [s for s in same if s.sku == sku and s.status in among]
    return min(found, key=lambda s: (s.created_at, s.id), default=None)
