"""The product page's form in Chromium with and without JavaScript, and a status page that
stops polling once the photo is settled (erased included).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.domain.catalog import Product
from photogate.settings import Settings
from photogate.testing import samples
from tests.support.chromium import watched_tab
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PRODUCT = Product("TT-LAMP-01", "Trail Lantern", "A folding lantern for the tent.", 3400)
TOO_SMALL = "The image is 60x40; both sides must be at least 64 px."


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """The web app without a worker, so a photo sent stays waiting until a test settles it."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("upload-form-pages"),
        uploads={"per_ip_per_hour": 0},
    )
    prepare(settings, [PRODUCT])
    with BackgroundWebStack(settings) as web:
        yield web


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A tab with JavaScript on; fails the test on any script error or CSP violation."""
    with watched_tab(browser) as (tab, _):
        yield tab


@pytest.fixture
def plain_page(browser: Browser) -> Iterator[Page]:
    """A tab with JavaScript off, as some customers browse."""
    with watched_tab(browser, java_script_enabled=False) as (tab, _):
        yield tab


def _fill_form(page: Page, photo: Path) -> None:
    page.set_input_files("#file", str(photo))
    page.fill("#email", "robin@example.com")
    page.fill("#display_name", "Robin")
    page.fill("#caption", "By the <tent> & fire")
    page.check("#consent")


def _photo(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    return path


def test_without_javascript_a_customer_uploads_and_lands_on_the_status_page(
    shop: BackgroundWebStack, plain_page: Page, tmp_path: Path
) -> None:
    """The plain form posts, and the browser follows the 303 to the photo's status page."""
    plain_page.goto(f"{shop.url}/products/{PRODUCT.sku}")
    _fill_form(plain_page, _photo(tmp_path, samples.clean_jpeg(400, 300, seed=71)))
    plain_page.click("#upload-submit")

    plain_page.wait_for_url(f"{shop.url}/submissions/*")
    expect(plain_page.locator("h1")).to_have_text("Your photo of Trail Lantern")
    expect(plain_page.locator("#status-text")).to_contain_text("in line")


def test_without_javascript_a_refusal_is_shown_by_the_form_with_the_fields_kept(
    shop: BackgroundWebStack, plain_page: Page, tmp_path: Path
) -> None:
    """A too-small photo brings the form back: the message focused, the file field marked."""
    plain_page.goto(f"{shop.url}/products/{PRODUCT.sku}")
    _fill_form(plain_page, _photo(tmp_path, samples.tiny_jpeg()))
    plain_page.click("#upload-submit")

    error = plain_page.locator("#form-error")
    expect(error).to_have_text(TOO_SMALL)
    expect(error).to_be_focused()
    expect(plain_page.locator("#file")).to_have_attribute("aria-invalid", "true")
    expect(plain_page.locator("#email")).to_have_value("robin@example.com")
    expect(plain_page.locator("#caption")).to_have_value("By the <tent> & fire")
    expect(plain_page.locator("#consent")).to_be_checked()


def test_with_javascript_a_too_small_photo_shows_the_servers_words(
    shop: BackgroundWebStack, page: Page, tmp_path: Path
) -> None:
    """upload.js shows the server's detail, which gives the minimum size, not a vaguer line."""
    page.goto(f"{shop.url}/products/{PRODUCT.sku}")
    expect(page.locator("#file-help")).to_contain_text("at least 64 px on each side")
    _fill_form(page, _photo(tmp_path, samples.tiny_jpeg()))
    page.click("#upload-submit")

    error = page.locator("#form-error")
    expect(error).to_have_text(TOO_SMALL)
    expect(error).to_be_focused()
    expect(page.locator("#file")).to_have_attribute("aria-invalid", "true")
    assert page.url == f"{shop.url}/products/{PRODUCT.sku}"


def test_an_open_status_page_settles_when_the_photo_is_erased(
    shop: BackgroundWebStack, page: Page, tmp_path: Path
) -> None:
    """Polling sees "erased" as final: the page reloads once, showing it, and stops polling."""
    page.goto(f"{shop.url}/products/{PRODUCT.sku}")
    _fill_form(page, _photo(tmp_path, samples.clean_jpeg(400, 300, seed=72)))
    page.click("#upload-submit")
    page.wait_for_url(f"{shop.url}/submissions/*")
    expect(page.locator("script[src='/static/status.js']")).to_have_count(1)

    with page.expect_response(lambda r: "/api/submissions/" in r.url):
        pass  # the script is polling
    _erase(shop.settings, page.url.rsplit("/", 1)[-1])

    expect(page.locator("#status")).to_have_attribute("data-status", "erased")
    expect(page.locator("script[src='/static/status.js']")).to_have_count(0)
    expect(page.locator("#status-text")).to_have_text(
        "Your photo and your details were erased, as you asked."
    )


def _erase(settings: Settings, submission_id: str) -> None:
    """Erase the submission as the privacy flow does, from a thread of its own: Playwright's
    sync API keeps an event loop running in this one.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        erased = pool.submit(asyncio.run, _erase_in_catalog(settings, submission_id)).result()
    assert erased


async def _erase_in_catalog(settings: Settings, submission_id: str) -> bool:
    catalog = await open_sql_catalog(settings.catalog_url())
    try:
        return await catalog.erase_submission(submission_id, actor="test", reason="asked")
    finally:
        await catalog.aclose()
