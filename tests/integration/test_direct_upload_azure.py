"""Direct-upload grants on Azurite: the SAS itself, CORS, and the use case on real storage.

What every granting store does (create once, no other name, expiry) is in
tests/contract/test_direct_uploads.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from photogate.adapters.azure_blobs import AzureBlobStore
from photogate.adapters.azure_queue import AzureStorageQueue
from photogate.adapters.memory.mailer import InMemoryMailer
from photogate.adapters.memory.scanner import InMemoryScanner
from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.adapters.sql.migrate import upgrade
from photogate.bootstrap import Services
from photogate.clock import utcnow
from photogate.domain.catalog import Product
from photogate.domain.scan import Thresholds
from photogate.domain.submission import Status
from photogate.intake.direct_upload import complete_direct_upload, start_direct_upload
from photogate.intake.form import UploadForm
from photogate.intake.repeats import answering_repeat
from photogate.messages import SCAN_QUEUE
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.ports import Container, Ports, UploadGrant
from photogate.scanning.scan_submission import ScanPolicy
from photogate.settings import Settings
from photogate.testing import samples
from tests.support import azurite

pytestmark = pytest.mark.integration

Q = Container.QUARANTINE
NAME = "0123456789abcdef0123456789abcdef/upload"
TEN_MINUTES = timedelta(minutes=10)


@asynccontextmanager
async def azure_store(**settings: object) -> AsyncIterator[AzureBlobStore]:
    """An AzureBlobStore on Azurite with containers of its own, deleted afterwards."""
    connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
    config = azurite.settings_for(connection, prefix, **settings)
    store = AzureBlobStore.from_settings(config)
    try:
        yield store
    finally:
        await store.aclose()
        await azurite.delete_containers(connection, prefix)


@pytest.fixture
async def store() -> AsyncIterator[AzureBlobStore]:
    async with azure_store() as azure:
        yield azure


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def sas_fields(grant: UploadGrant) -> dict[str, str]:
    """The grant URL's SAS query fields (sp, sr, se…), one value each."""
    return {key: values[0] for key, values in parse_qs(urlsplit(grant.url).query).items()}


async def test_a_grant_can_neither_read_nor_delete(
    store: AzureBlobStore, http: httpx.AsyncClient
) -> None:
    """The grant's SAS refuses GET, HEAD and DELETE of the very blob it created."""
    grant = await store.grant_upload(NAME, TEN_MINUTES)
    assert (await http.put(grant.url, content=b"x", headers=grant.headers)).status_code == 201
    assert (await http.get(grant.url)).status_code == 403
    assert (await http.head(grant.url)).status_code == 403
    assert (await http.delete(grant.url)).status_code == 403
    assert await store.exists(Q, NAME)


async def test_a_grant_is_a_create_only_sas_for_one_blob(store: AzureBlobStore) -> None:
    """The SAS is for one blob (sr=b) with permission "c" alone: no read, write, delete, list."""
    sas = sas_fields(await store.grant_upload(NAME, TEN_MINUTES))
    assert (sas["sr"], sas["sp"]) == ("b", "c")
    assert sas["spr"] == "https,http"  # Azurite speaks http; an https account gets "https"


async def test_a_grant_lives_ten_minutes_at_most(store: AzureBlobStore) -> None:
    """However long a caller asks for, the SAS expiry (se) is at most ten minutes away."""
    before = utcnow().replace(microsecond=0)
    grant = await store.grant_upload(NAME, timedelta(hours=2))
    expiry = datetime.fromisoformat(sas_fields(grant)["se"])
    assert before + TEN_MINUTES <= expiry <= utcnow() + TEN_MINUTES
    assert grant.expires_at <= utcnow() + TEN_MINUTES
    with pytest.raises(ValueError, match="must last"):
        await store.grant_upload(NAME, timedelta(0))


async def test_configured_origins_may_put_through_cors(http: httpx.AsyncClient) -> None:
    """With cors_origins set, the blob service answers a browser's PUT preflight from them."""
    origin = "http://shop.localhost:8000"
    async with azure_store(cors_origins=[origin]) as cors_store:
        grant = await cors_store.grant_upload(NAME, TEN_MINUTES)
        preflight = await http.options(
            grant.url,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "content-type,x-ms-blob-type",
            },
        )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin


@asynccontextmanager
async def services_on(store: AzureBlobStore, tmp_path: Path) -> AsyncIterator[Services]:
    """Services with the Azure store, the real SQLite catalog (migrated in `tmp_path`) and the
    real Azure queue on Azurite (queues of its own, deleted afterwards). The scanner and the
    mailer are in-memory fakes: completing an upload neither scans nor mails anything.
    """
    settings = Settings(_env_file=None, data_dir=tmp_path)
    await asyncio.to_thread(upgrade, settings.catalog_url())
    catalog = await open_sql_catalog(settings.catalog_url())
    connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
    queue = AzureStorageQueue.from_settings(azurite.settings_for(connection, prefix))
    ports = Ports(store, queue, catalog, InMemoryScanner(), InMemoryMailer())
    notify = NotifyPolicy(sender="Shop <photos@shop.example>", shop_url="http://shop.example")
    try:
        yield Services(settings, ports, ScanPolicy(Thresholds()), notify)
    finally:
        await queue.aclose()
        await azurite.delete_queues(connection, prefix)
        await catalog.aclose()


async def started_and_put(
    services: Services, http: httpx.AsyncClient, data: bytes
) -> tuple[str, httpx.Response]:
    """Start a direct upload and PUT `data` with its grant, as the browser does."""
    await services.ports.catalog.upsert_products([Product("TENT-1", "Tent", "A tent.", 100)])
    form = UploadForm("TENT-1", "kim@example.com", "Kim", "", consent=True)
    started = await start_direct_upload(services, form, client="127.0.0.1")
    put = await http.put(started.grant.url, content=data, headers=started.grant.headers)
    return started.submission.id, put


async def test_the_use_case_completes_an_upload_from_azure_once(
    store: AzureBlobStore, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A photo PUT with the grant is checked and queued once, however often completion comes:
    the browser's and Event Grid's at once, and again later; nothing is left for the outbox
    sweep to send a second time.
    """
    async with services_on(store, tmp_path) as services:
        submission_id, put = await started_and_put(services, http, samples.clean_jpeg(640, 480))
        assert put.status_code == 201
        together = await asyncio.gather(
            complete_direct_upload(services, submission_id),
            complete_direct_upload(services, submission_id),
        )
        later = await complete_direct_upload(services, submission_id)
        queued = await services.ports.queue.count(SCAN_QUEUE)
        unsent = await services.ports.catalog.pending_outbox(10)
    # The one that lost the race may answer while the winner is still handing it to the queue.
    assert {s.status for s in together} <= {Status.RECEIVED, Status.QUEUED}
    assert later.status is Status.QUEUED
    assert (queued, unsent) == (1, [])


async def test_the_use_case_deletes_a_refused_file_from_azure(
    store: AzureBlobStore, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    """A file that is not a photo is deleted from quarantine and the submission fails."""
    async with services_on(store, tmp_path) as services:
        submission_id, _ = await started_and_put(services, http, samples.html_file())
        failed = await complete_direct_upload(services, submission_id)
    assert failed.status is Status.FAILED
    assert not await store.exists(Q, failed.original_blob)


async def test_a_repeat_on_azure_is_deleted_and_answered_by_the_first_upload(
    store: AzureBlobStore, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    """The customer's second PUT of the same photo is deleted from Azure storage; the first
    upload answers for it, and only the first is queued.
    """
    async with services_on(store, tmp_path) as services:
        photo = samples.clean_jpeg(640, 480, seed=61)
        first_id, _ = await started_and_put(services, http, photo)
        first = await complete_direct_upload(services, first_id)
        repeat_id, put = await started_and_put(services, http, photo)
        assert put.status_code == 201
        repeat = await complete_direct_upload(services, repeat_id)
        assert repeat.status is Status.FAILED
        assert not await store.exists(Q, repeat.original_blob)
        assert await store.exists(Q, first.original_blob)
        earlier = await answering_repeat(services.ports.catalog, repeat)
        assert earlier is not None and earlier.id == first_id
        assert await services.ports.queue.count(SCAN_QUEUE) == 1
