"""Near-copies in words: which marketing photo of which product, or which submission, linked."""

from __future__ import annotations

from types import SimpleNamespace

from photogate.domain.catalog import Product
from photogate.domain.fingerprint import ImageKind, ImageMatch, KnownImage
from photogate.entrypoints.web.console.near_copies import NearCopy, near_copies, near_copy
from photogate.entrypoints.web.templating import templates

MUG = Product("MUG-1", "Camp Mug", "A mug.", 1299, ("/media/mug/front.jpg", "/media/mug/side.jpg"))
TENT = Product("TENT-2", "Ridge Tent", "A tent.", 34900, ("/media/tent/front.jpg",))
PRODUCTS = {p.sku: p for p in (MUG, TENT)}


def marketing(sku: str, url: str, distance: int = 3) -> ImageMatch:
    return ImageMatch(KnownImage(ImageKind.MARKETING, sku, url, "0" * 16), distance)


def test_a_marketing_photo_of_the_same_product_is_numbered_as_on_its_page() -> None:
    """The second marketing photo of the product the photo was sent for is "marketing photo 2"
    of "this product", with no link (it is on the product page) and the distance kept aside.
    """
    told = near_copy(marketing("MUG-1", "/media/mug/side.jpg"), "MUG-1", PRODUCTS)
    assert told == NearCopy(
        ImageKind.MARKETING, "/media/mug/side.jpg", 3, "marketing photo 2", "this product"
    )


def test_a_marketing_photo_of_another_product_is_named_by_that_product() -> None:
    """A copy of another product's photo names that product, not a SKU or a path."""
    told = near_copy(marketing("TENT-2", "/media/tent/front.jpg"), "MUG-1", PRODUCTS)
    assert (told.subject, told.product) == ("marketing photo 1", "Ridge Tent")


def test_a_photo_the_product_no_longer_lists_or_an_unknown_product_is_still_told() -> None:
    """A marketing photo dropped from the product has no number; an unknown SKU shows as is."""
    dropped = near_copy(marketing("MUG-1", "/media/mug/old.jpg"), "MUG-1", PRODUCTS)
    unknown = near_copy(marketing("GONE-9", "/media/gone.jpg"), "MUG-1", PRODUCTS)
    assert (dropped.subject, dropped.product) == ("a marketing photo", "this product")
    assert (unknown.subject, unknown.product) == ("a marketing photo", "GONE-9")


def test_a_published_customer_photo_links_the_matched_submissions_console_page() -> None:
    """A copy of a published customer photo says "submission X" and links its console page."""
    image = KnownImage(ImageKind.CUSTOMER, "MUG-1", "/media/ab/800.jpg", "0" * 16, "sub-7")
    (told,) = near_copies([ImageMatch(image, 5)], "MUG-1", PRODUCTS)
    assert (told.subject, told.product, told.href) == (
        "submission sub-7",
        "this product",
        "/console/submissions/sub-7",
    )
    assert told.distance == 5


def test_an_unpublished_submission_is_shown_by_its_console_preview_and_linked() -> None:
    """A copy of a submission still on its way (no public URL) names it as not yet published,
    shows the console's staff-only preview of it and links its console page.
    """
    image = KnownImage(ImageKind.PENDING, "TENT-2", "", "0" * 16, "sub-3")
    told = near_copy(ImageMatch(image, 2), "MUG-1", PRODUCTS)
    assert told == NearCopy(
        ImageKind.PENDING,
        "/console/submissions/sub-3/preview",
        2,
        "submission sub-3, not yet published,",
        "Ridge Tent",
        "/console/submissions/sub-3",
    )
    html = render_near_copies(told)
    assert '<img src="/console/submissions/sub-3/preview"' in html
    assert "Customer photo, not yet published, of Ridge Tent" in html
    assert (
        'Looks like <a href="/console/submissions/sub-3">submission sub-3, not yet published,</a>'
        in html
    )


def render_near_copies(*matches: NearCopy) -> str:
    """The console's near-copy pairs of a photo in review (submission "sub-9") with `matches`."""
    page = templates().env.from_string(
        '{% from "console/_macros.html" import near_copies %}{{ near_copies(s, view) }}'
    )
    return page.render(s=SimpleNamespace(id="sub-9"), view=SimpleNamespace(matches=matches))
