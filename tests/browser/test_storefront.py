"""A customer in Chromium uploads a photo on a product page, sees it pass and find it published."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from photogate.bootstrap import bootstrap
from photogate.demo.artwork import product_image
from photogate.demo.catalog import DEMO_PRODUCTS
from photogate.domain.catalog import Product
from photogate.ports import Container
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.settings import ScannerSettings, Settings
from photogate.testing import samples
from tests.support.chromium import watched_tab
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = [pytest.mark.browser, pytest.mark.integration]

DEMO = DEMO_PRODUCTS[0]
PIPELINE_TIMEOUT_MS = 30_000
# Records every value the upload progress bar takes while it is shown, through a Python callback
# that outlives the navigation to the status page. Playwright injects it past the page's CSP.
WATCH_PROGRESS = """
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("upload-progress");
  const box = document.getElementById("upload-status");
  if (!bar || !box) { return; }
  new MutationObserver(() => { if (!box.hidden) { window.reportProgress(bar.value); } })
    .observe(bar, { attributes: true, attributeFilter: ["value"] });
});
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """The whole pipeline in-process: reference scanner, web app and worker, one demo product."""
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.05)) as scanner:
        settings = Settings(
            _env_file=None,
            data_dir=tmp_path_factory.mktemp("storefront"),
            scanner=ScannerSettings(url=scanner.url),
        )
        prepare(settings, [])
        asyncio.run(_seed_demo_product(settings))
        with BackgroundWebStack(settings, worker=True) as web:
            yield web


async def _seed_demo_product(settings: Settings) -> None:
    """The first demo product with its generated marketing photos (the CLI seeds all twelve)."""
    services = await bootstrap(settings)
    try:
        urls = []
        for variant in (0, 1):
            data = await asyncio.to_thread(product_image, DEMO.sku, DEMO.name, DEMO.hue, variant)
            name = f"catalog/{DEMO.sku.lower()}/{variant + 1}.jpg"
            await services.ports.blobs.put(Container.PUBLIC, name, data, "image/jpeg")
            urls.append(services.ports.blobs.public_url(name))
        product = Product(DEMO.sku, DEMO.name, DEMO.description, DEMO.price_cents, tuple(urls))
        await services.ports.catalog.upsert_products([product])
    finally:
        await services.aclose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab; fails the test on any script error or CSP violation."""
    with watched_tab(browser, viewport={"width": 1280, "height": 900}) as (tab, _):
        yield tab


def _fill_form(page: Page, photo: Path, *, consent: bool) -> None:
    page.set_input_files("#file", str(photo))
    expect(page.locator("#preview")).to_be_visible()
    page.fill("#email", "robin@example.com")
    page.fill("#display_name", "Robin")
    page.fill("#caption", "Pitched by the lake at dawn.")
    expect(page.locator("#caption-count")).to_contain_text("28 /")
    if consent:
        page.check("#consent")


def test_customer_uploads_a_photo_and_sees_it_published(
    shop: BackgroundWebStack, page: Page, tmp_path: Path
) -> None:
    """Upload with progress, follow the status page to "approved", find the photo in the gallery."""
    progress: list[float] = []

    def report_progress(value: float) -> None:
        progress.append(value)

    page.expose_function("reportProgress", report_progress)
    page.add_init_script(WATCH_PROGRESS)
    photo = tmp_path / "lake.jpg"
    photo.write_bytes(samples.clean_jpeg())
    product_url = f"{shop.url}/products/{DEMO.sku}"
    page.goto(product_url)
    _fill_form(page, photo, consent=True)
    page.click("#upload-submit")

    page.wait_for_url(f"{shop.url}/submissions/*")
    assert progress, "the progress bar was never shown"
    assert progress[-1] == 100
    status = page.locator("#status")
    expect(status).to_have_attribute("data-status", "approved", timeout=PIPELINE_TIMEOUT_MS)
    expect(page.locator("#status-text")).to_contain_text("live")
    expect(page.locator(".status-photo img")).to_be_visible()

    page.click("#product-link")
    page.wait_for_url(product_url)
    item = page.locator(".gallery-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Robin")
    expect(item).to_contain_text("Pitched by the lake at dawn.")
    image = item.locator("img")
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    assert image.evaluate("img => img.currentSrc").endswith(".webp")
    screenshot = tmp_path / "product-page.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"\nproduct page screenshot: {screenshot}")


def test_submitting_without_consent_shows_the_error_by_the_form(
    shop: BackgroundWebStack, page: Page, tmp_path: Path
) -> None:
    """Without the consent box ticked, the refusal is shown next to the form in plain words."""
    photo = tmp_path / "lake.jpg"
    photo.write_bytes(samples.clean_jpeg(seed=3))
    page.goto(f"{shop.url}/products/{DEMO.sku}")
    _fill_form(page, photo, consent=False)
    page.click("#upload-submit")

    error = page.locator("#form-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(
        "Please tick the box to accept the photo licence, so we may show your photo."
    )
    expect(page.locator("#consent")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#upload-submit")).to_be_enabled()
    assert page.url == f"{shop.url}/products/{DEMO.sku}"
