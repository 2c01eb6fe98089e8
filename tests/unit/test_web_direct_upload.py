"""The direct-upload routes and page, in process, on the in-memory fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from photogate.adapters.memory.blobs import InMemoryBlobStore, InMemoryDirectBlobStore
from photogate.bootstrap import Services
from photogate.domain.scan import Thresholds
from photogate.entrypoints.web.app import create_app
from photogate.entrypoints.web.direct_upload import MAX_FORM_JSON_BYTES
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.ports import Container, Ports
from photogate.scanning.scan_submission import ScanPolicy
from photogate.settings import Settings
from photogate.testing import samples
from tests.unit.conftest import SKU, Fakes

ORIGIN = "https://blobs.example"
FIELDS = {"email": "kim@example.com", "display_name": "Kim", "consent": True}


def client_for(fakes: Fakes, tmp_path: Path, store: InMemoryBlobStore) -> httpx.AsyncClient:
    """A client of the web app on the fakes, with `store` as its blob store."""
    ports = Ports(store, fakes.queue, fakes.catalog, fakes.scanner, fakes.mailer)
    notify = NotifyPolicy(sender="Shop <photos@shop.example>", shop_url="http://shop.example")
    settings = Settings(_env_file=None, data_dir=tmp_path)
    services = Services(settings, ports, ScanPolicy(Thresholds()), notify)
    app = create_app(settings, services=services)
    app.state.services = services  # the lifespan would; ASGITransport does not run it
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop")


@pytest.fixture
def store() -> InMemoryDirectBlobStore:
    return InMemoryDirectBlobStore(origin=ORIGIN)


@pytest.fixture
async def client(
    fakes: Fakes, tmp_path: Path, store: InMemoryDirectBlobStore
) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(fakes, tmp_path, store) as web:
        yield web


async def started(client: httpx.AsyncClient, **changes: object) -> dict[str, object]:
    response = await client.post(f"/api/products/{SKU}/uploads", json=FIELDS | changes)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_the_page_offers_direct_upload_and_allows_the_storage_origin(
    client: httpx.AsyncClient,
) -> None:
    """With a granting store the form says where to start, and CSP lets pages reach storage."""
    page = await client.get(f"/products/{SKU}")
    assert f'data-direct-upload="/api/products/{SKU}/uploads"' in page.text
    assert f"connect-src 'self' {ORIGIN}" in page.headers["content-security-policy"]


async def test_without_a_granting_store_the_page_keeps_multipart(
    fakes: Fakes, tmp_path: Path
) -> None:
    """The embedded default: no data attribute, no extra CSP origin, and the route says 404."""
    async with client_for(fakes, tmp_path, InMemoryBlobStore()) as client:
        page = await client.get(f"/products/{SKU}")
        refused = await client.post(f"/api/products/{SKU}/uploads", json=FIELDS)
    assert "data-direct-upload" not in page.text
    assert "connect-src" not in page.headers["content-security-policy"]
    assert refused.status_code == 404
    assert refused.json()["error"] == "direct_uploads_unavailable"


async def test_start_put_complete_queues_the_photo(
    client: httpx.AsyncClient, store: InMemoryDirectBlobStore
) -> None:
    """Start answers a grant; after the PUT, complete answers 202 with the status links."""
    grant = await started(client)
    assert grant["upload_method"] == "PUT"
    assert grant["upload_headers"] == {"x-ms-blob-type": "BlockBlob"}
    assert str(grant["upload_url"]).startswith(ORIGIN)
    store.upload(str(grant["upload_url"]), samples.clean_jpeg(640, 480, seed=31), "image/jpeg")
    done = await client.post(str(grant["complete_url"]))
    again = await client.post(str(grant["complete_url"]))
    assert (done.status_code, again.status_code) == (202, 202)
    assert done.json()["page_url"] == f"/submissions/{grant['id']}"
    assert done.json()["status"] == again.json()["status"] == "queued"
    assert done.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"consent": False}, 422, "consent_required"),
        ({"email": "nope"}, 422, "invalid_email"),
        ({"size_bytes": 16 * 1024 * 1024}, 413, "file_too_large"),
        ({"size_bytes": 0}, 400, "empty_file"),
    ],
)
async def test_start_refuses_a_bad_form_in_the_api_shape(
    client: httpx.AsyncClient, changes: dict[str, object], status: int, code: str
) -> None:
    """Bad fields, or a declared size over the limit, are refused before any grant."""
    response = await client.post(f"/api/products/{SKU}/uploads", json=FIELDS | changes)
    assert response.status_code == status
    assert response.json()["error"] == code


@pytest.mark.parametrize("sku", [SKU, "NO-SUCH-SKU"])
async def test_start_refuses_a_body_larger_than_any_form_before_reading_it(
    client: httpx.AsyncClient, sku: str
) -> None:
    """The JSON form is read before any check (even the product's): a body past its limit
    is refused 413 at the first chunk over it, declared or not, not read into memory.
    """
    chunk, sent = b" " * 4096, 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        while sent < 64 * 1024 * 1024:  # 64 MiB, were it all read
            sent += len(chunk)
            yield chunk

    streamed = await client.post(f"/api/products/{sku}/uploads", content=endless())
    declared = await client.post(
        f"/api/products/{sku}/uploads",
        content=b" " * (MAX_FORM_JSON_BYTES + 1),
        headers={"content-type": "application/json"},
    )
    for response in (streamed, declared):
        assert response.status_code == 413
        assert response.json()["error"] == "request_too_large"
    assert sent <= MAX_FORM_JSON_BYTES + 2 * len(chunk)


@pytest.mark.parametrize("body", [b"", b"{not json", b'{"consent": "maybe"}', b"[]"])
async def test_start_refuses_a_body_that_is_no_form_as_422(
    client: httpx.AsyncClient, body: bytes
) -> None:
    """No JSON, bad JSON, or JSON of the wrong shape: 422 in the API's error shape."""
    response = await client.post(
        f"/api/products/{SKU}/uploads", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


async def test_the_start_form_is_documented(client: httpx.AsyncClient) -> None:
    """The route reads its own body, so its schema is given to /openapi.json by hand."""
    spec = (await client.get("/openapi.json")).json()
    start = spec["paths"]["/api/products/{sku}/uploads"]["post"]
    schema = start["requestBody"]["content"]["application/json"]["schema"]
    assert {"email", "display_name", "consent", "size_bytes"} <= set(schema["properties"])
    assert "413" in start["responses"]


async def test_start_for_an_unknown_product_is_404(client: httpx.AsyncClient) -> None:
    """A SKU the shop does not sell is not found."""
    response = await client.post("/api/products/NOPE/uploads", json=FIELDS)
    assert (response.status_code, response.json()["error"]) == (404, "unknown_product")


async def test_complete_refuses_a_file_that_is_no_photo_and_deletes_it(
    client: httpx.AsyncClient, store: InMemoryDirectBlobStore
) -> None:
    """A stored file that is not a photo gets the multipart path's 415, and is gone."""
    grant = await started(client)
    store.upload(str(grant["upload_url"]), samples.html_file(), "text/html")
    response = await client.post(str(grant["complete_url"]))
    assert (response.status_code, response.json()["error"]) == (415, "unsupported_type")
    assert store.names(Container.QUARANTINE) == []


async def test_complete_before_the_put_is_409(client: httpx.AsyncClient) -> None:
    """Completing before the file arrived says so, and may be tried again."""
    grant = await started(client)
    response = await client.post(str(grant["complete_url"]))
    assert (response.status_code, response.json()["error"]) == (409, "upload_not_arrived")


async def test_complete_of_an_unknown_submission_is_404(client: httpx.AsyncClient) -> None:
    """An id that was never granted is not found."""
    response = await client.post(f"/api/submissions/{'a' * 32}/complete")
    assert (response.status_code, response.json()["error"]) == (404, "unknown_submission")


async def put_and_complete(
    client: httpx.AsyncClient, store: InMemoryDirectBlobStore, photo: bytes, **changes: object
) -> tuple[dict[str, object], httpx.Response]:
    """Start a direct upload, PUT `photo` with its grant and complete it: the grant, the answer."""
    grant = await started(client, **changes)
    store.upload(str(grant["upload_url"]), photo, "image/jpeg")
    return grant, await client.post(str(grant["complete_url"]))


async def test_the_same_photo_again_is_a_200_naming_the_first_upload(
    client: httpx.AsyncClient, store: InMemoryDirectBlobStore
) -> None:
    """As on the multipart path, a customer's repeat answers 200 with the first upload's id,
    status and links and duplicate true, every time it is completed; its file is deleted.
    """
    photo = samples.clean_jpeg(640, 480, seed=41)
    first, _ = await put_and_complete(client, store, photo)
    repeat, answer = await put_and_complete(client, store, photo, email="KIM@example.com")
    again = await client.post(str(repeat["complete_url"]))
    for response in (answer, again):
        assert response.status_code == 200, response.text
        assert response.json() == {
            "id": first["id"],
            "status": "queued",
            "status_url": f"/api/submissions/{first['id']}",
            "page_url": f"/submissions/{first['id']}",
            "duplicate": True,
            "message": "You already sent this photo for this product; here is where it stands.",
        }
        assert response.headers["location"] == f"/api/submissions/{first['id']}"
    assert store.names(Container.QUARANTINE) == [f"{first['id']}/upload"]
    status = await client.get(str(repeat["status_url"]))
    assert status.json()["status"] == "failed"


async def test_the_same_photo_from_another_email_is_a_409_naming_no_one(
    client: httpx.AsyncClient, store: InMemoryDirectBlobStore
) -> None:
    """Someone else's copy is refused with 409 and deleted; the first upload is not named."""
    photo = samples.clean_jpeg(640, 480, seed=42)
    first, _ = await put_and_complete(client, store, photo)
    _, copy = await put_and_complete(client, store, photo, email="other@example.com")
    assert (copy.status_code, copy.json()["error"]) == (409, "already_sent_by_someone_else")
    assert str(first["id"]) not in copy.text
    assert store.names(Container.QUARANTINE) == [f"{first['id']}/upload"]


async def test_a_repeat_of_an_upload_gone_since_is_404(
    client: httpx.AsyncClient, store: InMemoryDirectBlobStore, fakes: Fakes
) -> None:
    """If the first upload is gone when the repeat is completed, there is nothing to show."""
    photo = samples.clean_jpeg(640, 480, seed=43)
    first, _ = await put_and_complete(client, store, photo)
    repeat, _ = await put_and_complete(client, store, photo)
    del fakes.catalog._submissions[str(first["id"])]  # no port deletes a submission
    response = await client.post(str(repeat["complete_url"]))
    assert (response.status_code, response.json()["error"]) == (404, "unknown_submission")
