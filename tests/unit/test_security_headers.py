"""The Content-Security-Policy each page gets, for each way public images are served."""

from __future__ import annotations

from types import SimpleNamespace

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.entrypoints.web.security import _media_origin, security_headers

AZURITE = "http://127.0.0.1:10000"


def _scope(public_base_url: str) -> dict[str, object]:
    blobs = InMemoryBlobStore(public_base_url=public_base_url)
    services = SimpleNamespace(ports=SimpleNamespace(blobs=blobs))
    return {"app": SimpleNamespace(state=SimpleNamespace(services=services))}


def test_images_served_by_the_app_need_no_extra_origin() -> None:
    """With renditions under /media/ on this app, img-src stays 'self' only."""
    assert _media_origin(_scope("/media")) is None
    policy = security_headers("/products/x")["Content-Security-Policy"]
    assert "img-src 'self' data: blob:;" in policy


def test_images_from_a_storage_account_are_allowed_by_origin_only() -> None:
    """Renditions at an absolute URL put exactly that origin, not the path, into img-src."""
    origin = _media_origin(_scope(f"{AZURITE}/devstoreaccount1/shop-public"))
    assert origin == AZURITE
    policy = security_headers("/products/x", None, origin)["Content-Security-Policy"]
    assert f"img-src 'self' {AZURITE} data: blob:;" in policy
    assert "script-src 'self';" in policy


def test_upload_and_media_origins_combine() -> None:
    """Direct uploads add connect-src while media adds img-src; neither loosens scripts."""
    policy = security_headers("/", "https://acct.blob.core.windows.net", AZURITE)[
        "Content-Security-Policy"
    ]
    assert policy.endswith("; connect-src 'self' https://acct.blob.core.windows.net")
    assert f"img-src 'self' {AZURITE}" in policy
