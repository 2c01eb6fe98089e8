"""A moderator in Chromium sees why screening held a photo: the copied image beside it, and the
flagged caption words highlighted, with no caption markup ever running.
"""

# The console suite's fixtures are imported by name, and tests take them as parameters of the
# same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from photogate.adapters.filesystem_blobs import FilesystemBlobStore
from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.demo.artwork import product_image
from photogate.domain.catalog import Product
from photogate.ports import Container
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.screening.marketing import record_marketing_photos
from photogate.settings import ScannerSettings, Settings
from tests.browser.test_console import eventually, page, sign_in  # noqa: F401
from tests.support.console import staff_users
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SKU = "TT-STOVE-1B"
BLOB = "catalog/tt-stove-1b/1.jpg"
MARKETING_URL = f"/media/{BLOB}"
CAPTION = "<script>alert('scam')</script>Total scam! Call +44 20 7946 0958"


def marketing_photo() -> bytes:
    return product_image(SKU, "Firefly One-Burner Stove", 25, 0)


def resized_copy(data: bytes) -> bytes:
    """The marketing photo at half size, saved again: a re-post, not the same file."""
    img = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    img.resize((img.width // 2, img.height // 2)).save(out, "JPEG", quality=75)
    return out.getvalue()


async def _publish_marketing(settings: Settings) -> None:
    """The product's marketing photo in the public container, fingerprinted as the seed does."""
    data = marketing_photo()
    blobs = FilesystemBlobStore(settings.blob_dir, public_base_url="/media")
    await blobs.put(Container.PUBLIC, BLOB, data, "image/jpeg")
    catalog = await open_sql_catalog(settings.catalog_url())
    try:
        await record_marketing_photos(catalog, SKU, {MARKETING_URL: data})
    finally:
        await catalog.aclose()


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """Scanner, web and worker; a product with a marketing photo; "scam" on the blocklist."""
    data_dir = tmp_path_factory.mktemp("screening")
    blocklist = data_dir / "blocklist.txt"
    blocklist.write_text("scam\n", encoding="utf-8")
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.02)) as scanner:
        settings = Settings(
            _env_file=None,
            data_dir=data_dir,
            scanner=ScannerSettings(url=scanner.url),
            console={"users": staff_users()},
            screening={"blocklist_path": blocklist},
        )
        product = Product(SKU, "Firefly One-Burner Stove", "Boils fast.", 5900, (MARKETING_URL,))
        prepare(settings, [product])
        asyncio.run(_publish_marketing(settings))
        with BackgroundWebStack(settings, worker=True) as web:
            yield web


@pytest.fixture(scope="module")
def repost(shop: BackgroundWebStack) -> str:
    """A customer uploads the re-post with a flagged caption; it ends in needs_review."""
    form = {"email": "pat@example.com", "display_name": "Pat", "caption": CAPTION, "consent": "1"}
    files = {"file": ("stove.jpg", resized_copy(marketing_photo()), "image/jpeg")}
    response = httpx.post(f"{shop.url}/api/products/{SKU}/photos", data=form, files=files)
    assert response.status_code == 202, response.text
    sid = str(response.json()["id"])

    def settled() -> str | None:
        status = httpx.get(f"{shop.url}/api/submissions/{sid}").json()["status"]
        return status if status not in {"received", "queued", "scanning"} else None

    assert eventually(settled, "the re-post to be screened") == "needs_review"
    return sid


def assert_loaded(page: Page, selector: str) -> None:
    image = page.locator(selector)
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0, f"{selector} shows an image"


def test_review_shows_the_copied_image_beside_the_photo_and_marks_caption_words(
    shop: BackgroundWebStack, page: Page, repost: str
) -> None:
    """The review item shows candidate and marketing photo side by side, and marks the hits."""
    sid = repost
    sign_in(page, shop)
    item = page.locator(f'[data-submission="{sid}"]')
    expect(item.locator(".why").first).to_contain_text("near-copy of the marketing photo")
    pair = item.locator('.near-copy[data-match="marketing"]')
    expect(pair.locator(".matched img")).to_have_attribute("src", MARKETING_URL)
    told = pair.locator("figcaption.why")
    expect(told).to_contain_text("Looks like marketing photo 1 of this product.")
    expect(told).not_to_contain_text(MARKETING_URL)
    expect(told.locator(".distance")).to_have_attribute("title", re.compile(r"^\d+ of the 64 bits"))
    expect(pair.locator(".candidate img")).to_have_attribute(
        "src", f"/console/submissions/{sid}/preview"
    )
    assert_loaded(page, f'[data-submission="{sid}"] .matched img')
    assert_loaded(page, f'[data-submission="{sid}"] .candidate img')
    marks = item.locator(".caption mark.flag")
    assert marks.all_inner_texts() == ["scam", "scam", "+44 20 7946 0958"]
    expect(marks.last).to_have_attribute("data-kind", "phone number")
    expect(item.locator(".caption")).to_have_text(CAPTION)
    assert page.evaluate("document.querySelectorAll('main script').length") == 0


def test_the_submission_page_shows_the_same_match_and_marks(
    shop: BackgroundWebStack, page: Page, repost: str
) -> None:
    """A submission's own page repeats the side-by-side match and the highlighted caption."""
    sid = repost
    sign_in(page, shop)
    page.goto(f"{shop.url}/console/submissions/{sid}")
    expect(page.locator(".near-copy .matched img")).to_have_attribute("src", MARKETING_URL)
    assert_loaded(page, ".near-copy .matched img")
    expect(page.locator(".caption mark.flag")).to_have_count(3)
    expect(page.locator(".caption")).to_have_text(CAPTION)
    last = page.locator("table.audit tbody tr").last
    expect(last).to_contain_text("screening")
    expect(last).to_contain_text("caption has blocked words: 'scam'")
    expect(last).not_to_contain_text("7946")
