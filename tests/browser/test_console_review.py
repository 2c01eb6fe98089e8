"""A moderator in Chromium works through a long queue: approves a photo without its caption,
sees small photos at their real size beside the product, and keeps their page.
"""

# The console suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from photogate.bootstrap import bootstrap
from photogate.demo.artwork import product_image
from photogate.domain.catalog import Product
from photogate.domain.submission import Submission
from photogate.entrypoints.web.console.review import PAGE
from photogate.ports import Container
from photogate.settings import Settings
from tests.browser.test_console import page, sign_in  # noqa: F401
from tests.support.console import in_review, staff_users
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SKU = "TT-LAMP-LED"
NAME = "Lumen Lantern"
BLOB = "catalog/tt-lamp-led/1.jpg"
MARKETING_URL = f"/media/{BLOB}"
PII_CAPTION = "Call me on +44 20 7946 0958 or kim@example.com"
# One more page than fits, and a spare for the photo approved without its caption.
QUEUED = PAGE + 3


async def _seed(settings: Settings) -> dict[str, Submission]:
    """The marketing photo on the shop, and QUEUED photos in review; the notable ones by role."""
    services = await bootstrap(settings)
    try:
        ports = services.ports
        image = product_image(SKU, NAME, 25, 0)
        await ports.blobs.put(Container.PUBLIC, BLOB, image, "image/jpeg")
        seeded = {
            "pii": await in_review(ports, SKU, display_name="Pia Private", caption=PII_CAPTION),
            "small": await in_review(ports, SKU, display_name="Sam Small", size=(150, 120)),
            "arabic": await in_review(ports, SKU, display_name="سارة!", caption="رائع جدا!"),
            "slip": await in_review(ports, SKU, display_name="Una Undone"),
        }
        for n in range(QUEUED - len(seeded)):
            await in_review(ports, SKU, display_name=f"Filler {n}")
        return seeded
    finally:
        await services.aclose()


@pytest.fixture(scope="module")
def queue(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[BackgroundWebStack, dict[str, Submission]]]:
    """The web app over a queue of more than one page, with a product that has a marketing photo."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("review"),
        console={"users": staff_users()},
    )
    prepare(settings, [Product(SKU, NAME, "Bright.", 4900, (MARKETING_URL,))])
    seeded = asyncio.run(_seed(settings))
    with BackgroundWebStack(settings) as web:
        yield web, seeded


def item_of(page: Page, submission: Submission) -> Locator:
    return page.locator(f'[data-submission="{submission.id}"]')


def test_approving_without_the_caption_publishes_the_photo_with_none(
    queue: tuple[BackgroundWebStack, dict[str, Submission]], page: Page
) -> None:
    """The moderator publishes a photo whose caption has a phone number without that caption:
    the gallery and the API show no caption, and the audit says it was removed.
    """
    shop, seeded = queue
    pii = seeded["pii"]
    sign_in(page, shop)
    item_of(page, pii).get_by_role("button", name="Approve without the caption").click()
    expect(page.locator("#notice")).to_contain_text("Approved")
    expect(item_of(page, pii)).to_have_count(0)
    page.goto(f"{shop.url}/products/{SKU}")
    shown = page.locator(".gallery-item", has_text="Pia Private")
    expect(shown).to_have_count(1)
    expect(shown.locator(".caption")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("7946")
    api = httpx.get(f"{shop.url}/api/products/{SKU}/photos").json()
    assert [p["caption"] for p in api["items"] if p["display_name"] == "Pia Private"] == [""]
    page.goto(f"{shop.url}/console/submissions/{pii.id}")
    last = page.locator("table.audit tbody tr").last
    expect(last).to_contain_text("approved in review; caption removed")
    expect(page.locator(".caption")).to_have_text("(none)")


def test_a_small_photo_shows_at_its_size_with_a_staff_only_full_size_view(
    queue: tuple[BackgroundWebStack, dict[str, Submission]], page: Page
) -> None:
    """A 150 x 120 photo is drawn 150 px wide (not stretched), its size is written under it, and
    its full-size view opens for staff while an anonymous visitor is refused.
    """
    shop, seeded = queue
    sign_in(page, shop)
    item = item_of(page, seeded["small"])
    photo = item.locator(".review-photo img")
    expect(photo).to_have_js_property("complete", True)
    assert photo.evaluate("img => img.getBoundingClientRect().width") == 150
    expect(item.locator(".dimensions")).to_have_text("150 × 120 px")
    link = item.get_by_role("link", name="Full size")
    href = link.get_attribute("href")
    assert href == f"/console/submissions/{seeded['small'].id}/preview?full=1"
    with page.context.expect_page() as opened:
        link.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.evaluate("document.images[0].naturalWidth") == 150
    full.close()
    assert httpx.get(f"{shop.url}{href}").status_code == 401


def test_each_item_shows_the_product_and_is_told_apart_by_its_heading(
    queue: tuple[BackgroundWebStack, dict[str, Submission]], page: Page
) -> None:
    """An item names the product and the customer in its own heading, links the product page,
    shows the marketing photo, describes its buttons by that heading and isolates Arabic text.
    """
    shop, seeded = queue
    sign_in(page, shop)
    item = item_of(page, seeded["arabic"])
    heading = item.get_by_role("heading", level=2)
    expect(heading).to_have_text(f"{NAME}, photo by سارة!")
    expect(heading.locator("bdi")).to_have_text("سارة!")
    expect(item.get_by_role("link", name=re.compile("^Product page"))).to_have_attribute(
        "href", f"/products/{SKU}"
    )
    thumb = item.get_by_role("img", name=f"Marketing photo 1 of {NAME}")
    expect(thumb).to_have_js_property("complete", True)
    assert thumb.evaluate("img => img.naturalWidth") > 0
    for name in ("Approve and publish", "Approve without the caption", "Reject"):
        button = item.get_by_role("button", name=name, exact=True)
        expect(button).to_have_accessible_description(f"{NAME}, photo by سارة!")
    expect(item.locator(".caption")).to_have_attribute("dir", "auto")
    assert page.get_by_role("heading", level=2).count() == PAGE


def test_deciding_on_page_two_returns_to_page_two_and_past_the_end_shows_the_last(
    queue: tuple[BackgroundWebStack, dict[str, Submission]], page: Page
) -> None:
    """A rejection on the second page comes back to the second page (with a way to the first);
    an offset past the end shows the last page rather than "nothing waiting" under a count.
    """
    shop, _ = queue
    sign_in(page, shop)
    page.get_by_role("link", name="Next page").click()
    second = f"{shop.url}/console/review?offset={PAGE}"
    page.wait_for_url(second)
    item = page.locator(".review-item").first
    item.get_by_label("Reason").select_option("spam")
    item.get_by_role("button", name="Reject").click()
    page.wait_for_url(re.compile(re.escape(second) + r"&undo=[0-9a-f]{32}&notice=rejected$"))
    expect(page.locator("#notice")).to_contain_text("Rejected")
    expect(page.get_by_role("link", name="Previous page")).to_have_attribute(
        "href", "/console/review?offset=0"
    )
    page.goto(f"{shop.url}/console/review?offset={PAGE * 5}")
    expect(page.locator(".review-item")).not_to_have_count(0)
    expect(page.locator(".empty")).to_have_count(0)
    expect(page.get_by_role("link", name="Previous page")).to_be_visible()


def test_a_rejection_is_undone_from_its_notice(
    queue: tuple[BackgroundWebStack, dict[str, Submission]], page: Page
) -> None:
    """The moderator rejects a photo by mistake and presses Undo under the notice: the photo's
    page says the rejection was undone, and its audit trail ends with that.
    """
    shop, seeded = queue
    slip = seeded["slip"]
    sign_in(page, shop)
    item = item_of(page, slip)
    item.get_by_label("Reason").select_option("low_quality")
    item.get_by_role("button", name="Reject").click()
    expect(page.locator("#notice")).to_contain_text("Rejected")
    expect(item_of(page, slip)).to_have_count(0)
    page.get_by_role("button", name="Undo the rejection").click()
    page.wait_for_url(f"{shop.url}/console/submissions/{slip.id}?notice=undone")
    expect(page.locator("#notice")).to_contain_text("Rejection undone")
    expect(page.locator("table.audit tbody tr").last).to_contain_text("rejection undone")
    # In review again: its page offers the decisions once more.
    expect(page.get_by_role("button", name="Reject")).to_be_visible()
