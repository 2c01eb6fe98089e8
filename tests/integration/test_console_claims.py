"""Claims over HTTP: two moderators pressing "next" get different photos, the queue says who
is reviewing what, a claimed photo opens read-only until taken over, claims lapse on the
clock, and deciding stays first come, first served.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from photogate.domain.submission import Status
from photogate.entrypoints.web.console.rendering import NOTICES
from tests.integration.test_console_review import items
from tests.integration.test_console_security import (
    SKU,
    Console,
    running,
    signed_in,
)
from tests.support.console import csrf_of, in_review

pytestmark = pytest.mark.integration

NOON = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
REVIEW = "/console/review"


class StoppedClock:
    """A UTC clock that stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = NOON

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> StoppedClock:
    return StoppedClock()


@pytest.fixture
async def shop(tmp_path: Path, clock: StoppedClock) -> AsyncIterator[Console]:
    """The console with a moderator "sam" and an admin "ada", whose claims last 5 minutes by
    `clock`.
    """
    async with running(tmp_path, console={"claim_minutes": 5}) as console:
        console.services.clock = clock
        yield console


async def press_next(client: httpx.AsyncClient) -> httpx.Response:
    """Press "Review next photo" on the queue page, with that page's CSRF token."""
    token = csrf_of((await client.get(REVIEW)).text)
    return await client.post("/console/review/next", data={"csrf_token": token})


async def post_from(
    client: httpx.AsyncClient, page: str, url: str, **fields: str
) -> httpx.Response:
    """Post a form found on `page`, with that page's CSRF token."""
    token = csrf_of((await client.get(page)).text)
    return await client.post(url, data={"csrf_token": token, **fields})


def page_of(sid: str) -> str:
    return f"/console/submissions/{sid}"


async def test_two_moderators_pressing_next_get_different_photos(shop: Console) -> None:
    """Sam's "next" opens the oldest photo, Ada's the one after; each page offers its holder
    the decisions, and the queue shows each the other's claim, without its decision forms.
    """
    ports = shop.services.ports
    first, second = [(await in_review(ports, SKU)).id for _ in range(2)]
    async with (
        signed_in(shop, "sam", "198.51.100.60") as sam,
        signed_in(shop, "ada", "198.51.100.61") as ada,
    ):
        assert (await press_next(sam)).headers["location"] == page_of(first)
        assert (await press_next(ada)).headers["location"] == page_of(second)
        sams_page = (await sam.get(page_of(first))).text
        queue = items((await ada.get(REVIEW)).text)
    assert "You are reviewing this photo (until 12:05 UTC)." in sams_page
    assert "/approve" in sams_page and "take-over" not in sams_page
    assert 'Being reviewed by <bdi class="claimant">sam</bdi> (until 12:05 UTC).' in queue[first]
    assert "/approve" not in queue[first] and "/reject" not in queue[first]
    assert "You are reviewing this photo" in queue[second] and "/approve" in queue[second]


async def test_next_with_every_photo_claimed_says_none_is_free(shop: Console) -> None:
    """With the only photo claimed by Sam, Ada's "next" returns to the queue saying so; with
    nothing waiting at all, the same.
    """
    ports = shop.services.ports
    sid = (await in_review(ports, SKU)).id
    async with (
        signed_in(shop, "sam", "198.51.100.62") as sam,
        signed_in(shop, "ada", "198.51.100.63") as ada,
    ):
        await press_next(sam)
        refused = await press_next(ada)
        assert refused.headers["location"] == f"{REVIEW}?notice=none_free"
        assert NOTICES["none_free"] in (await ada.get(refused.headers["location"])).text
        await ports.catalog.transition(
            sid, allowed_from={Status.NEEDS_REVIEW}, to=Status.REJECTED, actor="test"
        )
        token = csrf_of((await ada.get(page_of(sid))).text)
        empty = await ada.post("/console/review/next", data={"csrf_token": token})
    assert empty.headers["location"] == f"{REVIEW}?notice=none_free"


async def test_skipping_the_only_photo_waiting_says_it_is_yours(shop: Console) -> None:
    """Sam holds the only photo in review and presses "Skip to the next photo": he stays on it,
    told it is the only one waiting, not that others are reviewing the rest.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    async with signed_in(shop, "sam", "198.51.100.64") as sam:
        skipped = await post_from(sam, page_of(sid), "/console/review/next")
        assert skipped.headers["location"] == f"{page_of(sid)}?notice=only_yours"
        shown = (await sam.get(skipped.headers["location"])).text
    assert NOTICES["only_yours"] in shown
    assert NOTICES["none_free"] not in shown
    assert "You are reviewing this photo" in shown


async def test_next_with_the_others_taken_returns_you_to_the_photo_you_hold(shop: Console) -> None:
    """Sam holds one photo and Ada the only other: Sam's "next", from the queue or from his
    photo, takes him back to his own photo, told the rest are taken, not that others are
    reviewing every photo waiting; neither claim moves.
    """
    ports = shop.services.ports
    first, second = [(await in_review(ports, SKU)).id for _ in range(2)]
    async with (
        signed_in(shop, "sam", "198.51.100.76") as sam,
        signed_in(shop, "ada", "198.51.100.77") as ada,
    ):
        assert (await press_next(sam)).headers["location"] == page_of(first)
        assert (await press_next(ada)).headers["location"] == page_of(second)
        from_queue = await press_next(sam)
        skipped = await post_from(sam, page_of(first), "/console/review/next")
        shown = (await sam.get(skipped.headers["location"])).text
    kept = f"{page_of(first)}?notice=others_taken"
    assert from_queue.headers["location"] == kept
    assert skipped.headers["location"] == kept
    assert NOTICES["others_taken"] in shown and NOTICES["none_free"] not in shown
    assert "You are reviewing this photo" in shown and "/approve" in shown
    claims = await ports.catalog.review_claims([first, second], now=NOON)
    assert (claims[first].moderator, claims[second].moderator) == ("sam", "ada")


async def test_a_photo_someone_is_reviewing_opens_read_only_until_taken_over(
    shop: Console,
) -> None:
    """Ada opening Sam's photo sees who has it and a take-over button, no decisions, and Sam
    keeps it; once she takes it over the decisions are hers, and Sam's queue shows her name.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    async with (
        signed_in(shop, "sam", "198.51.100.64") as sam,
        signed_in(shop, "ada", "198.51.100.65") as ada,
    ):
        await press_next(sam)
        looked = (await ada.get(page_of(sid))).text
        claims = await shop.services.ports.catalog.review_claims([sid], now=NOON)
        taken = await post_from(ada, page_of(sid), f"{page_of(sid)}/take-over")
        hers = (await ada.get(taken.headers["location"])).text
        sams_queue = items((await sam.get(REVIEW)).text)[sid]
    assert 'Being reviewed by <bdi class="claimant">sam</bdi>' in looked
    assert f'action="{page_of(sid)}/take-over"' in looked
    assert "/approve" not in looked and "/reject" not in looked
    assert claims[sid].moderator == "sam"
    assert taken.status_code == 303
    assert taken.headers["location"] == f"{page_of(sid)}?notice=taken_over"
    assert NOTICES["taken_over"] in hers and "/approve" in hers
    assert 'Being reviewed by <bdi class="claimant">ada</bdi>' in sams_queue


async def test_a_claim_lapses_on_the_clock_and_the_photo_is_next_for_someone_else(
    shop: Console, clock: StoppedClock
) -> None:
    """A claim Sam left standing keeps his photo from Ada's "next" until its five minutes are
    up; from then on "next" gives it to her, and opening it no longer warns her off.
    """
    first, second = [(await in_review(shop.services.ports, SKU)).id for _ in range(2)]
    async with (
        signed_in(shop, "sam", "198.51.100.66") as sam,
        signed_in(shop, "ada", "198.51.100.67") as ada,
    ):
        await press_next(sam)
        clock.now = NOON + timedelta(minutes=5) - timedelta(seconds=1)
        assert (await press_next(ada)).headers["location"] == page_of(second)
        clock.now = NOON + timedelta(minutes=5)
        queue = items((await ada.get(REVIEW)).text)
        assert "Being reviewed by" not in queue[first]
        assert (await press_next(ada)).headers["location"] == page_of(first)
        assert (
            "You are reviewing this photo (until 12:10 UTC)."
            in (await ada.get(page_of(first))).text
        )


async def test_deciding_needs_no_claim_and_the_second_decision_changes_nothing(
    shop: Console,
) -> None:
    """Claims only steer: Ada may still approve Sam's photo from a page she loaded before his
    claim; Sam's rejection after it changes nothing and names Ada; the claim is gone with it.
    """
    sid = (await in_review(shop.services.ports, SKU)).id
    async with (
        signed_in(shop, "sam", "198.51.100.68") as sam,
        signed_in(shop, "ada", "198.51.100.69") as ada,
    ):
        adas_token = csrf_of((await ada.get(REVIEW)).text)
        await press_next(sam)
        approved = await ada.post(
            f"{page_of(sid)}/approve", data={"csrf_token": adas_token, "back": REVIEW}
        )
        late = await post_from(sam, page_of(sid), f"{page_of(sid)}/reject", reason="spam")
        told = (await sam.get(late.headers["location"])).text
    assert approved.headers["location"] == f"{REVIEW}?notice=approved"
    assert late.headers["location"] == f"{REVIEW}?decided={sid}&notice=settled"
    assert "ada approved it at" in told
    catalog = shop.services.ports.catalog
    stored = await catalog.get_submission(sid)
    assert stored is not None and stored.status is Status.APPROVED
    assert await catalog.review_claims([sid], now=NOON) == {}


async def test_taking_over_a_decided_photo_says_who_decided(shop: Console) -> None:
    """A take-over that arrives after the photo was decided claims nothing and names the decider."""
    sid = (await in_review(shop.services.ports, SKU)).id
    async with signed_in(shop, "sam", "198.51.100.70") as sam:
        token = csrf_of((await sam.get(page_of(sid))).text)
        await shop.services.ports.catalog.transition(
            sid, allowed_from={Status.NEEDS_REVIEW}, to=Status.REJECTED, actor="moderator:ada"
        )
        late = await sam.post(f"{page_of(sid)}/take-over", data={"csrf_token": token})
        told = (await sam.get(late.headers["location"])).text
    assert late.headers["location"] == f"{page_of(sid)}?decided={sid}&notice=settled"
    assert "ada rejected it at" in told


async def test_refused_next_and_take_over_claim_nothing(shop: Console) -> None:
    """Without the session's CSRF token, "next" and a take-over are 403 and nobody's claim moves."""
    sid = (await in_review(shop.services.ports, SKU)).id
    async with (
        signed_in(shop, "sam", "198.51.100.71") as sam,
        signed_in(shop, "ada", "198.51.100.72") as ada,
    ):
        await press_next(sam)
        for url in ("/console/review/next", f"{page_of(sid)}/take-over"):
            assert (await ada.post(url, data={"csrf_token": "forged"})).status_code == 403
    claims = await shop.services.ports.catalog.review_claims([sid], now=NOON)
    assert claims[sid].moderator == "sam"


async def test_the_claim_length_is_a_setting(tmp_path: Path, clock: StoppedClock) -> None:
    """PHOTOGATE_CONSOLE__CLAIM_MINUTES sets how long opening a photo keeps it."""
    async with running(tmp_path, console={"claim_minutes": 12}) as console:
        console.services.clock = clock
        sid = (await in_review(console.services.ports, SKU)).id
        async with signed_in(console, "sam", "198.51.100.73") as sam:
            page = (await sam.get(page_of(sid))).text
    assert "You are reviewing this photo (until 12:12 UTC)." in page


async def test_claims_leave_the_audit_export_as_it_was(shop: Console) -> None:
    """Claiming, opening and taking over are no decisions: the CSV has the same rows after."""
    sid = (await in_review(shop.services.ports, SKU)).id
    async with (
        signed_in(shop, "sam", "198.51.100.74") as sam,
        signed_in(shop, "ada", "198.51.100.75") as ada,
    ):
        before = (await ada.get("/console/audit.csv")).text
        await press_next(sam)
        await post_from(ada, page_of(sid), f"{page_of(sid)}/take-over")
        after = (await ada.get("/console/audit.csv")).text
    assert after == before
    rows = list(csv.DictReader(io.StringIO(after)))
    assert [row["to_status"] for row in rows if row["submission_id"] == sid][-1] == "needs_review"


async def test_glancing_at_another_photo_keeps_the_one_you_are_deciding(shop: Console) -> None:
    """Sam takes the oldest photo with "next", then opens another one's page to compare: his
    first photo stays his and the one he looked at stays free, so Ada's "next" gets it.
    """
    ports = shop.services.ports
    first, second = [(await in_review(ports, SKU)).id for _ in range(2)]
    async with (
        signed_in(shop, "sam", "198.51.100.70") as sam,
        signed_in(shop, "ada", "198.51.100.71") as ada,
    ):
        assert (await press_next(sam)).headers["location"] == page_of(first)
        await sam.get(page_of(second))
        assert (await press_next(ada)).headers["location"] == page_of(second)
        queue = items((await sam.get(REVIEW)).text)
    assert "You are reviewing this photo" in queue[first]
    assert 'Being reviewed by <bdi class="claimant">ada</bdi>' in queue[second]
