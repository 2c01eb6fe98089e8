"""The web app's read side over HTTP: /media isolation, status privacy, error shapes, headers."""

from __future__ import annotations

import asyncio
import http.client
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from photogate.adapters.filesystem_blobs import FilesystemBlobStore
from photogate.bootstrap import bootstrap
from photogate.domain.catalog import Product
from photogate.ports import Container
from photogate.settings import Settings
from photogate.testing import samples
from tests.support.console import published
from tests.support.web_stack import BackgroundWebStack, multipart_body, prepare

pytestmark = pytest.mark.integration

SKU = "TT-LAMP-02"
EMAIL = "Private.Person@example.com"
PUBLIC_BLOB = "catalog/tt-lamp-02/1.jpg"


@dataclass(frozen=True)
class Shop:
    """The running app, and one accepted upload whose original sits in quarantine."""

    web: BackgroundWebStack
    submission_id: str
    original: str


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The web app with a product, a marketing photo in public and one upload in quarantine."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("web-api"))
    product = Product(SKU, "Trail Lamp", "A lamp.", 3900, (f"/media/{PUBLIC_BLOB}",))
    prepare(settings, [product])
    blobs = FilesystemBlobStore(settings.blob_dir)
    asyncio.run(blobs.put(Container.PUBLIC, PUBLIC_BLOB, samples.clean_jpeg(), "image/jpeg"))
    with BackgroundWebStack(settings) as web:
        fields = [("email", EMAIL.encode()), ("display_name", b"Pat"), ("consent", b"on")]
        body, content_type = multipart_body(fields, samples.clean_jpeg())
        response = httpx.post(
            f"{web.url}/api/products/{SKU}/photos",
            content=body,
            headers={"Content-Type": content_type},
        )
        assert response.status_code == 202, response.text
        submission_id = response.json()["id"]
        yield Shop(web, submission_id, f"{submission_id}/original.jpeg")


def raw_get(shop: Shop, path: str) -> tuple[int, dict[str, str], bytes]:
    """GET `path` exactly as written: no client-side normalisation of dots or escapes."""
    connection = http.client.HTTPConnection("127.0.0.1", shop.web.port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def test_media_serves_public_blobs_with_long_cache(shop: Shop) -> None:
    """A public blob is served under /media/ with a year-long immutable Cache-Control."""
    status, headers, body = raw_get(shop, f"/media/{PUBLIC_BLOB}")
    assert status == 200
    assert body == samples.clean_jpeg()
    assert headers["cache-control"] == "public, max-age=3600"


@pytest.mark.parametrize(
    "template",
    [
        "/media/../quarantine/{name}",
        "/media/%2e%2e/quarantine/{name}",
        "/media/..%2fquarantine%2f{encoded}",
        "/media/%2e%2e%2fquarantine%2f{encoded}",
        "/media/%2E%2E%2Fquarantine%2F{encoded}",
        "/media/..%5cquarantine%5c{name}",
        "/media/public/../quarantine/{name}",
        "/media//quarantine/{name}",
        "/media/%2fquarantine%2f{encoded}",
        "/quarantine/{name}",
        "/media/{name}",
    ],
)
def test_media_never_reaches_quarantine(shop: Shop, template: str) -> None:
    """No spelling of a path under /media/ serves a quarantined original: always 404."""
    path = template.format(name=shop.original, encoded=shop.original.replace("/", "%2f"))
    status, _, body = raw_get(shop, path)
    assert status == 404
    assert body[:3] != b"\xff\xd8\xff"


def test_status_api_describes_the_upload_without_the_email(shop: Shop) -> None:
    """The status JSON has id, status, place in line and links, and never the email address."""
    response = httpx.get(f"{shop.web.url}/api/submissions/{shop.submission_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == shop.submission_id
    assert body["sku"] == SKU
    assert body["status"] in {"received", "queued"}
    assert body["queue_position"] == 1
    assert body["photo"] is None
    assert body["status_reason"] is None
    assert EMAIL.lower() not in response.text.lower()
    assert "original" not in response.text


def test_status_page_does_not_show_the_email(shop: Shop) -> None:
    """The HTML status page shows where the photo stands, and not the email address."""
    response = httpx.get(f"{shop.web.url}/submissions/{shop.submission_id}")
    assert response.status_code == 200
    assert "Trail Lamp" in response.text
    assert EMAIL.lower() not in response.text.lower()


def test_unknown_submission_is_404_in_the_error_shape(shop: Shop) -> None:
    """An unknown submission id is a 404 with {"error", "detail"}."""
    response = httpx.get(f"{shop.web.url}/api/submissions/0123456789abcdef")
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_submission"


def test_api_validation_and_routing_errors_use_the_error_shape(shop: Shop) -> None:
    """FastAPI's own 422 and 404 answers under /api/ read {"error", "detail"} too."""
    invalid = httpx.get(f"{shop.web.url}/api/products/{SKU}/photos?limit=0")
    missing = httpx.get(f"{shop.web.url}/api/no-such-thing")
    assert invalid.status_code == 422
    assert invalid.json()["error"] == "invalid_request"
    assert "limit" in invalid.json()["detail"]
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "Not Found"}


def test_an_empty_photo_list_has_no_next_page(shop: Shop) -> None:
    """The photo list of a product without approved photos: no items, total 0, no next."""
    response = httpx.get(f"{shop.web.url}/api/products/{SKU}/photos?limit=5")
    assert response.json() == {"items": [], "total": 0, "limit": 5, "offset": 0, "next": None}


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundWebStack]:
    """The web app with a product that has seven approved customer photos."""
    settings = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("web-gallery"))
    prepare(settings, [Product(SKU, "Trail Lamp", "A lamp.", 3900)])
    asyncio.run(_publish(settings, GALLERY_SIZE))
    with BackgroundWebStack(settings) as web:
        yield web


GALLERY_SIZE = 7


async def _publish(settings: Settings, count: int) -> None:
    services = await bootstrap(settings)
    try:
        for number in range(count):
            await published(services.ports, SKU, caption=f"photo {number}")
    finally:
        await services.aclose()


def test_photos_are_paginated(gallery: BackgroundWebStack) -> None:
    """Seven photos, five a page: the first page links to the second, which holds the last
    two and links nowhere; together they are all seven, each once.
    """
    first = httpx.get(f"{gallery.url}/api/products/{SKU}/photos?limit=5").json()
    assert (len(first["items"]), first["total"], first["offset"]) == (5, GALLERY_SIZE, 0)
    assert first["next"] is not None
    second = httpx.get(f"{gallery.url}{first['next']}").json()
    assert (len(second["items"]), second["offset"], second["next"]) == (2, 5, None)
    urls = [item["url"] for item in first["items"] + second["items"]]
    assert len(set(urls)) == GALLERY_SIZE


def test_products_list_counts_approved_photos(gallery: BackgroundWebStack) -> None:
    """The product list counts each product's approved customer photos."""
    products = httpx.get(f"{gallery.url}/api/products").json()
    assert [(p["sku"], p["photo_count"]) for p in products] == [(SKU, GALLERY_SIZE)]


def test_products_list_counts_customer_photos(shop: Shop) -> None:
    """The product list has each product with its marketing photos and photo count."""
    products = httpx.get(f"{shop.web.url}/api/products").json()
    assert [(p["sku"], p["photo_count"]) for p in products] == [(SKU, 0)]
    assert products[0]["marketing_photos"] == [f"/media/{PUBLIC_BLOB}"]


@pytest.mark.parametrize("path", ["/", f"/products/{SKU}", "/api/products", "/healthz", "/nope"])
def test_every_response_has_security_headers(shop: Shop, path: str) -> None:
    """Pages, API answers and errors all carry CSP, nosniff, a referrer policy and DENY."""
    headers = httpx.get(f"{shop.web.url}{path}").headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert "script-src 'self';" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_scripts(shop: Shop) -> None:
    """The product page loads its scripts from /static only, so the CSP needs no exceptions."""
    html = httpx.get(f"{shop.web.url}/products/{SKU}").text
    assert "<script>" not in html
    assert 'src="/static/upload.js"' in html
    assert " style=" not in html


def test_openapi_documents_the_multipart_upload(shop: Shop) -> None:
    """/openapi.json describes the upload body as multipart with the file and consent fields."""
    spec = httpx.get(f"{shop.web.url}/openapi.json").json()
    upload = spec["paths"]["/api/products/{sku}/photos"]["post"]
    schema = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "email", "display_name", "consent"} <= set(schema["required"])
    assert schema["properties"]["file"]["format"] == "binary"
    assert {"202", "413", "415", "422"} <= set(upload["responses"])
    assert httpx.get(f"{shop.web.url}/docs").status_code == 200
