"""Rate limits over HTTP hold for requests sent at once, and count what they should: every photo
sent from an address, photos kept for an email, failed sign-ins but not successful ones.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import Counter
from pathlib import Path

import httpx
import pytest

from photogate.entrypoints.web.console import signin
from photogate.testing import samples
from tests.integration.test_console_security import SKU, running, sign_in, upload
from tests.support.console import csrf_of
from tests.support.web_stack import multipart_body

pytestmark = pytest.mark.integration


def send(client: httpx.AsyncClient, email: str, photo: bytes) -> asyncio.Future[httpx.Response]:
    """Post `photo` for SKU from `email`, as a form would."""
    fields = [("email", email.encode()), ("display_name", b"Kim"), ("consent", b"true")]
    body, content_type = multipart_body(fields, photo)
    return asyncio.ensure_future(
        client.post(
            f"/api/products/{SKU}/photos", content=body, headers={"Content-Type": content_type}
        )
    )


async def test_uploads_sent_at_once_from_one_address_stop_at_its_limit(tmp_path: Path) -> None:
    """Twelve photos at once, five an hour allowed: five are accepted, seven get 429 with
    Retry-After, and nothing more gets through afterwards.
    """
    async with (
        running(tmp_path, uploads={"per_ip_per_hour": 5}) as console,
        console.client({"X-Forwarded-For": "192.0.2.50"}) as client,
    ):
        answers = await asyncio.gather(*(upload(client, f"u{n}@example.com") for n in range(12)))
        after = await upload(client, "late@example.com")
    assert Counter(r.status_code for r in answers) == {202: 5, 429: 7}
    refused = [r for r in answers if r.status_code == 429]
    assert all(3500 < int(r.headers["retry-after"]) <= 3600 for r in refused)
    assert {r.json()["error"] for r in refused} == {"too_many_uploads"}
    assert after.status_code == 429


async def test_uploads_sent_at_once_for_one_email_and_product_stop_at_its_limit(
    tmp_path: Path,
) -> None:
    """Eight different photos of one product from one email at once, three a day allowed:
    three are accepted, five are refused with the customer-facing sentence.
    """
    photos = [samples.clean_jpeg(320, 240, seed=n) for n in range(8)]
    limits = {"per_ip_per_hour": 0, "per_email_per_product_per_day": 3}
    async with (
        running(tmp_path, uploads=limits) as console,
        console.client({"X-Forwarded-For": "192.0.2.51"}) as client,
    ):
        answers = await asyncio.gather(*(send(client, "kim@example.com", p) for p in photos))
    assert Counter(r.status_code for r in answers) == {202: 3, 429: 5}
    refused = next(r for r in answers if r.status_code == 429)
    assert "already sent 3 photos of this product today" in refused.json()["detail"]
    assert "retry-after" in refused.headers


async def test_refused_photos_count_for_the_address_but_not_for_the_email(
    tmp_path: Path,
) -> None:
    """A corrupt photo uses one of the address's slots (its decoding cost the work) but none
    of the email's; a photo answered as sent before uses none of the email's either.
    """
    limits = {"per_ip_per_hour": 4, "per_email_per_product_per_day": 2}
    first, second = (samples.clean_jpeg(320, 240, seed=zlib.crc32(b"x") + n) for n in range(2))
    async with (
        running(tmp_path, uploads=limits) as console,
        console.client({"X-Forwarded-For": "192.0.2.52"}) as client,
    ):
        corrupt = await send(client, "kim@example.com", samples.truncated_jpeg())
        kept = await send(client, "kim@example.com", first)
        again = await send(client, "kim@example.com", first)
        other = await send(client, "kim@example.com", second)
        over_address = await send(client, "lee@example.com", samples.clean_jpeg(320, 240, 7))
    assert corrupt.status_code == 400, corrupt.text
    assert (kept.status_code, again.status_code, other.status_code) == (202, 200, 202)
    assert over_address.status_code == 429
    assert "a lot of photos in a short time" in over_address.json()["detail"]


async def test_wrong_passwords_sent_at_once_stop_at_the_failure_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty guesses at once for one user, five failures allowed: five are checked (401), the
    rest get 429 with Retry-After without a password being checked.
    """
    checked = spy_on_password_checks(monkeypatch)
    async with (
        running(tmp_path) as console,
        console.client({"X-Forwarded-For": "203.0.113.60"}) as client,
    ):
        form = await client.get("/console/sign-in")
        token = csrf_of(form.text)

        def guess(n: int) -> asyncio.Future[httpx.Response]:
            data = {"username": "sam", "password": f"guess{n}", "csrf_token": token}
            return asyncio.ensure_future(client.post("/console/sign-in", data=data))

        answers = await asyncio.gather(*(guess(n) for n in range(20)))
    assert Counter(r.status_code for r in answers) == {401: 5, 429: 15}
    assert all("retry-after" in r.headers for r in answers if r.status_code == 429)
    # Each scrypt check costs a quarter of a second of CPU: the refused guesses must cost none.
    assert sorted(checked) == sorted(
        f"guess{n}" for n, r in enumerate(answers) if r.status_code == 401
    )


def spy_on_password_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords the sign-in route checks from now on (against a user's hash, or for show
    against a dummy one for an unknown user), in the order checked; the checks still run.
    """
    checked: list[str] = []
    real_verify, real_waste = signin.verify_password, signin.waste_time

    def verify(password: str, stored: str) -> bool:
        checked.append(password)
        return real_verify(password, stored)

    def waste(password: str) -> None:
        checked.append(password)
        real_waste(password)

    monkeypatch.setattr(signin, "verify_password", verify)
    monkeypatch.setattr(signin, "waste_time", waste)
    return checked


async def test_successful_sign_ins_use_up_no_failures(tmp_path: Path) -> None:
    """Four failures, then any number of sign-ins that succeed: the fifth failure is still
    answered 401, and only the one after it 429.
    """
    async with (
        running(tmp_path) as console,
        console.client({"X-Forwarded-For": "203.0.113.61"}) as client,
    ):
        for _ in range(4):
            assert (await sign_in(client, "sam", "nope")).status_code == 401
        for _ in range(3):
            assert (await sign_in(client, "sam")).status_code == 303
            client.cookies.clear()
        assert (await sign_in(client, "sam", "nope")).status_code == 401
        assert (await sign_in(client, "sam")).status_code == 429
