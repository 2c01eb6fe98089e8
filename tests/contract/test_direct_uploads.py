"""Contract of the DirectUploads capability (valet key), run over every store that has it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from photogate.adapters.azure_auth import blob_service_client
from photogate.adapters.azure_blobs import AzureBlobStore
from photogate.adapters.filesystem_blobs import FilesystemBlobStore
from photogate.adapters.memory.blobs import InMemoryBlobStore, InMemoryDirectBlobStore
from photogate.clock import Clock, utcnow
from photogate.ports.blobs import Container, DirectUploads, UploadGrant
from tests.support import azurite

Q = Container.QUARANTINE
NAME = "0123456789abcdef0123456789abcdef/upload"
OTHER = "fedcba9876543210fedcba9876543210/upload"
TEN_MINUTES = timedelta(minutes=10)
AZURE = pytest.param("azure", marks=pytest.mark.integration)


@dataclass
class Granting:
    """A store that grants uploads, and how a browser PUTs with a grant to it."""

    store: DirectUploads
    # PUT `data` to a grant's URL (with the grant's headers); True if the store took it.
    put: Callable[[str, UploadGrant, bytes], Awaitable[bool]]
    blobs: InMemoryBlobStore | AzureBlobStore


@asynccontextmanager
async def memory_store(clock: Clock) -> AsyncIterator[Granting]:
    """The in-memory fake; its `upload` plays the browser's PUT."""
    store = InMemoryDirectBlobStore(clock=clock, service_clock=utcnow)

    async def put(url: str, grant: UploadGrant, data: bytes) -> bool:
        try:
            store.upload(url, data)
        except PermissionError:
            return False
        return True

    yield Granting(store, put, store)


@asynccontextmanager
async def azure_store(clock: Clock) -> AsyncIterator[Granting]:
    """An AzureBlobStore on Azurite with its own containers; the PUT goes over HTTP."""
    connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
    config = azurite.settings_for(connection, prefix)
    store = AzureBlobStore(blob_service_client(config, None), container_prefix=prefix, clock=clock)
    async with httpx.AsyncClient(timeout=10) as http:

        async def put(url: str, grant: UploadGrant, data: bytes) -> bool:
            response = await http.put(url, content=data, headers=grant.headers)
            return response.status_code == 201

        try:
            yield Granting(store, put, store)
        finally:
            await store.aclose()
            await azurite.delete_containers(connection, prefix)


@pytest.fixture(params=["memory", AZURE])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def granting(kind: str) -> AsyncIterator[Granting]:
    """Each store with direct uploads, on the real clock."""
    async with stores(kind, utcnow) as store:
        yield store


def stores(kind: str, clock: Clock) -> AbstractAsyncContextManager[Granting]:
    """The store of `kind`, its grants dated by `clock`."""
    return memory_store(clock) if kind == "memory" else azure_store(clock)


def for_other_blob(grant: UploadGrant, name: str) -> str:
    """The grant's URL (and signature) pointed at another blob of the same container."""
    url = urlsplit(grant.url)
    return urlunsplit(url._replace(path=url.path.rsplit("/", 2)[0] + f"/{name}"))


async def test_a_grant_creates_its_blob_once(granting: Granting) -> None:
    """A PUT with the grant stores the file in quarantine; a second cannot overwrite it."""
    grant = await granting.store.grant_upload(NAME, TEN_MINUTES)
    assert await granting.put(grant.url, grant, b"first")
    assert not await granting.put(grant.url, grant, b"second")
    assert await granting.blobs.get(Q, NAME) == b"first"


async def test_a_grant_creates_no_other_blob(granting: Granting) -> None:
    """The grant's signature does not open any other name in the container."""
    grant = await granting.store.grant_upload(NAME, TEN_MINUTES)
    assert not await granting.put(for_other_blob(grant, OTHER), grant, b"x")
    assert not await granting.blobs.exists(Q, OTHER)


async def test_a_grant_lasts_ten_minutes_at_most(granting: Granting) -> None:
    """Asked for two hours, a grant still expires within ten minutes; zero is refused."""
    grant = await granting.store.grant_upload(NAME, timedelta(hours=2))
    assert grant.expires_at <= utcnow() + TEN_MINUTES
    with pytest.raises(ValueError, match="must last"):
        await granting.store.grant_upload(NAME, timedelta(0))


async def test_an_expired_grant_uploads_nothing(kind: str) -> None:
    """A grant dated by a clock eleven minutes slow has expired already, and is refused."""
    async with stores(kind, lambda: utcnow() - timedelta(minutes=11)) as slow:
        grant = await slow.store.grant_upload(NAME, TEN_MINUTES)
        assert not await slow.put(grant.url, grant, b"late")
        assert await slow.store.stored_size(NAME) is None


async def test_stored_size_reads_the_size_of_an_arrived_file(granting: Granting) -> None:
    """stored_size is the blob's size once it arrived, None before."""
    assert await granting.store.stored_size(NAME) is None
    grant = await granting.store.grant_upload(NAME, TEN_MINUTES)
    await granting.put(grant.url, grant, b"12345")
    assert await granting.store.stored_size(NAME) == 5


async def test_upload_origin_is_where_the_grants_point(granting: Granting) -> None:
    """The origin a page's CSP must allow is the grant URL's scheme, host and port."""
    grant = await granting.store.grant_upload(NAME, TEN_MINUTES)
    url = urlsplit(grant.url)
    assert granting.store.upload_origin() == f"{url.scheme}://{url.netloc}"


def test_stores_without_the_capability_keep_multipart(tmp_path: object) -> None:
    """The filesystem store (embedded default) and the plain fake do not grant uploads."""
    assert not isinstance(FilesystemBlobStore(tmp_path), DirectUploads)  # type: ignore[arg-type]
    assert not isinstance(InMemoryBlobStore(), DirectUploads)
