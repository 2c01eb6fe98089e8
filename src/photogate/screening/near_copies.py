"""Near-copies: a submission's picture against marketing, published and earlier pending photos."""

from __future__ import annotations

from collections.abc import Iterable

from photogate.domain.fingerprint import ImageMatch, KnownImage, hamming, listing_order


def near_copies(
    phash: str, known: Iterable[KnownImage], *, max_distance: int, exclude: str | None = None
) -> tuple[ImageMatch, ...]:
    """The known images within `max_distance` bits of `phash`, closest first.

    `exclude` is the submission's own id, so a published photo never matches itself.
    A linear pass: 64-bit XORs are cheap enough for a shop's tens of thousands of photos.
    """
    matches = [
        ImageMatch(image, distance)
        for image in known
        if image.submission_id is None or image.submission_id != exclude
        if (distance := hamming(phash, image.phash)) <= max_distance
    ]
    return tuple(sorted(matches, key=lambda m: (m.distance, *listing_order(m.image))))
