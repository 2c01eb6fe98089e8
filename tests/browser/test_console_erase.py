"""An admin in Chromium erases a customer: Enter in the form only shows what would go, a red
button on the next page erases it.
"""

# The console suite's browser fixtures are imported by name, and tests take them as parameters
# of the same name: that is how pytest injects them, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from photogate.domain.catalog import Product
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.settings import ScannerSettings, Settings
from photogate.testing import samples
from tests.browser.test_console import eventually, page  # noqa: F401 - page is a fixture
from tests.support.console import PASSWORD, staff_users
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SKU = "TT-STOVE-1"
PRODUCT = Product(SKU, "Camp Stove", "A small stove.", 5900)
CUSTOMER = "erin@example.com"
DANGER_RED = "rgb(180, 35, 24)"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """Reference scanner, web app and worker, with a moderator and an admin."""
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.02)) as scanner:
        settings = Settings(
            _env_file=None,
            data_dir=tmp_path_factory.mktemp("console-erase"),
            scanner=ScannerSettings(url=scanner.url),
            console={"users": staff_users()},
            uploads={"per_ip_per_hour": 0, "per_email_per_product_per_day": 0},
        )
        prepare(settings, [PRODUCT])
        with BackgroundWebStack(settings, worker=True) as web:
            yield web


def published_photo(shop: BackgroundWebStack) -> str:
    """A photo of CUSTOMER, uploaded through the API and published by the scanner."""
    form = {"email": CUSTOMER, "display_name": "Erin", "consent": "true"}
    files = {"file": ("photo.jpg", samples.clean_jpeg(seed=31), "image/jpeg")}
    response = httpx.post(f"{shop.url}/api/products/{SKU}/photos", data=form, files=files)
    assert response.status_code == 202, response.text
    sid = str(response.json()["id"])

    def status() -> str | None:
        found = httpx.get(f"{shop.url}/api/submissions/{sid}").json()["status"]
        return found if found == "approved" else None

    eventually(status, "the photo to be published")
    return sid


def test_an_admin_sees_what_an_erasure_does_before_confirming_it(
    shop: BackgroundWebStack, page: Page
) -> None:
    """Enter in the address field shows the counts of a masked address and erases nothing;
    the red confirm button erases, and the audit gives the request reference.
    """
    sid = published_photo(shop)
    page.goto(f"{shop.url}/console/sign-in?next=/console/erase")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{shop.url}/console/erase")
    page.get_by_label("Request reference").fill("T-42")
    page.get_by_label("Customer's email address").fill(CUSTOMER)
    page.get_by_label("Customer's email address").press("Enter")
    expect(page.locator("#erase-plan")).to_have_text(
        "Erasing will delete 1 submission, 1 published photo of e•••@example.com, for request T-42."
    )
    assert page.url == f"{shop.url}/console/erase", "the address stays out of the URL"
    assert httpx.get(f"{shop.url}/api/submissions/{sid}").json()["status"] == "approved"
    button = page.locator("#erase-confirm-submit")
    expect(button).to_have_text("Erase 1 submission for good")
    expect(button).to_have_css("background-color", DANGER_RED)
    button.click()
    expect(page.locator("#erase-result")).to_contain_text(
        "Erased 1 submission; 1 photo was taken off the shop."
    )
    assert httpx.get(f"{shop.url}/api/submissions/{sid}").json()["status"] == "erased"
    page.goto(f"{shop.url}/console/submissions/{sid}")
    expect(page.locator("table.audit tbody tr").last).to_contain_text("erased by admin: T-42")
