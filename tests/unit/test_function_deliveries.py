"""Queue deliveries on Functions: the host's last delivery still reaches photogate's code."""

from __future__ import annotations

import json
from pathlib import Path

from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.entrypoints.functions.deliveries import deliver
from photogate.errors import PermanentError, StorageUnavailable
from photogate.messages import SCAN_QUEUE, poison_queue, scan_request
from photogate.worker.consumer import Route
from photogate.worker.envelope import open_envelope
from tests.unit.conftest import Fakes
from tests.unit.test_direct_upload import services_for

HOST_JSON = Path(__file__).resolve().parents[2] / "host.json"


class Recorder:
    """A route's handler and give-up, remembering what they were called with."""

    def __init__(self) -> None:
        self.handled: list[str] = []
        self.given_up: list[tuple[str, str]] = []

    async def handle(self, body: str) -> object:
        self.handled.append(body)
        return None

    async def on_poison(self, body: str, reason: str) -> None:
        self.given_up.append((body, reason))


async def test_the_hosts_last_delivery_settles_a_message_whose_last_attempt_died(
    fakes: Fakes, tmp_path: Path
) -> None:
    """At host.json's maxDequeueCount the message is poisoned and its work given up by our
    code, not moved raw by the host, so a scan whose 5th attempt timed out ends failed.
    """
    services = services_for(fakes, tmp_path, fakes.blobs)
    recorder, body = Recorder(), scan_request("0" * 32)
    route = Route(SCAN_QUEUE, recorder.handle, recorder.on_poison, max_in_flight=1)
    last_delivery = json.loads(HOST_JSON.read_text())["extensions"]["queues"]["maxDequeueCount"]
    await deliver(services, route, body, dequeue_count=last_delivery)
    attempts = services.settings.queue.max_attempts
    assert recorder.handled == []
    assert recorder.given_up == [(body, f"delivered {attempts} times without completing")]
    [poisoned] = await fakes.queue.receive(poison_queue(SCAN_QUEUE), max_messages=5)
    assert json.loads(poisoned.body)["attempts"] == attempts


async def test_a_give_up_that_fails_comes_back_and_poisons_once_with_its_reason(
    fakes: Fakes, tmp_path: Path
) -> None:
    """Giving the work up fails once (a catalog blip): a delayed copy past its attempts and
    carrying the reason is sent, no poison record yet; the copy's delivery gives the work up
    for that same reason, not "delivered N times", and writes the one record.
    """
    now = [1_000.0]
    fakes.queue = InMemoryMessageQueue(clock=lambda: now[0])
    services = services_for(fakes, tmp_path, fakes.blobs)
    body, failures = scan_request("0" * 32), [StorageUnavailable("the catalog is busy")]
    reasons: list[str] = []

    async def refused(_: str) -> object:
        raise PermanentError("not a photo")

    async def give_up(_: str, reason: str) -> None:
        reasons.append(reason)
        if failures:
            raise failures.pop()

    route = Route(SCAN_QUEUE, refused, give_up, max_in_flight=1)
    await deliver(services, route, body, dequeue_count=1)
    assert await fakes.queue.count(poison_queue(SCAN_QUEUE)) == 0
    now[0] += 3600  # past the copy's delay
    [copy] = await fakes.queue.receive(SCAN_QUEUE, max_messages=5)
    await deliver(services, route, copy.body, dequeue_count=1)
    assert reasons == ["not a photo", "not a photo"]
    [record] = await fakes.queue.receive(poison_queue(SCAN_QUEUE), max_messages=5)
    assert json.loads(record.body) == {"body": body, "error": "not a photo", "attempts": 5}


async def test_a_storage_outage_puts_the_message_back_without_an_attempt(
    fakes: Fakes, tmp_path: Path
) -> None:
    """The catalog or blob store unavailable on the host's last delivery: a delayed copy goes
    back carrying the failures so far, and nothing is given up or poisoned.
    """
    now = [1_000.0]
    fakes.queue = InMemoryMessageQueue(clock=lambda: now[0])
    services = services_for(fakes, tmp_path, fakes.blobs)
    body = scan_request("0" * 32)

    async def locked(_: str) -> object:
        raise StorageUnavailable("the catalog database is unavailable: database is locked")

    recorder = Recorder()
    route = Route(SCAN_QUEUE, locked, recorder.on_poison, max_in_flight=1)
    attempts = services.settings.queue.max_attempts
    await deliver(services, route, body, dequeue_count=attempts)
    assert recorder.given_up == []
    assert await fakes.queue.count(poison_queue(SCAN_QUEUE)) == 0
    assert await fakes.queue.receive(SCAN_QUEUE) == []  # delayed, not straight back
    now[0] += services.settings.queue.backoff_max_s
    [copy] = await fakes.queue.receive(SCAN_QUEUE)
    envelope = open_envelope(copy.body)
    assert (envelope.body, envelope.failures, envelope.throttles) == (body, attempts - 1, 1)
