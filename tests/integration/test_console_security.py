"""The console over HTTP: who may do what, CSRF, cookies, sign-in and upload rate limits."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from photogate.bootstrap import Services, bootstrap
from photogate.domain.catalog import Product
from photogate.domain.submission import Status
from photogate.entrypoints.web.app import create_app
from photogate.messages import SCAN_QUEUE, poison_queue
from photogate.settings import Settings
from photogate.testing import samples
from tests.support.console import PASSWORD, csrf_of, in_review, published, staff_users
from tests.support.web_stack import multipart_body, prepare

pytestmark = pytest.mark.integration

SKU = "TT-BOTTLE-1"
PRODUCT = Product(SKU, "Trail Bottle", "A bottle.", 1900)


@dataclass
class Console:
    """The app on real adapters in a fresh data dir, reached in-process over ASGI."""

    services: Services
    transport: httpx.ASGITransport
    base_url: str

    def client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        """A new browser: its own cookie jar, from its own address (via X-Forwarded-For)."""
        return httpx.AsyncClient(
            transport=self.transport, base_url=self.base_url, headers=headers or {}
        )


@asynccontextmanager
async def running(
    tmp_path: Path, *, base_url: str = "http://shop.test", **settings: Any
) -> AsyncIterator[Console]:
    console = {"users": staff_users(), **settings.pop("console", {})}
    config = Settings(
        _env_file=None,
        data_dir=tmp_path,
        console=console,
        web={"trusted_proxy_hops": 1},
        **settings,
    )
    await asyncio.to_thread(prepare, config, [PRODUCT])
    (tmp_path / "tmp").mkdir(exist_ok=True)
    services = await bootstrap(config)
    app = create_app(config, services=services)
    app.state.services = services  # the lifespan would; ASGITransport does not run it
    try:
        yield Console(services, httpx.ASGITransport(app=app), base_url)
    finally:
        await services.aclose()


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[Console]:
    """The app with a moderator "sam" and an admin "ada", trusting one proxy hop."""
    async with running(tmp_path) as console:
        yield console


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD, next_url: str = ""
) -> httpx.Response:
    """Fetch the form (for its token), then post it."""
    form = await client.get("/console/sign-in")
    data = {"username": username, "password": password, "csrf_token": csrf_of(form.text)}
    if next_url:
        data["next"] = next_url
    return await client.post("/console/sign-in", data=data)


@asynccontextmanager
async def signed_in(
    console: Console, username: str, address: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in as `username`, coming from `address`."""
    async with console.client({"X-Forwarded-For": address}) as client:
        response = await sign_in(client, username)
        assert response.status_code == 303, response.text
        yield client


def post_routes(sid: str) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/console/submissions/{sid}/approve", {}),
        (f"/console/submissions/{sid}/reject", {"reason": "spam"}),
        (f"/console/submissions/{sid}/takedown", {"reason": "privacy"}),
        (f"/console/submissions/{sid}/takedown/confirm", {"reason": "privacy"}),
        (f"/console/submissions/{sid}/take-over", {}),
        (f"/console/submissions/{sid}/undo-rejection", {}),
        ("/console/review/next", {}),
        ("/console/erase", {"email": "kim@example.com", "reference": "T-1"}),
        ("/console/erase/confirm", {"email": "kim@example.com", "reference": "T-1"}),
        ("/console/sign-out", {}),
    ]


async def test_every_console_page_sends_anonymous_visitors_to_sign_in(shop: Console) -> None:
    """Each page answers an anonymous visitor with a redirect to sign-in that comes back."""
    sid = (await in_review(shop.services.ports, SKU)).id
    async with shop.client() as client:
        for page in [
            "/console",
            "/console/review",
            "/console/photos?sku=TT",
            "/console/pipeline",
            f"/console/submissions/{sid}",
        ]:
            response = await client.get(page)
            assert response.status_code == 303, page
            assert response.headers["location"].startswith("/console/sign-in?next=/console")


async def test_anonymous_posts_previews_and_exports_are_refused(shop: Console) -> None:
    """Every POST, the photo preview and the CSV answer 401 without a session, changing nothing."""
    sid = (await in_review(shop.services.ports, SKU)).id
    async with shop.client() as client:
        for url, data in post_routes(sid):
            assert (await client.post(url, data=data)).status_code == 401, url
        for url in [f"/console/submissions/{sid}/preview", "/console/audit.csv"]:
            response = await client.get(url)
            assert response.status_code == 401, url
            assert "image" not in response.headers["content-type"]
    stored = await shop.services.ports.catalog.get_submission(sid)
    assert stored is not None and stored.status is Status.NEEDS_REVIEW


async def test_the_audit_export_is_for_admins_only(shop: Console) -> None:
    """A moderator gets 403 for the CSV; an admin gets every entry as an attachment."""
    sid = (await in_review(shop.services.ports, SKU, caption="=cmd|' /C calc'!A0")).id
    async with (
        signed_in(shop, "sam", "198.51.100.1") as moderator,
        signed_in(shop, "ada", "198.51.100.2") as admin,
    ):
        assert (await moderator.get("/console/audit.csv")).status_code == 403
        response = await admin.get("/console/audit.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.text.splitlines()
    assert lines[0] == "seq,at,submission_id,sku,from_status,to_status,actor,reason_code,reason"
    assert any(f"{sid},{SKU}," in line and "review,scanner:test,,unsure" in line for line in lines)


async def test_every_post_needs_its_sessions_csrf_token(shop: Console) -> None:
    """Without the token, or with another session's, each POST is a 403 and nothing changes."""
    ports = shop.services.ports
    waiting, live = await in_review(ports, SKU), await published(ports, SKU)
    async with (
        signed_in(shop, "sam", "198.51.100.3") as sam,
        signed_in(shop, "ada", "198.51.100.4") as other,
    ):
        foreign = csrf_of((await other.get("/console/review")).text)
        for sid in (waiting.id, live.id):
            for url, data in post_routes(sid):
                for token in ({}, {"csrf_token": foreign}, {"csrf_token": ""}):
                    response = await sam.post(url, data={**data, **token})
                    assert response.status_code == 403, (url, token)
        assert (await sam.get("/console/review")).status_code == 200, "still signed in"
    for sid, status in ((waiting.id, Status.NEEDS_REVIEW), (live.id, Status.APPROVED)):
        stored = await ports.catalog.get_submission(sid)
        assert stored is not None and stored.status is status


async def test_a_post_with_the_right_token_is_carried_out(shop: Console) -> None:
    """The same rejection with the session's token goes through and returns to the queue."""
    sid = (await in_review(shop.services.ports, SKU)).id
    async with signed_in(shop, "sam", "198.51.100.5") as sam:
        token = csrf_of((await sam.get("/console/review")).text)
        data = {"reason": "spam", "csrf_token": token, "back": "https://evil.example/"}
        response = await sam.post(f"/console/submissions/{sid}/reject", data=data)
    assert response.status_code == 303
    # Back to the queue (never the foreign address), offering to undo the rejection.
    assert response.headers["location"] == f"/console/review?undo={sid}&notice=rejected"
    trail = await shop.services.ports.catalog.audit_trail(sid)
    assert (trail[-1].to_status, trail[-1].actor, trail[-1].reason) == (
        Status.REJECTED,
        "moderator:sam",
        "spam",
    )


async def test_session_cookie_is_httponly_strict_scoped_and_expires(shop: Console) -> None:
    """The session cookie is HttpOnly, SameSite=Strict, limited to /console, with a lifetime."""
    async with shop.client() as client:
        response = await sign_in(client, "sam")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("photogate_console=")
    for flag in ("httponly", "samesite=strict", "path=/console", "max-age="):
        assert flag in cookie
    assert "secure" not in cookie, "plain http on a developer's machine"


async def test_session_cookie_is_secure_over_https(tmp_path: Path) -> None:
    """Over HTTPS the cookie also carries Secure."""
    async with (
        running(tmp_path, base_url="https://shop.test") as console,
        console.client() as client,
    ):
        response = await sign_in(client, "sam")
    assert "secure" in response.headers["set-cookie"].lower()


async def test_sign_in_is_rate_limited_per_address_and_per_username(shop: Console) -> None:
    """After 5 failures the next try is 429 with Retry-After, by name or by IP, right or wrong."""
    attacker = shop.client({"X-Forwarded-For": "203.0.113.9"})
    elsewhere = shop.client({"X-Forwarded-For": "203.0.113.10"})
    async with attacker, elsewhere:
        for _ in range(5):
            assert (await sign_in(attacker, "sam", "guess")).status_code == 401
        for client, name in ((attacker, "sam"), (elsewhere, "sam"), (attacker, "ada")):
            blocked = await sign_in(client, name)
            assert blocked.status_code == 429, name
            assert 800 < int(blocked.headers["retry-after"]) <= 900
            assert "Too many failed sign-ins" in blocked.text
        assert (await sign_in(elsewhere, "ada")).status_code == 303


async def test_unknown_user_and_wrong_password_answer_alike(shop: Console) -> None:
    """Both are 401 with the same sentence, so usernames cannot be discovered."""
    async with shop.client({"X-Forwarded-For": "203.0.113.20"}) as client:
        wrong = await sign_in(client, "sam", "nope")
        unknown = await sign_in(client, "mallory", "nope")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.text and "do not match" in unknown.text


async def test_a_wrong_password_keeps_the_username_typed_and_escapes_it(shop: Console) -> None:
    """The form comes back with the username as typed, known or not (so it tells nothing),
    escaped like any text on the page.
    """
    async with shop.client({"X-Forwarded-For": "203.0.113.21"}) as client:
        wrong = await sign_in(client, "sam", "nope")
        crafted = await sign_in(client, '"><script>x()</script>', "nope")
    assert 'value="sam"' in wrong.text
    assert "<script>x()" not in crafted.text
    assert "&#34;&gt;&lt;script&gt;x()" in crafted.text


async def test_forged_cookies_and_foreign_next_urls_get_nowhere(shop: Console) -> None:
    """A made-up session cookie is ignored; after sign-in, next= never leaves the console."""
    async with shop.client({"X-Forwarded-For": "203.0.113.30"}) as client:
        client.cookies.set("photogate_console", "eyJ1Ijoic2FtIn0.AAAA", path="/console")
        assert (await client.get("/console/review")).status_code == 303
        for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
            client.cookies.clear()
            response = await sign_in(client, "sam", next_url=target)
            assert response.headers["location"] == "/console/review"


async def test_sign_out_ends_the_session(shop: Console) -> None:
    """After signing out, console pages send the browser back to sign in."""
    async with signed_in(shop, "sam", "198.51.100.6") as sam:
        token = csrf_of((await sam.get("/console/review")).text)
        response = await sam.post("/console/sign-out", data={"csrf_token": token})
        assert response.status_code == 303
        assert (await sam.get("/console/review")).status_code == 303


def principal(name: str, *roles: str) -> dict[str, str]:
    """The headers App Service authentication sets for a signed-in Entra ID user."""
    claims = {"auth_typ": "aad", "claims": [{"typ": "roles", "val": r} for r in roles]}
    encoded = base64.b64encode(json.dumps(claims).encode()).decode()
    return {"X-MS-CLIENT-PRINCIPAL-NAME": name, "X-MS-CLIENT-PRINCIPAL": encoded}


async def test_app_service_headers_are_ignored_unless_trusted(shop: Console) -> None:
    """With the mode off (the default), crafted principal headers sign nobody in."""
    async with shop.client(principal("eve@shop.example", "photogate.admin")) as client:
        assert (await client.get("/console/review")).status_code == 303
        assert (await client.get("/console/audit.csv")).status_code == 401


async def test_trusted_app_service_principals_get_their_mapped_roles(tmp_path: Path) -> None:
    """In App Service mode, admin and moderator claims map to roles; no claim, no entry."""
    async with running(tmp_path, console={"trust_app_service_auth": True}) as console:
        sid = (await in_review(console.services.ports, SKU)).id
        admin = console.client(principal("ada@shop.example", "Photogate.Admin"))
        moderator = console.client(principal("sam@shop.example", "photogate.moderator"))
        reader = console.client(principal("rex@shop.example", "Reader"))
        async with admin, moderator, reader:
            assert (await admin.get("/console/audit.csv")).status_code == 200
            assert (await moderator.get("/console/audit.csv")).status_code == 403
            assert (await reader.get("/console/review")).status_code == 403
            page = await moderator.get("/console/review")
            assert "sam@shop.example" in page.text
            url = f"/console/submissions/{sid}/reject"
            assert (await moderator.post(url, data={"reason": "spam"})).status_code == 403
            data = {"reason": "spam", "csrf_token": csrf_of(page.text)}
            assert (await moderator.post(url, data=data)).status_code == 303
        trail = await console.services.ports.catalog.audit_trail(sid)
        assert trail[-1].actor == "moderator:sam@shop.example"


async def test_staff_see_the_pipeline_with_poison_and_the_oldest_waiting(shop: Console) -> None:
    """The pipeline page counts photos by state with the age of the oldest in review, the
    queues, and says so when the worker gave up on a message.
    """
    await in_review(shop.services.ports, SKU)
    async with signed_in(shop, "sam", "198.51.100.9") as sam:
        calm = await sam.get("/console/pipeline")
        await shop.services.ports.queue.send(poison_queue(SCAN_QUEUE), '{"body": "{}"}')
        troubled = await sam.get("/console/pipeline")
    assert calm.status_code == 200
    row = re.search(r'<tr data-status="needs_review">.*?</tr>', calm.text)
    assert row is not None
    assert '<td class="count"><a class="pipeline-link" href="/console/review">1</a></td>' in row[0]
    assert re.search(r'<td class="age">\d+ s</td>', row[0]), row[0]
    assert 'id="poison-notice"' not in calm.text
    assert "1 message(s) the worker gave up on" in troubled.text
    assert re.search(r'data-queue="scans">.*?<td class="poison">1</td>', troubled.text)


async def test_console_pages_are_never_cached_and_allow_no_inline_code(shop: Console) -> None:
    """Console answers carry no-store and the strict CSP with frame-ancestors 'none'."""
    async with signed_in(shop, "sam", "198.51.100.7") as sam:
        response = await sam.get("/console/review")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def upload(client: httpx.AsyncClient, email: str) -> Any:
    fields = [("email", email.encode()), ("display_name", b"Kim"), ("consent", b"true")]
    # A photo of its own per address: the same file from two addresses would be refused.
    photo = samples.clean_jpeg(320, 240, seed=zlib.crc32(email.encode()))
    body, content_type = multipart_body(fields, photo)
    return client.post(
        f"/api/products/{SKU}/photos", content=body, headers={"Content-Type": content_type}
    )


async def test_uploads_over_the_address_limit_get_a_429_a_person_understands(
    tmp_path: Path,
) -> None:
    """The third photo in an hour from one address is refused with Retry-After; others go on."""
    async with (
        running(tmp_path, uploads={"per_ip_per_hour": 2}) as console,
        console.client({"X-Forwarded-For": "192.0.2.1"}) as one,
        console.client({"X-Forwarded-For": "192.0.2.2"}) as two,
    ):
        for n in range(2):
            assert (await upload(one, f"a{n}@example.com")).status_code == 202
        refused = await upload(one, "a3@example.com")
        assert (await upload(two, "b@example.com")).status_code == 202
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_uploads"
    assert "Please wait about 60 minutes" in refused.json()["detail"]
    assert 3500 < int(refused.headers["retry-after"]) <= 3600


async def test_uploads_over_the_email_limit_are_refused_for_that_product(tmp_path: Path) -> None:
    """One address may send only so many photos of a product a day, whatever its capitals."""
    async with (
        running(tmp_path, uploads={"per_email_per_product_per_day": 1}) as console,
        console.client({"X-Forwarded-For": "192.0.2.3"}) as client,
    ):
        assert (await upload(client, "kim@example.com")).status_code == 202
        refused = await upload(client, "KIM@example.com")
    assert refused.status_code == 429
    assert "already sent 1 photos of this product today" in refused.json()["detail"]
