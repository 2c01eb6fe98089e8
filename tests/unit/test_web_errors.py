"""The web app's last-resort answers: a passing outage is 503 with Retry-After, a bug is a
plain 500; both in the error shape, with the security headers, and without internals.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.bootstrap import Services
from photogate.domain.catalog import Product
from photogate.domain.scan import Thresholds
from photogate.entrypoints.web.app import create_app
from photogate.errors import TransientError
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.ports import Ports
from photogate.scanning.scan_submission import ScanPolicy
from photogate.settings import Settings
from tests.unit.conftest import SKU, Fakes

SECRET = "postgresql://photogate:hunter2@db.internal/catalog"


class FailingCatalog(InMemoryCatalog):
    """A catalog whose product lookups raise `error`."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def get_product(self, sku: str) -> Product | None:
        raise self.error


def client_for(fakes: Fakes, tmp_path: Path, catalog: InMemoryCatalog) -> httpx.AsyncClient:
    """A client of the web app on the fakes with `catalog`; app exceptions become answers."""
    ports = Ports(fakes.blobs, fakes.queue, catalog, fakes.scanner, fakes.mailer)
    notify = NotifyPolicy(sender="Shop <photos@shop.example>", shop_url="http://shop.example")
    settings = Settings(_env_file=None, data_dir=tmp_path)
    services = Services(settings, ports, ScanPolicy(Thresholds()), notify)
    app = create_app(settings, services=services)
    app.state.services = services  # the lifespan would; ASGITransport does not run it
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://shop")


@pytest.mark.parametrize("path", [f"/api/products/{SKU}/photos", f"/products/{SKU}"])
async def test_a_passing_outage_is_503_with_retry_after(
    fakes: Fakes, tmp_path: Path, path: str
) -> None:
    """A TransientError (the database is restarting) answers 503 `unavailable`, Retry-After 30."""
    catalog = FailingCatalog(TransientError(f"cannot reach {SECRET}"))
    async with client_for(fakes, tmp_path, catalog) as client:
        response = await client.get(path)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "hunter2" not in response.text
    if path.startswith("/api/"):
        assert response.json()["error"] == "unavailable"


@pytest.mark.parametrize("path", [f"/api/products/{SKU}/photos", f"/products/{SKU}"])
async def test_a_bug_is_a_plain_500_with_security_headers(
    fakes: Fakes, tmp_path: Path, path: str
) -> None:
    """An unexpected exception answers 500 `internal_error`, says nothing of what failed, and
    still carries CSP and nosniff (it is answered outside the middleware stack).
    """
    catalog = FailingCatalog(RuntimeError(f"bug while talking to {SECRET}"))
    async with client_for(fakes, tmp_path, catalog) as client:
        response = await client.get(path)
    assert response.status_code == 500
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    if path.startswith("/api/"):
        assert response.json() == {
            "error": "internal_error",
            "detail": "Something went wrong on our side. Please try again.",
        }


async def test_a_content_length_that_is_no_number_is_refused(fakes: Fakes, tmp_path: Path) -> None:
    """An upload whose Content-Length is not a decimal number (a server in front may pass it
    on as it came) is refused with 400 before its body is read.
    """
    async with client_for(fakes, tmp_path, fakes.catalog) as client:
        response = await client.post(
            f"/api/products/{SKU}/photos",
            content=b"--x--\r\n",
            headers={"Content-Type": "multipart/form-data; boundary=x", "Content-Length": "1e3"},
        )
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_content_length",
        "detail": "Content-Length is not a number.",
    }
