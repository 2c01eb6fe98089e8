"""The same photo sent again over HTTP: 200 with the first submission, or 409 for someone else."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import partial

import httpx
import pytest

from photogate.domain.catalog import Product
from photogate.settings import Settings
from photogate.testing import samples
from tests.support.web_stack import BackgroundWebStack, footprint, multipart_body, prepare

pytestmark = pytest.mark.integration

SKU = "TT-LAMP-01"
PRODUCT = Product(SKU, "Camp Lantern", "Warm light.", 4900)


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """The web app on real adapters (SQLite catalog) in a fresh data dir, with one product."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("web-duplicates"))
    prepare(settings, [PRODUCT])
    with BackgroundWebStack(settings) as stack:
        yield stack


def post(web: BackgroundWebStack, email: str, photo: bytes) -> httpx.Response:
    fields = [("email", email.encode()), ("display_name", b"Ann"), ("consent", b"true")]
    body, content_type = multipart_body(fields, photo)
    url = f"{web.url}/api/products/{SKU}/photos"
    return httpx.post(url, content=body, headers={"Content-Type": content_type}, timeout=30)


def test_sending_the_same_photo_again_answers_with_the_first_submission(
    web: BackgroundWebStack,
) -> None:
    """A repeat from the same email is a 200 naming the first submission; nothing is stored."""
    photo = samples.clean_jpeg(480, 360, seed=41)
    first = post(web, "ann@example.com", photo)
    assert first.status_code == 202, first.text
    before = footprint(web.settings)
    again = post(web, "Ann@example.com", photo)
    assert again.status_code == 200, again.text
    sid = first.json()["id"]
    assert again.headers["Location"] == f"/api/submissions/{sid}"
    assert again.json() == {
        "id": sid,
        "status": again.json()["status"],
        "status_url": f"/api/submissions/{sid}",
        "page_url": f"/submissions/{sid}",
        "duplicate": True,
        "message": "You already sent this photo for this product; here is where it stands.",
    }
    assert footprint(web.settings) == before


def test_the_same_photo_from_another_email_is_a_409_that_names_nothing(
    web: BackgroundWebStack,
) -> None:
    """Another email's copy is refused with 409; the first customer's status link stays theirs."""
    photo = samples.clean_jpeg(480, 360, seed=42)
    first = post(web, "ann@example.com", photo)
    assert first.status_code == 202, first.text
    before = footprint(web.settings)
    copy = post(web, "mallory@example.com", photo)
    assert copy.status_code == 409
    assert copy.json()["error"] == "already_sent_by_someone_else"
    assert first.json()["id"] not in copy.text
    assert "location" not in copy.headers
    assert footprint(web.settings) == before


def test_the_same_photo_sent_several_times_at_once_is_taken_once(web: BackgroundWebStack) -> None:
    """A double (or quadruple) click: the copies sent together get one submission, a 202 for
    one of them and a 200 naming it for the others, and only one original is stored.
    """
    photo = samples.clean_jpeg(480, 360, seed=43)
    # Another customer than the tests above: each copy takes one of the day's 5 slots until
    # it is found to be a repeat.
    fields = [("email", b"bea@example.com"), ("display_name", b"Bea"), ("consent", b"true")]
    body, content_type = multipart_body(fields, photo)
    before = footprint(web.settings)

    async def send_together() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=web.url, timeout=30) as client:
            post_one = partial(
                client.post,
                f"/api/products/{SKU}/photos",
                content=body,
                headers={"Content-Type": content_type},
            )
            return await asyncio.gather(*(post_one() for _ in range(4)))

    answers = asyncio.run(send_together())
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 202], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    after = footprint(web.settings)
    assert len(after["quarantine"]) == len(before["quarantine"]) + 1  # type: ignore[arg-type]
    assert after["tmp"] == before["tmp"]
    rows, rows_before = after["catalog rows"], before["catalog rows"]
    assert isinstance(rows, dict) and isinstance(rows_before, dict)
    assert rows["submissions"] == rows_before["submissions"] + 1
    assert rows["fingerprints"] == rows_before["fingerprints"] + 1
