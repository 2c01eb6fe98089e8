"""Undoing a rejection over HTTP: the notice after a rejection offers to undo it, the photo's
page does while the window lasts, an undo puts the photo back in review with its email to the
customer withdrawn, and a late undo says the rejection stands.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from photogate.domain.submission import Status
from photogate.entrypoints.web.console.rendering import NOTICES
from photogate.entrypoints.web.status import MESSAGES
from photogate.messages import NOTIFY_QUEUE, field_of
from tests.integration.test_console_review import decide, items
from tests.integration.test_console_security import SKU, Console, running, signed_in
from tests.support.console import csrf_of, in_review

pytestmark = pytest.mark.integration

REVIEW = "/console/review"


class ShiftedClock:
    """The real UTC clock, moved by `shift` (the catalog stamps the audit with the real one)."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def shop(tmp_path: Path, clock: ShiftedClock) -> AsyncIterator[Console]:
    """The console telling customers of rejections, with a 60 s undo window by `clock`."""
    console = {"notify_rejections": True, "undo_s": 60}
    async with running(tmp_path, console=console) as shop:
        shop.services.clock = clock
        yield shop


def undo_forms(page: str) -> list[str]:
    """The targets of the page's undo forms."""
    return re.findall(r'action="/console/submissions/([0-9a-f]{32})/undo-rejection"', page)


def rejected_at_of(page: str) -> str:
    """The rejection the page's undo form takes back (its hidden field)."""
    found = re.search(r'name="rejected_at" value="([^"]+)"', page)
    assert found, "no undo form on the page"
    return found.group(1)


async def post_undo(
    client: httpx.AsyncClient, sid: str, page: str, rejected_at: str = ""
) -> httpx.Response:
    """Press the undo form of `page` (or post one naming `rejected_at`)."""
    data = {"csrf_token": csrf_of(page), "rejected_at": rejected_at or rejected_at_of(page)}
    return await client.post(f"/console/submissions/{sid}/undo-rejection", data=data)


async def undo(client: httpx.AsyncClient, sid: str, rejected_at: str = "") -> httpx.Response:
    """Press Undo on the photo's page (or post one naming `rejected_at`)."""
    page = (await client.get(f"/console/submissions/{sid}")).text
    return await post_undo(client, sid, page, rejected_at)


async def test_a_rejection_is_undone_from_its_notice_and_no_one_is_emailed(shop: Console) -> None:
    """Sam rejects from the queue; the queue's notice offers the undo; pressing it puts the
    photo back in review, audited, and the rejection email owed is gone.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    async with signed_in(shop, "sam", "198.51.100.40") as sam:
        rejected = await decide(sam, sid, "reject", REVIEW, reason="low_quality")
        landing = (await sam.get(rejected.headers["location"])).text
        assert NOTICES["rejected"] in landing
        assert undo_forms(landing) == [sid]
        [notice] = await shop.services.ports.queue.receive(NOTIFY_QUEUE)
        email_id = field_of(notice.body, "email_id")
        undone = await undo(sam, sid)
        assert undone.status_code == 303
        page = (await sam.get(undone.headers["location"])).text
    assert NOTICES["undone"] in page
    catalog = shop.services.ports.catalog
    stored = await catalog.get_submission(sid)
    assert stored is not None and stored.status is Status.NEEDS_REVIEW
    last = (await catalog.audit_trail(sid))[-1]
    assert (last.actor, last.reason) == ("moderator:sam", "rejection undone")
    assert await catalog.get_email(email_id) is None


async def test_the_photos_page_offers_the_undo_until_the_window_ends(
    shop: Console, clock: ShiftedClock
) -> None:
    """Within the window the rejected photo's page has an undo button with its deadline; a
    minute later it has none, and an undo from a stale page says it is too late.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    async with signed_in(shop, "ada", "198.51.100.41") as ada:
        await decide(ada, sid, "reject", f"/console/submissions/{sid}", reason="spam")
        page = (await ada.get(f"/console/submissions/{sid}")).text
        assert undo_forms(page) == [sid]
        assert "UTC</time>; the customer is not emailed before then." in page
        clock.shift = timedelta(seconds=61)
        assert undo_forms((await ada.get(f"/console/submissions/{sid}")).text) == []
        late = await post_undo(ada, sid, page)
        after = (await ada.get(late.headers["location"])).text
    assert NOTICES["too_late"] in after
    stored = await shop.services.ports.catalog.get_submission(sid)
    assert stored is not None and stored.status is Status.REJECTED


async def test_a_photo_the_scanner_rejected_offers_no_undo(shop: Console) -> None:
    """Only a moderator's rejection can be undone: the scanner's has no button, and a forged
    post changes nothing.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    catalog = shop.services.ports.catalog
    await catalog.transition(
        sid, allowed_from={Status.NEEDS_REVIEW}, to=Status.REJECTED, actor="scanner:ref-1"
    )
    forged = (await catalog.audit_trail(sid))[-1].at.isoformat()
    async with signed_in(shop, "sam", "198.51.100.42") as sam:
        assert undo_forms((await sam.get(f"/console/submissions/{sid}")).text) == []
        response = await undo(sam, sid, forged)
        assert NOTICES["too_late"] in (await sam.get(response.headers["location"])).text
    stored = await catalog.get_submission(sid)
    assert stored is not None and stored.status is Status.REJECTED


async def test_an_undo_of_an_unknown_photo_is_not_found(shop: Console) -> None:
    async with signed_in(shop, "sam", "198.51.100.43") as sam:
        page = (await sam.get(REVIEW)).text
        response = await post_undo(sam, "0" * 32, page, datetime.now(UTC).isoformat())
    assert response.status_code == 404


async def test_with_no_undo_window_a_rejection_offers_no_undo(tmp_path: Path) -> None:
    """PHOTOGATE_CONSOLE__UNDO_S=0: the notice has no undo, the email is not held."""
    async with running(tmp_path, console={"notify_rejections": True, "undo_s": 0}) as shop:
        sid = (await in_review(shop.services.ports, SKU)).id
        async with signed_in(shop, "sam", "198.51.100.44") as sam:
            rejected = await decide(sam, sid, "reject", REVIEW, reason="spam")
            assert rejected.headers["location"] == f"{REVIEW}?notice=rejected"
            assert undo_forms((await sam.get(f"/console/submissions/{sid}")).text) == []
        [notice] = await shop.services.ports.queue.receive(NOTIFY_QUEUE)
        email = await shop.services.ports.catalog.get_email(field_of(notice.body, "email_id"))
        assert email is not None and email.held_until is None


async def test_a_stale_undo_never_takes_back_a_later_rejection(shop: Console) -> None:
    """Sam rejects; Ada undoes that and rejects the photo again, for copyright; the Undo under
    Sam's old notice is then too late, and Ada's rejection stands.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    async with (
        signed_in(shop, "sam", "198.51.100.45") as sam,
        signed_in(shop, "ada", "198.51.100.46") as ada,
    ):
        rejected = await decide(sam, sid, "reject", REVIEW, reason="low_quality")
        sams_notice = (await sam.get(rejected.headers["location"])).text
        assert (await undo(ada, sid)).headers["location"].endswith("notice=undone")
        await decide(ada, sid, "reject", f"/console/submissions/{sid}", reason="copyright")
        late = await post_undo(sam, sid, sams_notice)
    assert late.headers["location"].endswith("notice=too_late")
    stored = await shop.services.ports.catalog.get_submission(sid)
    assert stored is not None
    assert (stored.status, stored.status_reason) == (Status.REJECTED, "copyright")


async def test_a_second_press_of_undo_says_who_undid_it_and_when(shop: Console) -> None:
    """Undo pressed twice (a double click, or two moderators): the second press says the
    rejection was already undone, by whom and at what time, not that the rejection stands.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    async with signed_in(shop, "sam", "198.51.100.47") as sam:
        rejected = await decide(sam, sid, "reject", REVIEW, reason="low_quality")
        landing = (await sam.get(rejected.headers["location"])).text
        assert (await post_undo(sam, sid, landing)).headers["location"].endswith("=undone")
        again = await post_undo(sam, sid, landing)
        shown = (await sam.get(again.headers["location"])).text
    assert again.headers["location"] == f"/console/submissions/{sid}?notice=already_undone"
    undone_at = (await shop.services.ports.catalog.audit_trail(sid))[-1].at
    assert f"Already undone by sam at {undone_at:%H:%M} UTC" in shown
    assert NOTICES["too_late"] not in shown


async def test_an_undone_photo_is_back_in_the_queue_with_the_scanners_reason(
    shop: Console,
) -> None:
    """The queue says why the scanner sent the photo, as before the rejection; the audit entry
    of the undo says it was undone.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    async with signed_in(shop, "sam", "198.51.100.48") as sam:
        await decide(sam, sid, "reject", REVIEW, reason="low_quality")
        await undo(sam, sid)
        queue = items((await sam.get(REVIEW)).text)
    assert '<dd class="why">unsure</dd>' in queue[sid]
    last = (await shop.services.ports.catalog.audit_trail(sid))[-1]
    assert (last.to_status, last.reason) == (Status.NEEDS_REVIEW, "rejection undone")


async def test_the_notice_offers_its_undo_only_while_the_rejection_can_be_undone(
    shop: Console, clock: ShiftedClock
) -> None:
    """The queue's notice offers Undo with its deadline; a link naming a photo in review offers
    none, nor does the notice reloaded after the window.
    """
    ports = shop.services.ports
    sid, waiting = (await in_review(ports, SKU)).id, (await in_review(ports, SKU)).id
    async with signed_in(shop, "sam", "198.51.100.49") as sam:
        rejected = await decide(sam, sid, "reject", REVIEW, reason="low_quality")
        landing = (await sam.get(rejected.headers["location"])).text
        crafted = (await sam.get(f"{REVIEW}?undo={waiting}&notice=rejected")).text
        clock.shift = timedelta(seconds=61)
        reloaded = (await sam.get(rejected.headers["location"])).text
    until = (await ports.catalog.audit_trail(sid))[-1].at + timedelta(seconds=60)
    assert undo_forms(landing) == [sid]
    assert f'<time datetime="{until.isoformat()}">' in landing
    assert undo_forms(crafted) == []
    assert undo_forms(reloaded) == []


async def test_the_customer_hears_of_a_rejection_only_once_it_can_no_longer_be_undone(
    shop: Console, clock: ShiftedClock
) -> None:
    """Within the window the status API and page say the photo is in review, and the page
    keeps asking; after it, both say rejected and the page stops asking.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    async with signed_in(shop, "sam", "198.51.100.50") as sam:
        await decide(sam, sid, "reject", REVIEW, reason="low_quality")
    async with shop.client() as customer:
        during = (await customer.get(f"/api/submissions/{sid}")).json()
        page = (await customer.get(f"/submissions/{sid}")).text
        clock.shift = timedelta(seconds=61)
        after = (await customer.get(f"/api/submissions/{sid}")).json()
        page_after = (await customer.get(f"/submissions/{sid}")).text
    assert (during["status"], during["message"]) == ("needs_review", MESSAGES[Status.NEEDS_REVIEW])
    assert "/static/status.js" in page
    waits = re.search(r'data-final-after-ms="(\d+)"', page)
    assert waits is not None and 0 < int(waits.group(1)) <= 60_000
    assert (after["status"], after["message"]) == ("rejected", MESSAGES[Status.REJECTED])
    assert "/static/status.js" not in page_after


async def test_the_undo_names_its_photo_and_promises_no_email_it_would_not_send(
    tmp_path: Path,
) -> None:
    """Rejections not emailed: the Undo says until when, nothing of emails; its button names
    the photo to a screen reader and is described by the deadline.
    """
    console = {"notify_rejections": False, "undo_s": 60}
    async with running(tmp_path, console=console) as shop:
        sid = (await in_review(shop.services.ports, SKU)).id
        async with signed_in(shop, "sam", "198.51.100.51") as sam:
            rejected = await decide(sam, sid, "reject", REVIEW, reason="spam")
            landing = (await sam.get(rejected.headers["location"])).text
    form = landing[landing.index('class="undo-form"') :]
    form = form[: form.index("</form>")]
    assert "emailed" not in form
    assert 'Undo the rejection<span class="visually-hidden"> of Trail Bottle, photo by Kim' in form
    assert f'aria-describedby="undo-until-{sid}"' in form
    assert f'<span class="help" id="undo-until-{sid}">Until <time' in form
