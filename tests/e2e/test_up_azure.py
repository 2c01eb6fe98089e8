"""`photogate up --backend azure` on Azurite and PostgreSQL: an upload becomes a published photo
served from the public container, and a thank-you email reaches a real SMTP server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from photogate.testing import samples
from tests.support.processes import wait_until
from tests.support.up_azure import Inbox, running_up

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CUSTOMER = "ann@example.com"


def test_up_on_azure_publishes_an_upload_and_thanks_the_customer(
    tmp_path: Path, database: str, storage: tuple[str, str], inbox: tuple[Inbox, int]
) -> None:
    """Upload over HTTP; the photo is approved, served anonymously by Azurite, and emailed about."""
    received, smtp_port = inbox
    with running_up(tmp_path, database, storage, smtp_port) as up:
        sku = httpx.get(f"{up.shop}/api/products", timeout=10).json()[0]["sku"]
        submission = upload(up.shop, sku)
        status = wait_until(lambda: settled(up.shop, submission), 60, "the scan to finish")
        assert status["status"] == "approved", status
        rendition = status["photo"]["renditions"][0]["url"]
        assert rendition.startswith(up.public)
        assert httpx.get(rendition, timeout=10).status_code == 200  # anonymous, like a browser
        [email] = wait_until(lambda: received.messages, 30, "the thank-you email")
        assert email["To"] == f"Ann <{CUSTOMER}>"
        assert up.stop() == 0
    assert len(received.messages) == 1, "one upload, one email"


def upload(shop: str, sku: str) -> str:
    """POST a clean photo as the shop's form does; returns the submission id."""
    response = httpx.post(
        f"{shop}/api/products/{sku}/photos",
        data={"email": CUSTOMER, "display_name": "Ann", "consent": "true"},
        files={"file": ("mug.jpg", samples.clean_jpeg(), "image/jpeg")},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def settled(shop: str, submission_id: str) -> dict[str, Any] | None:
    """The submission's status once it is no longer waiting or being scanned."""
    status: dict[str, Any] = httpx.get(f"{shop}/api/submissions/{submission_id}", timeout=10).json()
    return None if status["status"] in {"received", "queued", "scanning"} else status
