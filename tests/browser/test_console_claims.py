"""Two moderators in Chromium, each in their own session, work the review queue at once:
"Review next photo" opens a different photo for each, and each sees who has the other's.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from photogate.bootstrap import bootstrap
from photogate.domain.catalog import Product
from photogate.settings import Settings
from tests.browser.test_console import sign_in
from tests.support.chromium import watched_tab
from tests.support.console import in_review, staff_users
from tests.support.web_stack import BackgroundWebStack, prepare

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SKU = "TT-KETTLE-1"
VIEWPORT = {"width": 1280, "height": 900}


async def _seed(settings: Settings) -> list[str]:
    """Three photos in review, oldest first, by id."""
    services = await bootstrap(settings)
    try:
        names = ("Olga Oldest", "Nils Next", "Tia Third")
        return [(await in_review(services.ports, SKU, display_name=n)).id for n in names]
    finally:
        await services.aclose()


@pytest.fixture(scope="module")
def queue(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[BackgroundWebStack, list[str]]]:
    """The web app over three photos in review, with the moderator "sam" and the admin "ada"."""
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path_factory.mktemp("claims"),
        console={"users": staff_users()},
    )
    prepare(settings, [Product(SKU, "Camp Kettle", "Boils.", 2900)])
    waiting = asyncio.run(_seed(settings))
    with BackgroundWebStack(settings) as web:
        yield web, waiting


def test_two_sessions_pressing_next_get_different_photos(
    queue: tuple[BackgroundWebStack, list[str]], browser: Browser
) -> None:
    """Sam and Ada both have the queue open with the same photo on top; Sam's "next" opens it,
    Ada's the one after. Each may decide theirs; Ada's queue names Sam on his, without its
    buttons, and his page opened by her offers only a take-over. Sam's next after deciding is
    the third photo: Ada still has the second.
    """
    shop, (oldest, second, third) = queue
    with (
        watched_tab(browser, viewport=VIEWPORT) as (sams, _),
        watched_tab(browser, viewport=VIEWPORT) as (adas, _),
    ):
        sign_in(sams, shop, "sam")
        sign_in(adas, shop, "ada")
        sams.get_by_role("button", name="Review next photo").click()
        adas.get_by_role("button", name="Review next photo").click()
        sams.wait_for_url(f"**/console/submissions/{oldest}")
        adas.wait_for_url(f"**/console/submissions/{second}")
        for tab in (sams, adas):
            expect(tab.locator(".claim-mine")).to_contain_text("You are reviewing this photo")
            expect(tab.get_by_role("button", name="Approve and publish")).to_be_visible()
        adas.goto(f"{shop.url}/console/review")
        sams_item = adas.locator(f'[data-submission="{oldest}"]')
        expect(sams_item.locator(".claim-other")).to_have_text(
            re.compile(r"^Being reviewed by sam \(until \d\d:\d\d UTC\)\.$")
        )
        expect(sams_item.get_by_role("button", name="Approve and publish")).to_have_count(0)
        sams_item.get_by_role("link", name="Open it (you may take it over)").click()
        expect(adas.get_by_role("button", name="Take over")).to_be_visible()
        expect(adas.get_by_role("button", name="Approve and publish")).to_have_count(0)
        sams.get_by_role("button", name="Approve and publish").click()
        expect(sams.locator("#notice")).to_contain_text("Approved")
        sams.get_by_role("button", name="Review next photo").click()
        sams.wait_for_url(f"**/console/submissions/{third}")
