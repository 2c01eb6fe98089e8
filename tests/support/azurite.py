"""Azurite for the Azure adapters' tests: find it, name things uniquely, clean up after."""

from __future__ import annotations

import os
import secrets
import socket
from urllib.parse import urlsplit

import pytest
from azure.storage.blob.aio import BlobServiceClient
from azure.storage.queue.aio import QueueServiceClient

from photogate.settings import AzureSettings

AZURITE = os.environ.get("PHOTOGATE_TEST_AZURITE", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
# Azurite's well-known development account (public, documented by Microsoft).
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEV_ENDPOINTS = {
    "BlobEndpoint": f"http://127.0.0.1:10000/{DEV_ACCOUNT}",
    "QueueEndpoint": f"http://127.0.0.1:10001/{DEV_ACCOUNT}",
}


def azurite_connection_string() -> str:
    """The connection string to Azurite; skips the test (fails it under CI=true) without one."""
    reason = _unavailable()
    if reason:
        if IN_CI:
            pytest.fail(f"{reason}, and CI=true requires the Azure runs")
        pytest.skip(reason)
    return AZURITE


def _unavailable() -> str:
    if not AZURITE:
        return "PHOTOGATE_TEST_AZURITE is not set (scripts/test.sh starts Azurite and sets it)"
    for name in ("BlobEndpoint", "QueueEndpoint"):
        url = urlsplit(endpoints(AZURITE)[name])
        try:
            socket.create_connection((url.hostname, url.port or 80), timeout=1).close()
        except OSError:
            return f"Azurite's {name} {url.geturl()} does not answer"
    return ""


def endpoints(connection_string: str) -> dict[str, str]:
    """The connection string's fields, with Azurite's defaults for UseDevelopmentStorage=true."""
    fields = dict(
        part.split("=", 1) for part in connection_string.strip().split(";") if "=" in part
    )
    if fields.get("UseDevelopmentStorage", "").lower() == "true":
        return {
            "DefaultEndpointsProtocol": "http",
            "AccountName": DEV_ACCOUNT,
            "AccountKey": DEV_KEY,
            **DEV_ENDPOINTS,
        }
    return fields


def connection_string(fields: dict[str, str]) -> str:
    """A connection string made of `fields` (the inverse of `endpoints`)."""
    return ";".join(f"{key}={value}" for key, value in fields.items())


def unique_prefix() -> str:
    """A container/queue name prefix no other test uses: "t" and 8 hex digits, then "-"."""
    return f"t{secrets.token_hex(4)}-"


def settings_for(connection: str, prefix: str, **changes: object) -> AzureSettings:
    """Settings for one test's own containers and queues, retrying briefly."""
    fields: dict[str, object] = {
        "connection_string": connection,
        "container_prefix": prefix,
        "queue_prefix": prefix,
        "retry_total": 2,
        "retry_backoff_s": 0.05,
    }
    return AzureSettings.model_validate(fields | changes)


async def delete_containers(connection: str, prefix: str) -> None:
    """Delete every container whose name starts with `prefix`."""
    async with BlobServiceClient.from_connection_string(connection) as service:
        async for container in service.list_containers(name_starts_with=prefix):
            await service.delete_container(container.name)


async def delete_queues(connection: str, prefix: str) -> None:
    """Delete every queue whose name starts with `prefix`."""
    async with QueueServiceClient.from_connection_string(connection) as service:
        async for queue in service.list_queues(name_starts_with=prefix):
            await service.delete_queue(queue.name)
