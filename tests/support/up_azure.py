"""`photogate up --backend azure` as a real process for end-to-end tests: its database, storage,
SMTP inbox, environment, start and stop.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from photogate.adapters.sql.engine import sync_url
from tests.support import azurite
from tests.support.processes import free_port, healthy, process_group, wait_until

POSTGRES_URL = os.environ.get("PHOTOGATE_TEST_POSTGRES_URL", "")
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30


class Inbox:
    """An aiosmtpd handler that keeps every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.original_content))
        return "250 OK"


@contextmanager
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on a free loopback port, and what it received."""
    handler, port = Inbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (`up` migrates it), dropped afterwards."""
    _require_postgres()
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


def _require_postgres() -> None:
    if POSTGRES_URL:
        return
    reason = "PHOTOGATE_TEST_POSTGRES_URL is not set (scripts/test.sh starts PostgreSQL)"
    if azurite.IN_CI:
        pytest.fail(f"{reason}, and CI=true requires the PostgreSQL run")
    pytest.skip(reason)


@contextmanager
def azurite_storage() -> Iterator[tuple[str, str]]:
    """Azurite's connection string and a prefix for this test's own containers and queues."""
    connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
    try:
        yield connection, prefix
    finally:
        asyncio.run(azurite.delete_queues(connection, prefix))
        asyncio.run(azurite.delete_containers(connection, prefix))


@dataclass(frozen=True)
class UpAzure:
    """A running `photogate up --backend azure`: where the shop is and where photos go public."""

    shop: str
    public: str
    process: subprocess.Popen[bytes]

    def stop(self) -> int:
        """SIGTERM it, as a supervisor would, and return its exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def running_up(
    tmp_path: Path, database: str, storage: tuple[str, str], smtp_port: int, *, cors: bool = False
) -> Iterator[UpAzure]:
    """Start `up --backend azure` on free ports, in its own process group, and wait until it is
    healthy; stop the whole group (`stop_group`) however the test ends. With `cors`, Azurite
    lets the shop's pages PUT direct uploads.
    """
    port, scanner_port = free_port(), free_port()
    shop = f"http://127.0.0.1:{port}"
    env = up_env(tmp_path, database, storage, smtp_port)
    if cors:
        env["PHOTOGATE_AZURE__CORS_ORIGINS"] = json.dumps([shop])
    ports = ["--port", str(port), "--scanner-port", str(scanner_port)]
    command = [sys.executable, "-m", "photogate", "up", "--backend", "azure", *ports]
    with process_group(command, env, tmp_path / "up.log") as process:
        wait_until(lambda: healthy(f"{shop}/healthz"), START_TIMEOUT_S, "photogate up on Azure")
        yield UpAzure(shop, _public_container(storage[1]), process)


def up_env(
    tmp_path: Path, database: str, storage: tuple[str, str], smtp_port: int
) -> dict[str, str]:
    """The environment of `up`: this test's database, storage names and SMTP inbox."""
    connection, prefix = storage
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
    return env


def _public_container(prefix: str) -> str:
    # Anonymous readers (browsers) fetch renditions straight from the public container.
    return f"{azurite.DEV_ENDPOINTS['BlobEndpoint']}/{prefix}public/"
