"""Near-copies in a moderator's words: which photo of which product, linked where staff can look."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from photogate.domain.catalog import Product
from photogate.domain.fingerprint import ImageKind, ImageMatch, KnownImage

THIS_PRODUCT = "this product"


@dataclass(frozen=True)
class NearCopy:
    """A known image a photo nearly copies, as the console tells it.

    `subject` and `product` make "looks like <subject> of <product>"; `href` is the console
    page of a matched submission. `url` shows the image: a pending one has no URL of its own,
    so it is shown through the console's preview (staff only). The hash distance stays for a
    title, not for the sentence.
    """

    kind: ImageKind
    url: str
    distance: int
    subject: str
    product: str
    href: str | None = None


def near_copies(
    matches: Iterable[ImageMatch], sku: str, products: Mapping[str, Product]
) -> tuple[NearCopy, ...]:
    """The matches of a photo of `sku`, each told against the product it was sent for."""
    return tuple(near_copy(match, sku, products) for match in matches)


def near_copy(match: ImageMatch, sku: str, products: Mapping[str, Product]) -> NearCopy:
    """One match: "marketing photo 2" or "submission X", of this product or another by name."""
    image = match.image
    product = products.get(image.sku)
    where = THIS_PRODUCT if image.sku == sku else product.name if product else image.sku
    href = f"/console/submissions/{image.submission_id}" if image.submission_id else None
    url = f"{href}/preview" if href and image.kind is ImageKind.PENDING else image.url
    return NearCopy(image.kind, url, match.distance, _subject(image, product), where, href)


def _subject(image: KnownImage, product: Product | None) -> str:
    if image.kind is ImageKind.PENDING:
        return f"submission {image.submission_id}, not yet published,"
    if image.kind is ImageKind.CUSTOMER:
        return f"submission {image.submission_id}" if image.submission_id else "a customer photo"
    # Numbered as the product page shows them; a photo the product no longer lists has none.
    photos = product.marketing_photos if product else ()
    if image.url not in photos:
        return "a marketing photo"
    return f"marketing photo {photos.index(image.url) + 1}"
