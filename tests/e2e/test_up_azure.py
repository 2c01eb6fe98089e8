"""`photogate up --backend azure` on Azurite and PostgreSQL: an upload becomes a published photo
served from the public container, and a thank-you email reaches a real SMTP server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from photogate.adapters.sql.engine import sync_url
from photogate.testing import samples
from tests.support import azurite
from tests.support.processes import free_port, healthy, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

POSTGRES_URL = os.environ.get("PHOTOGATE_TEST_POSTGRES_URL", "")
CUSTOMER = "ann@example.com"


class Inbox:
    """An aiosmtpd handler that keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a free loopback port, and what it received."""
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


@pytest.fixture
def database() -> Iterator[str]:
    """A new, empty PostgreSQL database (`up` migrates it), dropped afterwards."""
    if not POSTGRES_URL:
        reason = "PHOTOGATE_TEST_POSTGRES_URL is not set (scripts/test.sh starts PostgreSQL)"
        if azurite.IN_CI:
            pytest.fail(f"{reason}, and CI=true requires the PostgreSQL run")
        pytest.skip(reason)
    name = f"photogate_up_azure_{secrets.token_hex(4)}"
    admin = create_engine(sync_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def storage() -> Iterator[tuple[str, str]]:
    """Azurite's connection string and a prefix for this test's own containers and queues."""
    connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
    yield connection, prefix
    asyncio.run(azurite.delete_queues(connection, prefix))
    asyncio.run(azurite.delete_containers(connection, prefix))


def test_up_on_azure_publishes_an_upload_and_thanks_the_customer(
    tmp_path: Path, database: str, storage: tuple[str, str], inbox: tuple[Inbox, int]
) -> None:
    """Upload over HTTP; the photo is approved, served anonymously by Azurite, and emailed about."""
    (connection, prefix), (received, smtp_port) = storage, inbox
    port, scanner_port = free_port(), free_port()
    env = {
        **os.environ,
        "PHOTOGATE_DATA_DIR": str(tmp_path / "var"),
        "PHOTOGATE_DATABASE_URL": database,
        "PHOTOGATE_AZURE__CONNECTION_STRING": connection,
        "PHOTOGATE_AZURE__CONTAINER_PREFIX": prefix,
        "PHOTOGATE_AZURE__QUEUE_PREFIX": prefix,
        "PHOTOGATE_MAIL__BACKEND": "smtp",
        "PHOTOGATE_MAIL__SMTP_HOST": "127.0.0.1",
        "PHOTOGATE_MAIL__SMTP_PORT": str(smtp_port),
        "PHOTOGATE_MAIL__SMTP_SECURITY": "none",
    }
    env.pop("PHOTOGATE_BACKEND", None)  # the option alone chooses Azure
    command = [sys.executable, "-m", "photogate", "up", "--backend", "azure"]
    command += ["--port", str(port), "--scanner-port", str(scanner_port)]
    shop = f"http://127.0.0.1:{port}"
    with (tmp_path / "up.log").open("wb") as log:
        up = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: healthy(f"{shop}/healthz"), 90, "photogate up on Azure")
        sku = httpx.get(f"{shop}/api/products", timeout=10).json()[0]["sku"]
        submission = upload(shop, sku)
        status = wait_until(lambda: settled(shop, submission), 60, "the scan to finish")
        assert status["status"] == "approved", status
        rendition = status["photo"]["renditions"][0]["url"]
        public = f"{azurite.DEV_ENDPOINTS['BlobEndpoint']}/{prefix}public/"
        assert rendition.startswith(public)
        assert httpx.get(rendition, timeout=10).status_code == 200  # anonymous, like a browser
        [email] = wait_until(lambda: received.messages, 30, "the thank-you email")
        assert email["To"] == f"Ann <{CUSTOMER}>"
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=30) == 0
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
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
