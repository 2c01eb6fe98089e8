"""The Azure Functions app, built and called as the host would, on Azurite and the refscanner.

The Functions host cannot run here, so each test builds the app with create_function_app, takes
a function's user code, and calls it with the azure.functions objects the host would pass: the
queue messages are really received from Azurite, and what a handler does lands in Azurite, the
SQLite catalog and the file mailer's outbox.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import azure.functions as func
import httpx
import pytest
from azure.functions.queue import QueueMessage as TriggerQueueMessage
from azure.functions.timer import TimerRequest

from photogate.domain.catalog import Product
from photogate.domain.submission import Status
from photogate.entrypoints.functions import SharedServices, create_function_app
from photogate.errors import ScannerUnavailable
from photogate.intake.direct_upload import start_direct_upload
from photogate.intake.form import UploadForm
from photogate.messages import NOTIFY_QUEUE, SCAN_QUEUE, field_of, poison_queue
from photogate.ports import Container, QueueMessage
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.refscanner.app import KEY_HEADER
from photogate.settings import (
    ConsoleSettings,
    QueueSettings,
    ScannerSettings,
    Settings,
    WebSettings,
)
from photogate.testing import samples
from photogate.worker.envelope import Envelope, open_envelope
from tests.support import azurite
from tests.support.functions_host import http_request, trigger_message, user_functions
from tests.support.web_stack import multipart_body, prepare

pytestmark = pytest.mark.integration

SKU = "TT-LAMP-01"
PRODUCT = Product(SKU, "Trail Lamp", "A folding lamp for the tent.", 3900)
API_KEY = "functions-test-key"
FORM = [("email", b"ann@example.com"), ("display_name", b"Ann"), ("consent", b"true")]


@dataclass
class Host:
    """The built function app, its functions by name, and the services they share."""

    app: func.AsgiFunctionApp
    shared: SharedServices
    functions: dict[str, Callable[..., Any]]
    settings: Settings
    scanner_url: str

    async def web(self, method: str, path: str, **request: Any) -> func.HttpResponse:
        """One HTTP request through the ASGI function."""
        response: func.HttpResponse = await self.functions["web"](
            http_request(method, path, **request), None
        )
        return response


@pytest.fixture
def scanner() -> Iterator[BackgroundRefScanner]:
    """The reference scanner, answering at once, on a free port."""
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.0, api_key=API_KEY)) as running:
        yield running


@pytest.fixture
def settings(tmp_path: Any, scanner: BackgroundRefScanner) -> Settings:
    """Backend azure on Azurite (this test's own containers and queues), one product."""
    connection, prefix = azurite.azurite_connection_string(), azurite.unique_prefix()
    settings = Settings(
        _env_file=None,
        backend="azure",
        data_dir=tmp_path / "var",
        azure=azurite.settings_for(connection, prefix),
        scanner=ScannerSettings(url=scanner.url, api_key=API_KEY),
        # Short enough for the reconciler test to see a lost message within seconds.
        queue=QueueSettings(visibility_timeout_s=1, backoff_max_s=0.5, reconcile_after_s=2),
        web=WebSettings(public_base_url="https://shop.example"),
        # Backend azure requires one key shared by every instance.
        console=ConsoleSettings(secret_key="k" * 32),
    )
    prepare(settings, [PRODUCT])
    return settings


@pytest.fixture
async def host(settings: Settings, scanner: BackgroundRefScanner) -> AsyncIterator[Host]:
    """The function app as the host would load it, closed and cleaned up afterwards."""
    shared = SharedServices(lambda: settings)
    app = create_function_app(shared, queue_prefix=settings.azure.queue_prefix)
    yield Host(app, shared, user_functions(app), settings, scanner.url)
    if app.startup_task_done:  # what the host does at shutdown; AsgiFunctionApp.__del__ otherwise
        await app.middleware.notify_shutdown()
        app.startup_task_done = False
    await shared.aclose()
    connection = settings.azure.connection_string.get_secret_value()
    await azurite.delete_queues(connection, settings.azure.queue_prefix)
    await azurite.delete_containers(connection, settings.azure.container_prefix)


async def upload(host: Host) -> str:
    """Upload a clean photo through the HTTP function; returns the submission id."""
    body, content_type = multipart_body(FORM, samples.clean_jpeg())
    response = await host.web(
        "POST", f"/api/products/{SKU}/photos", body=body, headers={"content-type": content_type}
    )
    assert response.status_code == 202, response.get_body()
    return str(json.loads(response.get_body())["id"])


async def received(host: Host, queue: str, timeout: float = 10.0) -> QueueMessage:
    """The next message of `queue`, received from Azurite as the host's trigger would."""
    services = await host.shared.get()
    deadline = time.monotonic() + timeout
    while not (messages := await services.ports.queue.receive(queue, visibility_timeout=30)):
        assert time.monotonic() < deadline, f"no message on {queue} within {timeout}s"
    return messages[0]


async def status_of(host: Host, submission_id: str) -> Status:
    """The submission's state in the catalog."""
    services = await host.shared.get()
    submission = await services.ports.catalog.get_submission(submission_id)
    assert submission is not None
    return submission.status


def set_capacity(host: Host, **change: object) -> None:
    """Change the reference scanner's capacity through its admin API."""
    url = f"{host.scanner_url}/v1/admin/capacity"
    httpx.post(url, json=change, headers={KEY_HEADER: API_KEY}, timeout=5).raise_for_status()


async def test_the_web_function_serves_health_and_the_product_page(host: Host) -> None:
    """Through AsgiFunctionApp the app answers /healthz and renders a product page."""
    health = await host.web("GET", "/healthz")
    assert health.status_code == 200
    assert json.loads(health.get_body()) == {"status": "ok"}
    page = await host.web("GET", f"/products/{SKU}")
    assert page.status_code == 200
    assert "Trail Lamp" in page.get_body().decode()


async def test_a_scan_message_publishes_the_photo_and_one_email_goes_out(host: Host) -> None:
    """The scan trigger publishes to Azurite's public container; a repeated notification
    message sends no second email.
    """
    submission_id = await upload(host)
    scan = await received(host, SCAN_QUEUE)
    assert field_of(scan.body, "submission_id") == submission_id
    assert await host.functions["scans"](trigger_message(scan)) is None
    assert await status_of(host, submission_id) is Status.APPROVED
    services = await host.shared.get()
    photo = await services.ports.catalog.get_photo(submission_id)
    assert photo is not None
    rendition = photo.renditions[0]
    assert rendition.url.startswith(
        f"http://127.0.0.1:10000/devstoreaccount1/{host.settings.azure.container_prefix}public/"
    )
    served = httpx.get(rendition.url, timeout=10)  # anonymous, as a browser fetches it
    assert served.status_code == 200
    assert served.headers["content-type"] == f"image/{rendition.format}"
    page = await host.web("GET", f"/products/{SKU}")
    assert rendition.url in page.get_body().decode()
    thanks = await received(host, NOTIFY_QUEUE)
    for _ in range(2):  # delivered twice: at least once is all a queue promises
        assert await host.functions["notifications"](trigger_message(thanks)) is None
    emails = list((host.settings.outbox_dir).glob("*.eml"))
    assert len(emails) == 1
    assert "ann@example.com" in emails[0].read_text()


async def test_a_throttled_scan_goes_back_delayed_and_costs_no_attempt(host: Host) -> None:
    """With the scanner at capacity (429), the trigger sends a delayed copy and returns."""
    set_capacity(host, slots=0)
    submission_id = await upload(host)
    scan = await received(host, SCAN_QUEUE)
    started = time.monotonic()
    assert await host.functions["scans"](trigger_message(scan)) is None
    copy = await received(host, SCAN_QUEUE)
    assert time.monotonic() - started >= 0.5  # the refscanner's Retry-After: 1, whole seconds
    assert copy.id != scan.id
    assert open_envelope(copy.body) == Envelope(scan.body, failures=0, throttles=1)
    assert await status_of(host, submission_id) in {Status.QUEUED, Status.SCANNING}


async def test_a_transient_failure_raises_until_the_last_attempt_poisons_it(host: Host) -> None:
    """A 503 raises (the host retries); on the last attempt the message goes to scans-poison
    and the submission fails.
    """
    set_capacity(host, unavailable=True)
    submission_id = await upload(host)
    scan = await received(host, SCAN_QUEUE)
    with pytest.raises(ScannerUnavailable):
        await host.functions["scans"](trigger_message(scan))
    assert await status_of(host, submission_id) is Status.SCANNING
    last = TriggerQueueMessage(
        id=scan.id,
        body=scan.body.encode(),
        pop_receipt=scan.pop_receipt,
        dequeue_count=host.settings.queue.max_attempts,
    )
    assert await host.functions["scans"](last) is None
    poisoned = await received(host, poison_queue(SCAN_QUEUE))
    record = json.loads(poisoned.body)
    assert (record["body"], record["attempts"]) == (scan.body, host.settings.queue.max_attempts)
    assert await status_of(host, submission_id) is Status.FAILED


async def test_the_timer_requeues_a_scan_whose_message_was_lost(host: Host) -> None:
    """The reconcile timer sends a new scan message for a submission stuck without one."""
    submission_id = await upload(host)
    lost = await received(host, SCAN_QUEUE)
    services = await host.shared.get()
    await services.ports.queue.delete(SCAN_QUEUE, lost)
    timer = TimerRequest(past_due=False)
    deadline = time.monotonic() + 15
    while not await services.ports.queue.count(SCAN_QUEUE):
        assert time.monotonic() < deadline, "the reconciler re-queued nothing"
        await host.functions["reconcile"](timer)
    again = await received(host, SCAN_QUEUE)
    assert field_of(again.body, "submission_id") == submission_id
    trail = await services.ports.catalog.audit_trail(submission_id)
    assert any(entry.actor == "reconciler" for entry in trail)


async def test_the_retention_timer_deletes_the_original_of_a_published_photo(host: Host) -> None:
    """Once a photo is published its quarantined original goes at the next retention run."""
    submission_id = await upload(host)
    await host.functions["scans"](trigger_message(await received(host, SCAN_QUEUE)))
    services = await host.shared.get()
    submission = await services.ports.catalog.get_submission(submission_id)
    assert submission is not None and submission.status is Status.APPROVED
    original = submission.original_blob
    assert await services.ports.blobs.exists(Container.QUARANTINE, original)
    await host.functions["retention"](TimerRequest())
    assert not await services.ports.blobs.exists(Container.QUARANTINE, original)


def blob_created(
    host: Host, blob: str, *, event_type: str = "Microsoft.Storage.BlobCreated"
) -> func.EventGridEvent:
    """The event Event Grid sends when a blob lands in this test's quarantine container."""
    container = host.settings.azure.container_prefix + "quarantine"
    return func.EventGridEvent(
        id="event-1",
        data={"api": "PutBlob", "contentType": "image/jpeg"},
        topic="/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a",
        subject=f"/blobServices/default/containers/{container}/blobs/{blob}",
        event_type=event_type,
        event_time=datetime.datetime.now(datetime.UTC),
        data_version="",
    )


async def test_blob_created_starts_intake_of_a_direct_upload_once(host: Host) -> None:
    """A BlobCreated event for a direct upload queues its scan; the same event again, or one
    for a blob no submission owns, queues nothing more.
    """
    services = await host.shared.get()
    form = UploadForm(SKU, "ann@example.com", "Ann", "From the tent", consent=True)
    started = await start_direct_upload(services, form, client="203.0.113.7")
    grant = started.grant
    put = httpx.put(grant.url, content=samples.clean_jpeg(), headers=grant.headers, timeout=10)
    assert put.status_code == 201, put.text
    event = blob_created(host, started.submission.original_blob)
    for _ in range(2):  # Event Grid delivers at least once
        assert await host.functions["blob_created"](event) is None
    assert await status_of(host, started.submission.id) is Status.QUEUED
    scan = await received(host, SCAN_QUEUE)
    assert field_of(scan.body, "submission_id") == started.submission.id
    await host.functions["blob_created"](blob_created(host, "f" * 32 + "/upload"))
    await host.functions["blob_created"](
        blob_created(host, "x", event_type="Microsoft.Storage.BlobDeleted")
    )
    assert await services.ports.queue.count(SCAN_QUEUE) == 1


async def test_a_scan_delivery_leaves_the_instances_heartbeat_for_operators(host: Host) -> None:
    """After a scan delivery the instance's heartbeat is in the catalog: one scan done, the
    scanner answering (what `photogate status` and the Pipeline page show on Azure).
    """
    await upload(host)
    scan = await received(host, SCAN_QUEUE)
    await host.functions["scans"](trigger_message(scan))
    services = await host.shared.get()
    an_hour_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    [beat] = await services.ports.catalog.recent_heartbeats(an_hour_ago)
    assert (beat.succeeded, beat.failed, beat.breaker_open) == (1, 0, False)
