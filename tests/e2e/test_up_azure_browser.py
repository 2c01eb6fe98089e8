"""`photogate up --backend azure` driven by Chromium: a browser upload goes straight to Azurite,
is published on the product page from the public container, and the customer is thanked by email.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.utils import getaddresses
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from photogate.testing import samples
from tests.support.chromium import launched_chromium, watched_tab
from tests.support.processes import wait_until
from tests.support.up_azure import Inbox, UpAzure, running_up

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]

CUSTOMER = "sam@example.com"
PIPELINE_TIMEOUT_MS = 60_000
# Lazy images load once scrolled to; a broken or refused one completes with no width.
LOADED = "img => img.complete && img.naturalWidth > 0"


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab; fails the test on a script error or a CSP or CORS refusal."""
    # CSP (connect-src for the PUT, img-src for the gallery) and Azurite's CORS rules.
    with watched_tab(browser, console_errors=("Content Security Policy", "CORS")) as (tab, _):
        yield tab


def test_a_browser_upload_through_up_on_azure_is_published_and_thanked_for(
    tmp_path: Path,
    database: str,
    storage: tuple[str, str],
    inbox: tuple[Inbox, int],
    page: Page,
) -> None:
    """The form PUTs to Azurite, the photo is approved, shown from Azurite, and emailed about."""
    received, smtp_port = inbox
    with running_up(tmp_path, database, storage, smtp_port, cors=True) as up:
        sku = _first_sku(up)
        puts = _send_photo(page, up.shop, sku, tmp_path / "photo.jpg")
        assert [request.url.split("?")[0].rsplit("/", 1)[-1] for request in puts] == ["upload"]
        assert puts[0].url.startswith("http://127.0.0.1:10000/")
        expect(page.locator("#status")).to_have_attribute(
            "data-status", "approved", timeout=PIPELINE_TIMEOUT_MS
        )
        _expect_published(page, f"{up.shop}/products/{sku}", up.public)
        [email] = wait_until(lambda: received.messages, 30, "the thank-you email")
        assert [address for _, address in getaddresses([email["To"]])] == [CUSTOMER]
        assert up.stop() == 0
    assert len(received.messages) == 1, "one upload, one email"


def _first_sku(up: UpAzure) -> str:
    return str(httpx.get(f"{up.shop}/api/products", timeout=10).json()[0]["sku"])


def _send_photo(page: Page, shop: str, sku: str, photo: Path) -> list[Request]:
    """Fill and submit the product page's form; returns the PUTs the page made."""
    puts: list[Request] = []
    page.on("request", lambda request: puts.append(request) if request.method == "PUT" else None)
    photo.write_bytes(samples.clean_jpeg(seed=43))
    page.goto(f"{shop}/products/{sku}")
    expect(page.locator("#upload-form")).to_have_attribute(
        "data-direct-upload", f"/api/products/{sku}/uploads"
    )
    page.set_input_files("#file", str(photo))
    page.fill("#email", CUSTOMER)
    page.fill("#display_name", "Sam")
    page.check("#consent")
    page.click("#upload-submit")
    page.wait_for_url(f"{shop}/submissions/*")
    return puts


def _expect_published(page: Page, product: str, public: str) -> None:
    """The product page shows the customer's photo, loaded from the public container."""
    page.goto(product)
    photo = page.locator(".gallery-item").filter(has_text="Sam").locator("img")
    expect(photo).to_have_count(1)
    assert (photo.get_attribute("src") or "").startswith(public)
    photo.scroll_into_view_if_needed()
    page.wait_for_function(LOADED, arg=photo.element_handle(), timeout=10_000)
    assert photo.evaluate("img => img.currentSrc").startswith(public)
