"""The console's destructive steps over HTTP: takedown and erasure ask first, refusals lead
back, "someone else decided" says who, and the audit export gives Legal the SKU and codes.
"""

# The console suite's fixture is imported by name, and tests take it as a parameter of the
# same name: that is how pytest injects it, not a redefinition.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from photogate.domain.submission import Status
from photogate.entrypoints.web.console.erase_confirmation import Asked, confirmation
from photogate.moderation.review import approve_submission
from photogate.privacy.erase import ErasurePlan
from tests.integration.test_console_security import (  # noqa: F401 - the fixture by name
    SKU,
    Console,
    shop,
    signed_in,
)
from tests.support.console import csrf_of, in_review, published
from tests.support.heartbeats import a_heartbeat
from tests.support.privacy import sent_by

pytestmark = pytest.mark.integration

ANA = "ana@example.com"
PHOTOS = f"/console/photos?sku={SKU}"
_CONFIRMATION = re.compile(r'name="confirmation" value="([^"]+)"')


async def status_of(console: Console, submission_id: str) -> Status:
    stored = await console.services.ports.catalog.get_submission(submission_id)
    assert stored is not None
    return stored.status


async def takedown_form(client: httpx.AsyncClient, **fields: str) -> dict[str, str]:
    """The photos page's takedown fields with its CSRF token, plus `fields`."""
    token = csrf_of((await client.get(PHOTOS)).text)
    return {"csrf_token": token, "back": PHOTOS, **fields}


async def test_a_takedown_is_only_shown_on_the_first_post_and_done_on_the_confirmation(
    shop: Console,
) -> None:
    """The form's POST shows the photo and reason and changes nothing; the confirm POST takes
    it down with "code: note" in the audit and returns to the list.
    """
    live = await published(shop.services.ports, SKU, display_name="Toni")
    async with signed_in(shop, "sam", "198.51.100.20") as sam:
        data = await takedown_form(sam, reason="legal_request", note="ticket 42")
        asked = await sam.post(f"/console/submissions/{live.id}/takedown", data=data)
        assert asked.status_code == 200
        assert await status_of(shop, live.id) is Status.APPROVED
        assert 'id="takedown-confirm"' in asked.text
        assert re.search(r'<img src="/media/[^"]+" alt="Photo by Toni"', asked.text), asked.text
        assert "Copyright or legal request" in asked.text and "ticket 42" in asked.text
        confirm = {**data, "csrf_token": csrf_of(asked.text)}
        done = await sam.post(f"/console/submissions/{live.id}/takedown/confirm", data=confirm)
    assert done.status_code == 303
    assert done.headers["location"] == f"{PHOTOS}&notice=taken_down"
    assert await status_of(shop, live.id) is Status.TAKEN_DOWN
    trail = await shop.services.ports.catalog.audit_trail(live.id)
    assert (trail[-1].actor, trail[-1].reason) == ("moderator:sam", "legal_request: ticket 42")


async def test_a_takedown_needs_a_listed_reason_code_and_a_note_for_other(shop: Console) -> None:
    """No code, a made-up one, or "other" without a note is a 422 at either step; nothing goes."""
    live = await published(shop.services.ports, SKU)
    async with signed_in(shop, "sam", "198.51.100.21") as sam:
        for step in ("takedown", "takedown/confirm"):
            for fields, said in [
                ({}, "Choose one of the listed reasons"),
                ({"reason": "complaint"}, "Choose one of the listed reasons"),
                ({"reason": "other", "note": "  "}, "Please say in the note why"),
            ]:
                data = await takedown_form(sam, **fields)
                response = await sam.post(f"/console/submissions/{live.id}/{step}", data=data)
                assert response.status_code == 422, (step, fields)
                assert said in response.text
    assert await status_of(shop, live.id) is Status.APPROVED


async def test_the_takedown_check_of_a_gone_or_unknown_photo_changes_nothing(
    shop: Console,
) -> None:
    """A photo taken down meanwhile sends the first step back with who did it; an unknown id
    is a 404.
    """
    live = await published(shop.services.ports, SKU)
    async with signed_in(shop, "sam", "198.51.100.30") as sam:
        data = await takedown_form(sam, reason="privacy")
        await sam.post(f"/console/submissions/{live.id}/takedown/confirm", data=data)
        again = await sam.post(f"/console/submissions/{live.id}/takedown", data=data)
        unknown = await sam.post("/console/submissions/nope/takedown", data=data)
    assert again.status_code == 303
    assert again.headers["location"] == f"{PHOTOS}&decided={live.id}&notice=settled"
    assert unknown.status_code == 404
    assert "There is no submission with this id." in unknown.text


async def test_a_refused_form_keeps_the_signed_in_menu_and_leads_back_to_it(
    shop: Console,
) -> None:
    """The error page of a form mistake shows who is signed in, not the shop's menu, and its
    button returns to the page the form came from.
    """
    live = await published(shop.services.ports, SKU)
    async with signed_in(shop, "sam", "198.51.100.22") as sam:
        data = await takedown_form(sam, reason="other")
        refused = await sam.post(f"/console/submissions/{live.id}/takedown", data=data)
        foreign = await takedown_form(sam, reason="other", back="https://evil.example/")
        elsewhere = await sam.post(f"/console/submissions/{live.id}/takedown", data=foreign)
    assert refused.status_code == 422
    assert 'id="sign-out"' in refused.text and "sam" in refused.text
    assert '<a href="/">Shop</a>' not in refused.text
    back = re.search(
        r'<a id="refusal-back" class="button" href="([^"]+)">([^<]+)</a>', refused.text
    )
    assert back is not None
    assert (back[1], back[2]) == (PHOTOS.replace("&", "&amp;"), "Back to the form")
    assert 'id="refusal-back" class="button" href="/console">' in elsewhere.text


async def test_acting_on_a_photo_someone_else_decided_names_who_and_what(shop: Console) -> None:
    """A takedown confirmed after another's, or a rejection from the detail page of a photo
    already approved, says who decided, what, and when, and changes nothing.
    """
    ports = shop.services.ports
    live, approved = await published(ports, SKU), await published(ports, SKU)
    async with (
        signed_in(shop, "ada", "198.51.100.23") as ada,
        signed_in(shop, "sam", "198.51.100.24") as sam,
    ):
        stale = await takedown_form(sam, reason="privacy")
        first = await takedown_form(ada, reason="offensive")
        await ada.post(f"/console/submissions/{live.id}/takedown/confirm", data=first)
        late = await sam.post(f"/console/submissions/{live.id}/takedown/confirm", data=stale)
        assert late.status_code == 303
        assert late.headers["location"] == f"{PHOTOS}&decided={live.id}&notice=settled"
        notice = (await sam.get(late.headers["location"])).text
        here = f"/console/submissions/{approved.id}"
        data = {"reason": "spam", "csrf_token": stale["csrf_token"], "back": here}
        rejected = await sam.post(f"{here}/reject", data=data)
        detail = (await sam.get(rejected.headers["location"])).text
    hhmm = r"\d\d:\d\d UTC"
    assert re.search(rf"decided on this photo first: ada took it down at {hhmm}\.", notice)
    assert re.search(rf"decided on this photo first: seed approved it at {hhmm}\.", detail)
    trail = await ports.catalog.audit_trail(live.id)
    assert [e.actor for e in trail].count("moderator:sam") == 0
    assert await status_of(shop, approved.id) is Status.APPROVED


async def test_a_decision_from_the_queue_on_a_photo_already_decided_names_who(
    shop: Console,
) -> None:
    """Rejecting from the review queue a photo another moderator approved meanwhile changes
    nothing and the queue says who approved it.
    """
    ports = shop.services.ports
    waiting = await in_review(ports, SKU)
    async with signed_in(shop, "sam", "198.51.100.25") as sam:
        queue = await sam.get("/console/review")
        await approve_submission(waiting.id, moderator="mia", ports=ports)
        data = {"reason": "spam", "csrf_token": csrf_of(queue.text), "back": "/console/review"}
        late = await sam.post(f"/console/submissions/{waiting.id}/reject", data=data)
        assert late.headers["location"] == f"/console/review?decided={waiting.id}&notice=settled"
        page = (await sam.get(late.headers["location"])).text
    assert re.search(r"decided on this photo first: mia approved it at \d\d:\d\d UTC\.", page)
    assert await status_of(shop, waiting.id) is Status.APPROVED


async def check_erasure(admin: httpx.AsyncClient, **fields: str) -> httpx.Response:
    """The erase form's first step, with its CSRF token."""
    token = csrf_of((await admin.get("/console/erase")).text)
    return await admin.post("/console/erase", data={"csrf_token": token, **fields})


def confirm_fields(page: httpx.Response, **changes: str) -> dict[str, str]:
    """The confirmation form's fields of a first step's page, with `changes`."""
    found = _CONFIRMATION.search(page.text)
    assert found, "no confirmation on the page"
    fields = {"csrf_token": csrf_of(page.text), "email": ANA, "reference": "T-42"}
    fields["back"] = "/console/erase"
    return {**fields, "confirmation": found[1], **changes}


async def test_an_erasure_shows_what_it_would_do_then_erases_on_the_second_post(
    shop: Console,
) -> None:
    """The first POST counts the submissions and published photos of a masked address and
    changes nothing; the confirmation erases, auditing the request's reference.
    """
    ports = shop.services.ports
    live = await sent_by(ports, SKU, ANA, Status.APPROVED)
    await sent_by(ports, SKU, ANA, Status.REJECTED)
    async with signed_in(shop, "ada", "198.51.100.25") as admin:
        page = await check_erasure(admin, email=ANA, reference="T-42")
        assert page.status_code == 200
        plan = re.sub(r"<[^>]+>", "", page.text)
        assert "2 submissions, 1 published photo of a•••@example.com, for request T-42" in plan
        assert 'class="button button-danger"' in page.text
        assert await ports.catalog.get_photo(live.id) is not None
        done = await admin.post("/console/erase/confirm", data=confirm_fields(page))
    assert done.status_code == 200
    assert "Erased 2 submissions; 1 photo was taken off the shop" in done.text
    assert await status_of(shop, live.id) is Status.ERASED
    trail = await ports.catalog.audit_trail(live.id)
    assert [(e.to_status, e.reason) for e in trail[-2:]] == [
        (Status.TAKEN_DOWN, "erased by admin: T-42"),
        (Status.ERASED, "erased by admin: T-42"),
    ]


async def test_a_tampered_foreign_or_expired_erasure_confirmation_is_refused(
    shop: Console,
) -> None:
    """Changed counts, another reference or address, or an old token are refused with a
    sentence saying what to do; nothing is erased.
    """
    live = await sent_by(shop.services.ports, SKU, ANA, Status.APPROVED)
    async with signed_in(shop, "ada", "198.51.100.26") as admin:
        codec = shop.transport.app.state.console_codec  # made by the sign-in
        asked = Asked("ada", ANA, "T-42")
        old = confirmation(codec, asked, ErasurePlan(1, 1), time.time() - 3600)
        page = await check_erasure(admin, email=ANA, reference="T-42")
        token = confirm_fields(page)["confirmation"]
        for changes, status, said in [
            ({"confirmation": "9" + token[1:]}, 400, "This confirmation is not valid"),
            ({"reference": "T-43"}, 400, "This confirmation is not valid"),
            ({"email": "bob@example.com"}, 400, "This confirmation is not valid"),
            ({"confirmation": ""}, 400, "This confirmation is not valid"),
            ({"confirmation": old}, 410, "This confirmation has expired"),
        ]:
            response = await admin.post(
                "/console/erase/confirm", data=confirm_fields(page, **changes)
            )
            assert (response.status_code, said in response.text) == (status, True), changes
            assert 'href="/console/erase">Back to the form' in response.text
    assert await status_of(shop, live.id) is Status.APPROVED


async def test_an_erasure_refuses_counts_that_changed_and_needs_a_reference(
    shop: Console,
) -> None:
    """A photo sent after the check makes the confirmation a 409; no reference is a 422 and
    a malformed address a 400.
    """
    ports = shop.services.ports
    live = await sent_by(ports, SKU, ANA, Status.APPROVED)
    async with signed_in(shop, "ada", "198.51.100.27") as admin:
        missing = await check_erasure(admin, email=ANA, reference=" ")
        assert (missing.status_code, "reference" in missing.text) == (422, True)
        malformed = await check_erasure(admin, email="ana at example", reference="T-42")
        assert (malformed.status_code, "not an email address" in malformed.text) == (400, True)
        page = await check_erasure(admin, email=ANA, reference="T-42")
        await sent_by(ports, SKU, ANA, Status.NEEDS_REVIEW)
        changed = await admin.post("/console/erase/confirm", data=confirm_fields(page))
    assert changed.status_code == 409
    assert "now 2 submission(s), 1 published photo(s)" in changed.text
    assert await status_of(shop, live.id) is Status.APPROVED


async def test_the_audit_export_names_the_sku_and_the_reason_code(shop: Console) -> None:
    """Legal's CSV has sku and reason_code columns; an admin's erasure gives its reference."""
    ports = shop.services.ports
    taken = await published(ports, SKU)
    await sent_by(ports, SKU, ANA, Status.APPROVED)
    async with signed_in(shop, "ada", "198.51.100.28") as admin:
        data = await takedown_form(admin, reason="customer_asked", note="ticket 7")
        await admin.post(f"/console/submissions/{taken.id}/takedown/confirm", data=data)
        page = await check_erasure(admin, email=ANA, reference="T-42")
        await admin.post("/console/erase/confirm", data=confirm_fields(page))
        rows = list(csv.DictReader(io.StringIO((await admin.get("/console/audit.csv")).text)))
    takedown = next(
        r for r in rows if r["submission_id"] == taken.id and r["actor"] == "moderator:ada"
    )
    assert (takedown["sku"], takedown["reason_code"], takedown["reason"]) == (
        SKU,
        "customer_asked",
        "customer_asked: ticket 7",
    )
    erased = [r for r in rows if r["reason"] == "erased by admin: T-42"]
    assert {(r["to_status"], r["reason_code"], r["sku"]) for r in erased} == {
        ("taken_down", "", SKU),
        ("erased", "", SKU),
    }


async def test_pipeline_counts_link_to_the_lists_that_exist(shop: Console) -> None:
    """In review links to the review queue, approved to the photos; other states to nothing."""
    await in_review(shop.services.ports, SKU)
    await published(shop.services.ports, SKU)
    async with signed_in(shop, "sam", "198.51.100.29") as sam:
        page = (await sam.get("/console/pipeline")).text
    for status, href in (("needs_review", "/console/review"), ("approved", "/console/photos")):
        row = re.search(rf'<tr data-status="{status}">.*?</tr>', page)
        assert row is not None
        assert f'<a class="pipeline-link" href="{href}">1</a>' in row[0]
    assert page.count('class="pipeline-link"') == 2


async def test_the_pipeline_page_lists_scan_workers_and_warns_of_a_failing_scanner(
    shop: Console,
) -> None:
    """A worker's heartbeat is a row of the workers table; its open breaker is an alert that
    names the last error, escaped as text.
    """
    now = datetime.now(UTC)
    beat = a_heartbeat(
        "scan-host:77", now - timedelta(seconds=3), failing="the scanner answered 500 <html>"
    )
    await shop.services.ports.catalog.record_heartbeat(beat)
    async with signed_in(shop, "sam", "198.51.100.30") as sam:
        page = (await sam.get("/console/pipeline")).text
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    assert title is not None and title[1].startswith("Pipeline ·")
    assert page.count('id="workers"') == 1
    row = re.search(r'<tr data-worker="scan-host:77">.*?</tr>', page)
    assert row is not None
    assert "<td>120</td>" in row[0] and "<td>9</td>" in row[0]
    assert "down: calls paused" in row[0]
    alert = re.search(r'<p class="notice worker-warning" role="alert">(.*?)</p>', page)
    assert alert is not None
    assert "scan-host:77" in alert[1]
    assert "500 &lt;html&gt;" in alert[1]


async def test_a_form_sent_twice_is_answered_as_its_first_copy(shop: Console) -> None:
    """A double click sends a decision twice: the second copy finds its own first copy's work
    and says so (the takedown done, the rejection with its undo, the erasure done), not that
    someone else decided or that nothing was changed.
    """
    ports = shop.services.ports
    live = await published(ports, SKU)
    waiting = await in_review(ports, SKU)
    await sent_by(ports, SKU, ANA, Status.REJECTED)
    async with signed_in(shop, "ada", "198.51.100.27") as ada:
        takedown = await takedown_form(ada, reason="privacy")
        url = f"/console/submissions/{live.id}/takedown/confirm"
        taken = [await ada.post(url, data=takedown) for _ in range(2)]
        token = csrf_of((await ada.get(f"/console/submissions/{waiting.id}")).text)
        reject = {"csrf_token": token, "reason": "spam", "back": "/console/review"}
        url = f"/console/submissions/{waiting.id}/reject"
        rejected = [await ada.post(url, data=reject) for _ in range(2)]
        page = await check_erasure(ada, email=ANA, reference="T-42")
        erased = [await ada.post("/console/erase/confirm", data=confirm_fields(page))]
        erased.append(await ada.post("/console/erase/confirm", data=confirm_fields(page)))
    assert [r.headers["location"] for r in taken] == [f"{PHOTOS}&notice=taken_down"] * 2
    assert rejected[0].headers["location"] == rejected[1].headers["location"]
    assert "undo=" in rejected[1].headers["location"]
    assert [r.status_code for r in erased] == [200, 200]
    assert "Erased 1 submission" in erased[0].text
    assert "Nothing left to erase" in erased[1].text
