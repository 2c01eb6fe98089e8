"""A customer in Chromium uploads through the page on the Azure backend: straight to Azurite."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from photogate.domain.catalog import Product
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.settings import ConsoleSettings, QueueSettings, ScannerSettings, Settings
from photogate.testing import samples
from tests.support import azurite
from tests.support.chromium import watched_tab
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = [pytest.mark.browser, pytest.mark.integration]

PRODUCT = Product("TT-LANTERN", "Camp Lantern", "A lantern for long evenings.", 3400)
PIPELINE_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """Web app and worker on backend azure (Azurite, containers and queues of their own)."""
    connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.05)) as scanner:
        settings = Settings(
            _env_file=None,
            backend="azure",
            data_dir=tmp_path_factory.mktemp("direct-upload"),
            scanner=ScannerSettings(url=scanner.url),
            queue=QueueSettings(poll_interval_s=0.2),
            azure=azurite.settings_for(connection, prefix),
            # Backend azure requires one key shared by every instance.
            console=ConsoleSettings(secret_key="k" * 32),
        )
        prepare(settings, [PRODUCT])
        web = BackgroundWebStack(settings, worker=True)
        # Only now is the shop's origin known: the store lets it through CORS at its first grant.
        settings.azure.cors_origins = [web.url]
        try:
            with web:
                yield web
        finally:
            asyncio.run(azurite.delete_containers(connection, prefix))
            asyncio.run(azurite.delete_queues(connection, prefix))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab; fails the test on a script error or a refused connection."""
    # The PUT to storage is what CSP connect-src and the account's CORS rules must let through.
    with watched_tab(browser, console_errors=("connect-src", "CORS")) as (tab, _):
        yield tab


def test_the_page_puts_the_photo_straight_into_quarantine(
    shop: BackgroundWebStack, page: Page, tmp_path: Path
) -> None:
    """The form starts a direct upload, PUTs the file to Azurite, completes, and it is approved."""
    puts: list[Request] = []
    page.on("request", lambda request: puts.append(request) if request.method == "PUT" else None)
    photo = tmp_path / "lantern.jpg"
    photo.write_bytes(samples.clean_jpeg(seed=41))
    page.goto(f"{shop.url}/products/{PRODUCT.sku}")
    expect(page.locator("#upload-form")).to_have_attribute(
        "data-direct-upload", f"/api/products/{PRODUCT.sku}/uploads"
    )
    page.set_input_files("#file", str(photo))
    page.fill("#email", "sam@example.com")
    page.fill("#display_name", "Sam")
    page.check("#consent")
    page.click("#upload-submit")

    page.wait_for_url(f"{shop.url}/submissions/*")
    assert [request.url.split("?")[0].rsplit("/", 1)[-1] for request in puts] == ["upload"]
    assert puts[0].url.startswith("http://127.0.0.1:10000/")
    expect(page.locator("#status")).to_have_attribute(
        "data-status", "approved", timeout=PIPELINE_TIMEOUT_MS
    )


def test_a_file_that_is_no_photo_is_refused_by_the_form(
    shop: BackgroundWebStack, page: Page, tmp_path: Path
) -> None:
    """A text file sent directly is checked once stored, refused in plain words, and deleted."""
    fake = tmp_path / "notes.jpg"
    fake.write_bytes(samples.text_file())
    page.goto(f"{shop.url}/products/{PRODUCT.sku}")
    page.set_input_files("#file", str(fake))
    page.fill("#email", "sam@example.com")
    page.fill("#display_name", "Sam")
    page.check("#consent")
    page.click("#upload-submit")

    error = page.locator("#form-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-code", "unsupported_type")
    expect(page.locator("#upload-submit")).to_be_enabled()
