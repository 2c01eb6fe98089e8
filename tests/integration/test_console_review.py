"""The review queue over HTTP: approving without the caption, the photo's real size, the
product beside it, paging that keeps its place, and items a screen reader can tell apart.
"""

# The console suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import io
import re

import httpx
import pytest
from PIL import Image

from photogate.domain.catalog import Product
from photogate.domain.submission import Status
from photogate.entrypoints.web.console.review import PAGE
from photogate.moderation.review import APPROVED_WITHOUT_CAPTION
from photogate.moderation.takedown import take_down
from photogate.retention import RetentionPolicy, purge_originals
from tests.integration.test_console_security import (  # noqa: F401
    PRODUCT,
    SKU,
    Console,
    shop,
    signed_in,
)
from tests.support.console import csrf_of, in_review, published

pytestmark = pytest.mark.integration

PII_CAPTION = "Call me on +44 20 7946 0958 or kim@example.com"
MARKETING = ("/media/catalog/bottle/front.jpg", "/media/catalog/bottle/side.jpg")
_ITEM = re.compile(
    r'<li class="review-item[^"]*" data-submission="([^"]+)">(.*?)</li>\s*'
    r'(?=<li class="review-item|</ol>)',
    re.S,
)


def items(html: str) -> dict[str, str]:
    """Each review item's markup, by submission id, in page order."""
    return dict(_ITEM.findall(html))


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size


async def decide(
    client: httpx.AsyncClient, sid: str, verb: str, back: str, **fields: str
) -> httpx.Response:
    """Post a decision from the queue page `back`, with that page's CSRF token."""
    token = csrf_of((await client.get(back)).text)
    data = {"csrf_token": token, "back": back, **fields}
    return await client.post(f"/console/submissions/{sid}/{verb}", data=data)


async def test_approving_without_the_caption_publishes_the_photo_captionless(
    shop: Console,
) -> None:
    """The second approve button publishes the photo with no caption anywhere public, blanks
    the submission's, and the audit says the caption was removed.
    """
    sid = (await in_review(shop.services.ports, SKU, caption=PII_CAPTION)).id
    async with signed_in(shop, "sam", "198.51.100.20") as sam:
        page = (await sam.get("/console/review")).text
        assert 'name="drop_caption" value="yes"' in items(page)[sid]
        response = await decide(sam, sid, "approve", "/console/review", drop_caption="yes")
        assert response.headers["location"] == "/console/review?notice=approved"
        api = (await sam.get(f"/api/products/{SKU}/photos")).json()
        gallery = (await sam.get(f"/products/{SKU}")).text
    assert [item["caption"] for item in api["items"]] == [""]
    assert "7946" not in gallery
    catalog = shop.services.ports.catalog
    stored = await catalog.get_submission(sid)
    assert stored is not None and (stored.status, stored.caption) == (Status.APPROVED, "")
    last = (await catalog.audit_trail(sid))[-1]
    assert (last.actor, last.reason) == ("moderator:sam", "approved in review; caption removed")
    assert last.reason == APPROVED_WITHOUT_CAPTION


async def test_the_plain_approval_keeps_the_caption_and_a_captionless_photo_has_one_button(
    shop: Console,
) -> None:
    """ "Approve and publish" publishes the caption as sent; with no caption there is nothing to
    drop, so the second button is not offered.
    """
    ports = shop.services.ports
    kept = (await in_review(ports, SKU, caption="Kept us dry")).id
    bare = (await in_review(ports, SKU, caption="")).id
    async with signed_in(shop, "sam", "198.51.100.21") as sam:
        page = items((await sam.get("/console/review")).text)
        assert "drop_caption" not in page[bare]
        assert (await decide(sam, kept, "approve", "/console/review")).status_code == 303
        api = (await sam.get(f"/api/products/{SKU}/photos")).json()
    assert [item["caption"] for item in api["items"]] == ["Kept us dry"]
    assert (await ports.catalog.audit_trail(kept))[-1].reason == "approved in review"


async def test_review_items_show_the_pixel_size_and_a_staff_only_full_size_view(
    shop: Console,
) -> None:
    """A small photo is sized as it is (never stretched) with its pixels stated; the full-size
    view is larger than the preview for a big photo, never upscaled, private and for staff only.
    """
    ports = shop.services.ports
    small = (await in_review(ports, SKU, size=(150, 120))).id
    large = (await in_review(ports, SKU, size=(2400, 1800))).id
    async with signed_in(shop, "sam", "198.51.100.22") as sam:
        item = items((await sam.get("/console/review")).text)[small]
        full = await sam.get(f"/console/submissions/{small}/preview?full=1")
        big_full = await sam.get(f"/console/submissions/{large}/preview?full=1")
        big_preview = await sam.get(f"/console/submissions/{large}/preview")
    assert 'width="150" height="120"' in item
    assert "150 × 120 px" in item
    assert f'href="/console/submissions/{small}/preview?full=1"' in item
    assert full.headers["content-type"] == "image/jpeg"
    assert full.headers["cache-control"] == "private, no-store"
    assert image_size(full.content) == (150, 120)
    assert image_size(big_full.content) == (2400, 1800)
    assert image_size(big_preview.content) == (1200, 900)
    async with shop.client() as anonymous:
        refused = await anonymous.get(f"/console/submissions/{small}/preview?full=1")
    assert refused.status_code == 401
    assert "image" not in refused.headers["content-type"]


async def test_review_items_show_the_product_its_page_and_marketing_photos(shop: Console) -> None:
    """Each item names the product, links its public page and shows its marketing photos."""
    product = Product(SKU, PRODUCT.name, PRODUCT.description, PRODUCT.price_cents, MARKETING)
    await shop.services.ports.catalog.upsert_products([product])
    sid = (await in_review(shop.services.ports, SKU)).id
    async with signed_in(shop, "sam", "198.51.100.23") as sam:
        item = items((await sam.get("/console/review")).text)[sid]
    assert "Trail Bottle, photo by" in item
    assert f'href="/products/{SKU}"' in item
    for number, url in enumerate(MARKETING, start=1):
        assert f'src="{url}" alt="Marketing photo {number} of Trail Bottle"' in item


async def test_a_decision_on_page_two_returns_to_page_two(shop: Console) -> None:
    """Forms on a later page carry that page as their way back, and the redirect keeps it."""
    ports = shop.services.ports
    waiting = [await in_review(ports, SKU) for _ in range(PAGE + 2)]
    second = f"/console/review?offset={PAGE}"
    async with signed_in(shop, "sam", "198.51.100.24") as sam:
        page = (await sam.get(second)).text
        assert list(items(page)) == [s.id for s in waiting[PAGE:]]
        assert page.count(f'name="back" value="{second}"') == 2 * 2
        approved = await decide(sam, waiting[PAGE].id, "approve", second)
        rejected = await decide(sam, waiting[PAGE + 1].id, "reject", second, reason="spam")
    assert approved.headers["location"] == f"{second}&notice=approved"
    # A rejection's notice also offers to undo it (see test_console_undo).
    rejected_id = waiting[PAGE + 1].id
    assert rejected.headers["location"] == f"{second}&undo={rejected_id}&notice=rejected"


async def test_an_offset_past_the_end_shows_the_last_page_with_a_way_back(shop: Console) -> None:
    """Past the last item the queue shows its last page (not "nothing waiting" under a count),
    with a Previous link; an empty queue still says nothing is waiting.
    """
    async with signed_in(shop, "sam", "198.51.100.25") as sam:
        empty = (await sam.get("/console/review?offset=40")).text
        waiting = [await in_review(shop.services.ports, SKU) for _ in range(PAGE + 1)]
        past = (await sam.get("/console/review?offset=40")).text
        first = (await sam.get("/console/review")).text
    assert "Nothing is waiting for review" in empty
    assert list(items(past)) == [waiting[-1].id]
    assert "Nothing is waiting for review" not in past
    assert f"Showing {PAGE + 1}–{PAGE + 1} of {PAGE + 1}" in past
    assert 'rel="prev" href="/console/review?offset=0"' in past
    assert f'name="back" value="/console/review?offset={PAGE}"' in past
    assert 'rel="prev"' not in first
    assert f'rel="next" href="/console/review?offset={PAGE}"' in first


async def test_each_item_has_a_heading_its_buttons_point_to_and_isolates_customer_text(
    shop: Console,
) -> None:
    """Every item has its own heading (product and customer); each action button is described
    by it; names and captions are isolated so right-to-left text keeps its punctuation.
    """
    ports = shop.services.ports
    arabic = await in_review(ports, SKU, display_name="سارة!", caption="رائع جدا!")
    latin = await in_review(ports, SKU, display_name="Kim")
    async with signed_in(shop, "sam", "198.51.100.26") as sam:
        page = items((await sam.get("/console/review")).text)
    for s in (arabic, latin):
        item = page[s.id]
        heading = f"review-heading-{s.id}"
        assert f'<h2 id="{heading}" class="review-heading">Trail Bottle, photo by <bdi' in item
        assert f'<bdi class="by">{s.display_name}</bdi></h2>' in item
        buttons = re.findall(r"<button[^>]*>", item)
        assert len(buttons) == 3  # approve, approve without the caption, reject
        assert all(f'aria-describedby="{heading}"' in b for b in buttons)
    assert '<dd class="caption" dir="auto">رائع جدا!</dd>' in page[arabic.id]
    assert '<dd class="display-name" dir="auto">سارة!</dd>' in page[arabic.id]


async def test_a_photo_whose_original_is_gone_shows_what_is_left_not_a_broken_image(
    shop: Console,
) -> None:
    """Retention deleted the original: a published photo's page shows its largest rendition,
    a taken-down one says there is nothing to show; neither links to a preview that is gone.
    """
    ports = shop.services.ports
    live, gone = await published(ports, SKU), await published(ports, SKU)
    assert await take_down(gone.id, actor="moderator:ada", reason="privacy", ports=ports)
    await purge_originals(ports, RetentionPolicy(keep_published_originals=False))
    async with signed_in(shop, "ada", "198.51.100.90") as ada:
        shown = (await ada.get(f"/console/submissions/{live.id}")).text
        nothing = (await ada.get(f"/console/submissions/{gone.id}")).text
    photo = await ports.catalog.get_photo(live.id)
    assert photo is not None
    largest = sorted(photo.renditions, key=lambda rendition: rendition.width)[-1]
    assert f'<img src="{largest.url}"' in shown and "/preview" not in shown
    assert "there is nothing to show" in nothing and "/preview" not in nothing
