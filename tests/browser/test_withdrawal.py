"""A customer in Chromium withdraws with the link from their email: their photo is erased."""

# The console suite's browser fixtures are imported by name, and tests take them as parameters
# of the same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from photogate.domain.catalog import Product
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.settings import ScannerSettings, Settings
from photogate.testing import samples
from tests.browser.test_console import eventually, page  # noqa: F401 - page is a fixture
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SKU = "TT-LAMP-1"
PRODUCT = Product(SKU, "Camp Lamp", "A bright lamp.", 2900)
PIPELINE_TIMEOUT_MS = 30_000
LINK = re.compile(r"https?://\S+/withdraw/\S+")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """Reference scanner, web app and worker in-process, thank-you emails as .eml files."""
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.02)) as scanner:
        data_dir = tmp_path_factory.mktemp("withdrawal")
        settings = Settings(
            _env_file=None,
            data_dir=data_dir,
            scanner=ScannerSettings(url=scanner.url),
            uploads={"per_ip_per_hour": 0, "per_email_per_product_per_day": 0},
        )
        prepare(settings, [PRODUCT])
        with BackgroundWebStack(settings, worker=True) as web:
            yield web


def withdrawal_link(outbox: Path) -> str | None:
    """The withdrawal link of the one thank-you in the outbox, once it is there."""
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(("plain",))
        found = LINK.search(body.get_content()) if body is not None else None
        if found:
            return found.group(0)
    return None


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_a_customers_withdrawal_link_erases_their_photo(
    shop: BackgroundWebStack, page: Page, tmp_path: Path
) -> None:
    """Upload, get published and thanked, open the email's link, confirm: the photo is gone."""
    photo = tmp_path / "lamp.jpg"
    photo.write_bytes(samples.clean_jpeg(seed=71))
    product_url = f"{shop.url}/products/{SKU}"
    page.goto(product_url)
    page.set_input_files("#file", str(photo))
    page.fill("#email", "robin@example.com")
    page.fill("#display_name", "Robin")
    page.check("#consent")
    page.click("#upload-submit")
    page.wait_for_url(f"{shop.url}/submissions/*")
    expect(page.locator("#status")).to_have_attribute(
        "data-status", "approved", timeout=PIPELINE_TIMEOUT_MS
    )
    link = eventually(lambda: withdrawal_link(shop.settings.outbox_dir), "the thank-you email")
    quarantine = shop.settings.blob_dir / "quarantine"
    public = shop.settings.blob_dir / "public"
    assert files_in(quarantine) and files_in(public)

    # The email links to the configured public URL; the browser reaches this test's port.
    page.goto(shop.url + link[link.index("/withdraw/") :])
    expect(page.locator("h1")).to_have_text("Withdraw your consent")
    page.click("#withdraw-confirm")
    expect(page.locator("#withdraw-result")).to_contain_text("We erased 1 photo")

    page.goto(product_url)
    expect(page.locator(".gallery-item")).to_have_count(0)
    assert files_in(quarantine) == []
    assert files_in(public) == []
