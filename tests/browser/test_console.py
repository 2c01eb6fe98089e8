"""Moderators in Chromium: sign in, approve, reject, take down; no customer text ever runs."""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from photogate.domain.catalog import Product
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.settings import ScannerSettings, Settings
from photogate.testing import samples
from tests.support.chromium import watched_tab
from tests.support.console import PASSWORD, staff_users
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SKU = "TT-TENT-3P"
PRODUCT = Product(SKU, "Ridge Tent 3P", "A roomy tent.", 34900)
PIPELINE_TIMEOUT_S = 30
SCRIPT_CAPTION = "<script>alert('caption')</script><img src=x onerror=\"alert('caption img')\">"
SCRIPT_NAME = "<img src=x onerror=alert('name')>"
T = TypeVar("T")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """Reference scanner, web app and worker, with two staff accounts and rejection emails on."""
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.02)) as scanner:
        settings = Settings(
            _env_file=None,
            data_dir=tmp_path_factory.mktemp("console"),
            scanner=ScannerSettings(url=scanner.url),
            # A rejection email waits out the undo window: 2 s here, not the minute by default.
            console={"users": staff_users(), "notify_rejections": True, "undo_s": 2},
            # Abuse limits have tests of their own; here one address uploads for everyone.
            uploads={"per_ip_per_hour": 0, "per_email_per_product_per_day": 0},
        )
        prepare(settings, [PRODUCT])
        with BackgroundWebStack(settings, worker=True) as web:
            yield web


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab that fails the test on a script error, a CSP violation or any dialog."""
    with watched_tab(browser, viewport={"width": 1280, "height": 900}) as (tab, problems):
        tab.on("dialog", lambda dialog: _refuse_dialog(problems, dialog))
        yield tab


def _refuse_dialog(problems: list[str], dialog: Dialog) -> None:
    problems.append(f"a dialog opened: {dialog.message!r}")
    dialog.dismiss()


def eventually(
    check: Callable[[], T | None], what: str, timeout_s: float = PIPELINE_TIMEOUT_S
) -> T:
    """Poll `check` until it returns something, or fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while (found := check()) is None:
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # polling a condition with a deadline
    return found


def upload(
    shop: BackgroundWebStack, photo: bytes, name: str, *, caption: str = "", wanted: str
) -> str:
    """Upload through the API as a customer, then wait until the scanner settles it."""
    form = {
        "email": "robin@example.com",
        "display_name": name,
        "caption": caption,
        "consent": "true",
    }
    files = {"file": ("photo.jpg", photo, "image/jpeg")}
    response = httpx.post(f"{shop.url}/api/products/{SKU}/photos", data=form, files=files)
    assert response.status_code == 202, response.text
    sid = str(response.json()["id"])

    def settled() -> str | None:
        status = httpx.get(f"{shop.url}/api/submissions/{sid}").json()["status"]
        return status if status not in {"received", "queued", "scanning"} else None

    assert eventually(settled, f"{name}'s photo to be scanned") == wanted
    return sid


def sign_in(page: Page, shop: BackgroundWebStack, username: str = "sam") -> None:
    """Open the console, get sent to sign in, sign in, land on the review queue."""
    page.goto(f"{shop.url}/console")
    page.wait_for_url(lambda url: "/console/sign-in?next=/console" in url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{shop.url}/console/review")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Waiting for review")


def gallery_names(page: Page, shop: BackgroundWebStack) -> list[str]:
    page.goto(f"{shop.url}/products/{SKU}")
    return page.locator(".gallery-item .by").all_inner_texts()


def gallery_names_now(shop: BackgroundWebStack) -> list[str]:
    """The names under the product's published photos, as the API lists them."""
    photos = httpx.get(f"{shop.url}/api/products/{SKU}/photos").json()["items"]
    return [photo["display_name"] for photo in photos]


def rejection_emails(shop: BackgroundWebStack) -> list[email.message.EmailMessage] | None:
    found = []
    for path in sorted(shop.settings.outbox_dir.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if (
            isinstance(message, email.message.EmailMessage)
            and "About your photo" in message["Subject"]
        ):
            found.append(message)
    return found or None


def test_moderator_approves_a_photo_in_review_and_it_goes_live(
    shop: BackgroundWebStack, page: Page
) -> None:
    """The photo the scanner was unsure about is approved from the queue and shown in the shop."""
    sid = upload(shop, samples.review_jpeg(), "Avery Approved", wanted="needs_review")
    sign_in(page, shop)
    item = page.locator(f'[data-submission="{sid}"]')
    expect(item).to_contain_text("Avery Approved")
    expect(item.locator(".scores")).to_contain_text("refscanner")
    image = item.locator("img")
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0, "the preview shows the photo"
    item.get_by_role("button", name="Approve and publish").click()
    expect(page.locator("#notice")).to_contain_text("Approved")
    expect(page.locator(f'[data-submission="{sid}"]')).to_have_count(0)
    assert "Avery Approved" in gallery_names(page, shop)


def test_moderator_rejects_a_photo_with_a_reason_and_the_customer_hears_kindly(
    shop: BackgroundWebStack, page: Page
) -> None:
    """A rejection needs a reason; the audit keeps it and the customer gets one kind email."""
    sid = upload(shop, samples.low_quality_jpeg(), "Riley Rejected", wanted="needs_review")
    sign_in(page, shop)
    item = page.locator(f'[data-submission="{sid}"]')
    item.get_by_label("Reason").select_option("personal_data")
    item.get_by_label("Note").fill("house number readable")
    item.get_by_role("button", name="Reject").click()
    expect(page.locator("#notice")).to_contain_text("Rejected")
    page.goto(f"{shop.url}/console/submissions/{sid}")
    expect(page.locator("#status")).to_have_text("rejected")
    last = page.locator("table.audit tbody tr").last
    expect(last).to_contain_text("moderator:sam")
    expect(last).to_contain_text("personal_data: house number readable")
    assert "Riley Rejected" not in gallery_names(page, shop)
    (letter,) = eventually(lambda: rejection_emails(shop), "the rejection email")
    text = letter.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "personal details can be seen in it" in text
    assert "house number" not in text


def test_moderator_takes_a_published_photo_down(shop: BackgroundWebStack, page: Page) -> None:
    """A published photo is found by SKU, taken down with a reason code and note after a
    confirmation page showing it, and leaves the shop.
    """
    upload(shop, samples.clean_jpeg(seed=5), "Toni Takedown", wanted="approved")
    assert "Toni Takedown" in gallery_names(page, shop)
    rendition = page.locator(".gallery-item img").first.get_attribute("src")
    sign_in(page, shop)
    page.click("text=Photos")
    page.get_by_label("SKU starts with").fill(SKU[:5])
    page.get_by_role("button", name="Search").click()
    item = page.locator(".photo-item", has_text="Toni Takedown")
    item.get_by_label("Reason for taking it down").select_option("legal_request")
    item.get_by_label("Note for the audit").fill("customer complaint #42")
    item.get_by_role("button", name="Take down…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Take this photo down?")
    expect(page.locator("#takedown-reason")).to_have_text("Copyright or legal request")
    expect(page.locator(".detail-photo img")).to_have_js_property("complete", True)
    assert "Toni Takedown" in gallery_names_now(shop), "nothing changes before confirming"
    page.get_by_role("button", name="Take this photo down").click()
    expect(page.locator("#notice")).to_contain_text("Taken down")
    expect(page.locator(".photo-item", has_text="Toni Takedown")).to_have_count(0)
    assert "Toni Takedown" not in gallery_names(page, shop)
    assert rendition is not None
    assert httpx.get(f"{shop.url}{rendition}").status_code == 404


def test_staff_see_how_many_photos_wait_where(shop: BackgroundWebStack, page: Page) -> None:
    """The Pipeline page counts photos by state, with how long the oldest in review has waited,
    and the queues.
    """
    upload(shop, samples.review_jpeg(quality=85), "Pat Pipeline", wanted="needs_review")
    sign_in(page, shop)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Pipeline").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline")
    in_review = page.locator('#submissions tr[data-status="needs_review"]')
    expect(in_review.locator(".age")).to_have_text(re.compile(r"^\d+ (s|min)$"))
    assert int(in_review.locator(".count").inner_text()) >= 1
    expect(page.locator('#queues tr[data-queue="scans"] .poison')).to_have_text("0")
    expect(page.locator("#poison-notice")).to_have_count(0)


def test_scripts_in_captions_and_names_never_run(shop: BackgroundWebStack, page: Page) -> None:
    """Markup sent as a caption or name shows as text on the product page and in the console."""
    live = upload(
        shop, samples.clean_jpeg(seed=6), SCRIPT_NAME, caption=SCRIPT_CAPTION, wanted="approved"
    )
    # Other bytes than the approval test's photo: the same file again would be a repeat.
    waiting = upload(
        shop, samples.review_jpeg(80), SCRIPT_NAME, caption=SCRIPT_CAPTION, wanted="needs_review"
    )
    page.goto(f"{shop.url}/products/{SKU}")
    expect(page.locator(".gallery-item .caption", has_text="<script>")).to_have_count(1)
    expect(page.locator(".gallery-item .by", has_text=SCRIPT_NAME)).to_have_count(1)
    sign_in(page, shop)
    expect(page.locator(f'[data-submission="{waiting}"] .caption')).to_have_text(SCRIPT_CAPTION)
    for path in (f"/console/submissions/{live}", f"/console/photos?sku={SKU}"):
        page.goto(f"{shop.url}{path}")
        expect(page.locator(".caption").first).to_contain_text("<script>alert('caption')</script>")
    page.goto(f"{shop.url}/submissions/{live}")
    expect(page.locator(".status-photo figcaption")).to_contain_text("<script>")
    assert page.evaluate("document.querySelectorAll('main script').length") == 0
