"""Consent and withdrawal over HTTP: the licence, the signed link, the console's erase form."""

# The console suite's fixture is imported by name, and tests take it as a parameter of the
# same name: that is how pytest injects it, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from photogate.clock import utcnow
from photogate.domain.licence import CURRENT
from photogate.domain.submission import Status
from photogate.ports import Container
from photogate.privacy.links import WithdrawalLinks
from photogate.testing import samples
from tests.integration.test_console_security import (  # noqa: F401 - the fixture by name
    SKU,
    Console,
    running,
    shop,
    signed_in,
)
from tests.support.console import csrf_of
from tests.support.privacy import mail_copies, send_owed_emails, sent_by
from tests.support.web_stack import multipart_body

pytestmark = pytest.mark.integration

ANA, BOB = "ana@example.com", "bob@example.com"


def links_of(console: Console) -> WithdrawalLinks:
    links = console.services.notify_policy.links
    assert links is not None
    return links


async def stored_files(console: Console) -> tuple[list[Path], list[Path]]:
    """The files left in the data dir's quarantine and public containers."""
    root = console.services.settings.blob_dir
    return tuple(  # type: ignore[return-value]
        sorted(p for p in (root / container).rglob("*") if p.is_file())
        for container in (Container.QUARANTINE, Container.PUBLIC)
    )


async def test_an_upload_records_the_licence_version_the_customer_accepted(
    shop: Console,
) -> None:
    """The form's licence version (or the current one when none is sent) is stored."""
    async with shop.client() as client:
        for sent in ([("licence_version", CURRENT.encode())], []):
            fields = [("email", ANA.encode()), ("display_name", b"Ana"), ("consent", b"true")]
            photo = samples.clean_jpeg(seed=len(sent) + 40)
            body, kind = multipart_body(fields + sent, photo)
            response = await client.post(
                f"/api/products/{SKU}/photos", content=body, headers={"Content-Type": kind}
            )
            assert response.status_code == 202, response.text
            stored = await shop.services.ports.catalog.get_submission(response.json()["id"])
            assert stored is not None
            assert (stored.licence_version, stored.consent_at) == (CURRENT, stored.created_at)


async def test_an_unknown_licence_version_or_no_consent_is_refused(shop: Console) -> None:
    """A made-up licence version is a 422 unknown_licence; no tick is a 422 consent_required."""
    cases = [
        ([("consent", b"true"), ("licence_version", b"1999-01")], "unknown_licence"),
        ([], "consent_required"),
    ]
    async with shop.client() as client:
        for extra, code in cases:
            fields = [("email", ANA.encode()), ("display_name", b"Ana"), *extra]
            body, kind = multipart_body(fields, samples.clean_jpeg(seed=7))
            response = await client.post(
                f"/api/products/{SKU}/photos", content=body, headers={"Content-Type": kind}
            )
            assert (response.status_code, response.json()["error"]) == (422, code)
            assert "licence" in response.json()["detail"]


async def test_the_licence_pages_show_the_text_by_version(shop: Console) -> None:
    """/licence shows the current text; /licence/VERSION that one; an unknown one is a 404."""
    async with shop.client() as client:
        current = await client.get("/licence")
        assert current.status_code == 200
        assert f'id="licence-version">{CURRENT}<' in current.text
        assert (await client.get(f"/licence/{CURRENT}")).text == current.text
        missing = await client.get("/licence/1999-01")
        assert missing.status_code == 404
        assert "no photo licence of version" in missing.text
        product = await client.get(f"/products/{SKU}")
        assert f'name="licence_version" value="{CURRENT}"' in product.text


async def test_opening_the_link_only_asks_and_confirming_erases(shop: Console) -> None:
    """GET shows the confirmation and changes nothing; the POST erases; a repeat says so."""
    live = await sent_by(shop.services.ports, SKU, ANA, Status.APPROVED)
    url = f"/withdraw/{links_of(shop).token(live.id)}"
    async with shop.client() as client:
        asked = await client.get(url)
        assert asked.status_code == 200
        assert 'id="withdraw-confirm"' in asked.text
        assert asked.headers["cache-control"] == "no-store"
        assert ANA not in asked.text
        assert (await shop.services.ports.catalog.get_photo(live.id)) is not None
        done = await client.post(url)
        assert done.status_code == 200
        assert "We erased 1 photo" in done.text
        gallery = await client.get(f"/api/products/{SKU}/photos")
        assert gallery.json()["total"] == 0
        status = await client.get(f"/api/submissions/{live.id}")
        assert status.json()["status"] == "erased"
        assert (await client.get(f"/submissions/{live.id}")).status_code == 200
        again = await client.post(url)
        assert "nothing left to erase" in again.text
        assert "erased before" in (await client.get(url)).text
    assert await stored_files(shop) == ([], [])
    erased = await shop.services.ports.catalog.get_submission(live.id)
    assert erased is not None
    assert (erased.status, erased.email) == (Status.ERASED, "")


async def test_withdrawing_leaves_no_copy_of_the_customers_emails_in_the_outbox(
    shop: Console,
) -> None:
    """The file mailer's .eml copies of the customer's thank-yous (address, name, caption) go
    with the rest of their data; another customer's stay.
    """
    ana = await sent_by(shop.services.ports, SKU, ANA, Status.APPROVED)
    await sent_by(shop.services.ports, SKU, ANA, Status.APPROVED)
    await sent_by(shop.services.ports, SKU, BOB, Status.APPROVED)
    assert await send_owed_emails(shop.services.ports, shop.services.notify_policy) == 3
    outbox = shop.services.settings.outbox_dir
    assert len(mail_copies(outbox, ANA)) == 2
    async with shop.client() as client:
        done = await client.post(f"/withdraw/{links_of(shop).token(ana.id)}")
    assert done.status_code == 200
    assert mail_copies(outbox, ANA) == []
    assert mail_copies(outbox, "") == mail_copies(outbox, BOB) != []


async def test_a_link_cannot_be_forged_or_pointed_at_another_customer(shop: Console) -> None:
    """Tampered, re-pointed and foreign-key tokens get a clear 400 page and erase nothing."""
    ana = await sent_by(shop.services.ports, SKU, ANA, Status.APPROVED)
    bob = await sent_by(shop.services.ports, SKU, BOB, Status.APPROVED)
    token = links_of(shop).token(ana.id)
    _, expiry, signature = token.split(".")
    forged = replace(links_of(shop), key=b"not the key" * 4).token(bob.id)
    async with shop.client() as client:
        for bad in (f"{bob.id}.{expiry}.{signature}", token[:-2] + "AA", forged, "nonsense"):
            for response in (
                await client.get(f"/withdraw/{bad}"),
                await client.post(f"/withdraw/{bad}"),
            ):
                assert response.status_code == 400, bad
                assert "This withdrawal link is not valid" in response.text
    for submission in (ana, bob):
        assert await shop.services.ports.catalog.get_photo(submission.id) is not None


async def test_an_expired_link_is_refused_with_what_to_do(shop: Console) -> None:
    """A link past its lifetime gets a 410 page pointing to a newer email or customer service."""
    ana = await sent_by(shop.services.ports, SKU, ANA, Status.APPROVED)
    past = replace(links_of(shop), clock=lambda: utcnow() - timedelta(days=400))
    async with shop.client() as client:
        response = await client.post(f"/withdraw/{past.token(ana.id)}")
    assert response.status_code == 410
    assert "expired" in response.text and "customer service" in response.text
    assert await shop.services.ports.catalog.get_photo(ana.id) is not None


async def test_only_an_admin_may_erase_from_the_console_and_only_with_the_csrf_token(
    shop: Console,
) -> None:
    """A moderator gets 403, a form without the token 403; the admin's erasure (checked, then
    confirmed) names no one.
    """
    ana = await sent_by(shop.services.ports, SKU, ANA, Status.APPROVED)
    asked = {"email": ANA, "reference": "T-1"}
    async with signed_in(shop, "sam", "198.51.100.7") as moderator:
        assert (await moderator.get("/console/erase")).status_code == 403
        for step in ("/console/erase", "/console/erase/confirm"):
            assert (await moderator.post(step, data=asked)).status_code == 403
    async with signed_in(shop, "ada", "198.51.100.8") as admin:
        form = await admin.get("/console/erase")
        assert form.status_code == 200
        for step in ("/console/erase", "/console/erase/confirm"):
            assert (await admin.post(step, data=asked)).status_code == 403
        assert await shop.services.ports.catalog.get_photo(ana.id) is not None
        checked = await admin.post(
            "/console/erase", data={**asked, "csrf_token": csrf_of(form.text)}
        )
        assert checked.status_code == 200
        assert ANA not in re.sub(r'<input type="hidden"[^>]*>', "", checked.text)
        token = re.search(r'name="confirmation" value="([^"]+)"', checked.text)
        assert token is not None
        data = {**asked, "csrf_token": csrf_of(form.text), "confirmation": token[1]}
        done = await admin.post("/console/erase/confirm", data=data)
        assert done.status_code == 200
        assert "Erased 1 submission" in done.text
        again = await admin.post("/console/erase", data={**asked, "csrf_token": csrf_of(form.text)})
        assert "Nothing to erase" in again.text
        assert 'id="erase-confirm-submit"' not in again.text
    trail = await shop.services.ports.catalog.audit_trail(ana.id)
    assert trail[-1].actor == "moderator:ada"
    assert await stored_files(shop) == ([], [])


async def test_web_and_worker_of_one_data_dir_sign_with_the_same_key(tmp_path: Path) -> None:
    """Two bootstraps of one data dir (web and worker processes) accept each other's links."""
    async with running(tmp_path / "a") as first, running(tmp_path / "a") as second:
        token = links_of(first).token("f" * 32)
        assert links_of(second).verify(token) == "f" * 32
