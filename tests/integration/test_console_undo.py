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
from photogate.messages import NOTIFY_QUEUE, field_of
from tests.integration.test_console_review import decide
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


async def undo(client: httpx.AsyncClient, sid: str) -> httpx.Response:
    token = csrf_of((await client.get(f"/console/submissions/{sid}")).text)
    return await client.post(
        f"/console/submissions/{sid}/undo-rejection", data={"csrf_token": token}
    )


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
        token = csrf_of(page)
        clock.shift = timedelta(seconds=61)
        assert undo_forms((await ada.get(f"/console/submissions/{sid}")).text) == []
        late = await ada.post(
            f"/console/submissions/{sid}/undo-rejection", data={"csrf_token": token}
        )
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
    async with signed_in(shop, "sam", "198.51.100.42") as sam:
        assert undo_forms((await sam.get(f"/console/submissions/{sid}")).text) == []
        response = await undo(sam, sid)
        assert NOTICES["too_late"] in (await sam.get(response.headers["location"])).text
    stored = await catalog.get_submission(sid)
    assert stored is not None and stored.status is Status.REJECTED


async def test_an_undo_of_an_unknown_photo_is_not_found(shop: Console) -> None:
    async with signed_in(shop, "sam", "198.51.100.43") as sam:
        token = csrf_of((await sam.get(REVIEW)).text)
        response = await sam.post(
            f"/console/submissions/{'0' * 32}/undo-rejection", data={"csrf_token": token}
        )
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
