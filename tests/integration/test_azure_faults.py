"""Azure adapters behind a proxy that answers 30 % of requests 503: retries hide it all."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from photogate.adapters.azure_blobs import AzureBlobStore
from photogate.adapters.azure_queue import AzureStorageQueue
from photogate.errors import StorageUnavailable
from photogate.ports.blobs import Container
from photogate.settings import AzureSettings
from tests.support import azurite
from tests.support.fault_proxy import FaultProxy

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

P = Container.PUBLIC
ROUND_TRIPS = 20
FAULT_RATE = 0.3
# 11 attempts at 30 % failure each: one operation in about 570,000 still fails.
PATIENT = {"retry_total": 10, "retry_backoff_s": 0.01}
DEADLINE_S = 20.0


@dataclass
class Proxied:
    """Azure settings whose endpoints go through fault proxies, and the proxies."""

    blob_proxy: FaultProxy
    queue_proxy: FaultProxy
    connection: str
    prefix: str

    def settings(self, **changes: object) -> AzureSettings:
        """Settings for this test's containers and queues, reached through the proxies."""
        fields = azurite.endpoints(self.connection)
        fields["BlobEndpoint"] = self.blob_proxy.url
        fields["QueueEndpoint"] = self.queue_proxy.url
        return azurite.settings_for(azurite.connection_string(fields), self.prefix, **changes)


@pytest.fixture
async def proxied() -> AsyncIterator[Proxied]:
    """Fault proxies in front of Azurite's blob and queue endpoints, started and stopped."""
    connection = azurite.azurite_connection_string()
    fields = azurite.endpoints(connection)
    blob_proxy = FaultProxy(fields["BlobEndpoint"], fault_rate=FAULT_RATE, seed=1)
    queue_proxy = FaultProxy(fields["QueueEndpoint"], fault_rate=FAULT_RATE, seed=2)
    await blob_proxy.start()
    await queue_proxy.start()
    setup = Proxied(blob_proxy, queue_proxy, connection, azurite.unique_prefix())
    yield setup
    await blob_proxy.aclose()
    await queue_proxy.aclose()
    await azurite.delete_containers(connection, setup.prefix)
    await azurite.delete_queues(connection, setup.prefix)


async def test_blob_round_trips_all_succeed_through_injected_503s(proxied: Proxied) -> None:
    """Puts, gets and deletes of 20 blobs all succeed though 30 % of requests answer 503."""
    store = AzureBlobStore.from_settings(proxied.settings(**PATIENT))
    blobs = {f"{n:02d}/800.webp": os.urandom(16 * 1024) for n in range(ROUND_TRIPS)}
    try:
        await asyncio.gather(
            *(store.put(Container.PUBLIC, k, v, "image/webp") for k, v in blobs.items())
        )
        read = await asyncio.gather(*(store.get(Container.PUBLIC, name) for name in blobs))
        await asyncio.gather(*(store.delete(Container.PUBLIC, name) for name in blobs))
        left = await asyncio.gather(*(store.exists(Container.PUBLIC, name) for name in blobs))
    finally:
        await store.aclose()
    assert read == list(blobs.values())
    assert not any(left)
    # Four requests per blob, and the containers' creation: some 25 to 35 of them answered 503.
    assert proxied.blob_proxy.injected >= ROUND_TRIPS


async def test_queue_round_trips_lose_no_message_through_injected_503s(proxied: Proxied) -> None:
    """20 messages sent, received and deleted through 30 % 503s arrive exactly once each."""
    queue = AzureStorageQueue.from_settings(proxied.settings(**PATIENT))
    sent = [f"job-{n}" for n in range(ROUND_TRIPS)]
    try:
        await asyncio.gather(*(queue.send("scans", body) for body in sent))
        received = await drain(queue, "scans", len(sent))
        remaining = await queue.count("scans")
    finally:
        await queue.aclose()
    assert sorted(received) == sorted(sent)
    assert remaining == 0
    assert proxied.queue_proxy.injected >= ROUND_TRIPS // 2


async def drain(queue: AzureStorageQueue, name: str, expected: int) -> list[str]:
    """Receive and delete until `expected` messages came, or fail at the deadline."""
    bodies: list[str] = []
    deadline = time.monotonic() + DEADLINE_S
    while len(bodies) < expected:
        assert time.monotonic() < deadline, f"only {len(bodies)} of {expected} arrived"
        batch = await queue.receive(name, max_messages=8, visibility_timeout=60)
        await asyncio.gather(*(queue.delete(name, message) for message in batch))
        bodies += [message.body for message in batch]
    return bodies


async def test_retries_are_exactly_as_many_as_the_settings_say(proxied: Proxied) -> None:
    """With every request failing and retry_total=2, each call makes 3 attempts, then
    raises StorageUnavailable; nothing ever reaches the storage service.
    """
    proxied.blob_proxy.fault_rate = proxied.queue_proxy.fault_rate = 1.0
    store = AzureBlobStore.from_settings(proxied.settings(retry_total=2, retry_backoff_s=0.01))
    queue = AzureStorageQueue.from_settings(proxied.settings(retry_total=2, retry_backoff_s=0.01))
    try:
        with pytest.raises(StorageUnavailable, match="503 ServerBusy"):
            await store.get(Container.QUARANTINE, "a/original.jpg")
        with pytest.raises(StorageUnavailable, match="create queue"):
            await queue.receive("scans")
    finally:
        await store.aclose()
        await queue.aclose()
    assert (proxied.blob_proxy.injected, proxied.blob_proxy.forwarded) == (3, 0)
    assert (proxied.queue_proxy.injected, proxied.queue_proxy.forwarded) == (3, 0)


async def test_an_unreachable_account_is_storage_unavailable() -> None:
    """Nobody listening at the endpoint: after the retries, StorageUnavailable, not an SDK error."""
    with socket.socket() as bound_not_listening:  # held, so nobody else can listen there
        bound_not_listening.bind(("127.0.0.1", 0))
        await _refused_on(bound_not_listening.getsockname()[1])


async def _refused_on(port: int) -> None:
    fields = azurite.endpoints("UseDevelopmentStorage=true")
    fields["BlobEndpoint"] = f"http://127.0.0.1:{port}/{azurite.DEV_ACCOUNT}"
    fields["QueueEndpoint"] = f"http://127.0.0.1:{port}/{azurite.DEV_ACCOUNT}"
    settings = azurite.settings_for(azurite.connection_string(fields), "t-", retry_total=1)
    store, queue = AzureBlobStore.from_settings(settings), AzureStorageQueue.from_settings(settings)
    try:
        with pytest.raises(StorageUnavailable, match="could not be reached"):
            await store.exists(Container.PUBLIC, "a.webp")
        with pytest.raises(StorageUnavailable, match="could not be reached"):
            await queue.send("scans", "x")
    finally:
        await store.aclose()
        await queue.aclose()
