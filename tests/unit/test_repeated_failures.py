"""A retrying loop's failures cost one line when they start, one a minute while they last and
one when they end, each saying why, with no traceback above DEBUG: the helper, and the worker
loops that use it (outbox relay, heartbeat, queue receive) with the catalog or queue down.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime
from pathlib import Path

import pytest

from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.bootstrap import Services
from photogate.domain.catalog import OutboxMessage
from photogate.domain.heartbeat import Heartbeat
from photogate.errors import StorageUnavailable
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.ports import QueueMessage
from photogate.scanning.scan_submission import ScanPolicy
from photogate.settings import QueueSettings, Settings
from photogate.worker import runner
from photogate.worker.consumer import QueueConsumer, Route
from photogate.worker.failures import RepeatedFailures, one_line
from photogate.worker.heartbeat import HeartbeatWriter
from tests.unit.conftest import Fakes
from tests.unit.test_heartbeat import Now, Ticks, limiter

DOWN = "the catalog database is unavailable: connection refused"


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """The messages logged at `level`, each checked to carry no traceback."""
    found = [r for r in caplog.records if r.levelno == level]
    assert all(r.exc_info is None and r.exc_text is None for r in found)
    return [r.getMessage() for r in found]


def test_a_failure_repeated_for_minutes_logs_once_a_minute_then_its_recovery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every 2 s for 2.5 minutes: the first failure, one line at 60 s and one at 120 s with
    how long and how often, then one line when it works again.
    """
    ticks = Ticks()
    failures = RepeatedFailures(logging.getLogger("t"), "outbox relay", monotonic=ticks)
    start = ticks.now
    with caplog.at_level(logging.INFO, logger="t"):
        while ticks.now - start <= 150:
            failures.failed(StorageUnavailable(DOWN))
            ticks.now += 2
        failures.succeeded()
        failures.succeeded()
    assert lines(caplog, logging.WARNING) == [
        f"outbox relay failed: {DOWN}; retrying",
        f"outbox relay failing for 1m00s: {DOWN} (31 times)",
        f"outbox relay failing for 2m00s: {DOWN} (61 times)",
    ]
    assert lines(caplog, logging.INFO) == ["outbox relay recovered after 2m32s (76 failures)"]


def test_after_a_recovery_the_next_failure_is_logged_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A new outage starts a new count, logged straight away."""
    ticks = Ticks()
    failures = RepeatedFailures(logging.getLogger("t"), "job", monotonic=ticks)
    with caplog.at_level(logging.WARNING, logger="t"):
        failures.failed(StorageUnavailable("first"))
        failures.succeeded()
        ticks.now += 1
        failures.failed(StorageUnavailable("second"))
    assert lines(caplog, logging.WARNING) == [
        "job failed: first; retrying",
        "job failed: second; retrying",
    ]


def test_the_traceback_is_kept_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    """Every failure's traceback is logged at DEBUG, for whoever turns it on."""
    failures = RepeatedFailures(logging.getLogger("t"), "job", monotonic=Ticks())
    with caplog.at_level(logging.DEBUG, logger="t"):
        failures.failed(StorageUnavailable(DOWN))
        failures.failed(StorageUnavailable(DOWN))
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 2
    assert all(r.exc_info is not None for r in debug)


def test_one_line_names_foreign_errors_and_folds_newlines() -> None:
    """Our errors read as their message; others get their type; newlines become spaces."""
    assert one_line(StorageUnavailable("down\n  try later")) == "down try later"
    assert one_line(KeyError("x")) == "KeyError: 'x'"
    assert one_line(TimeoutError()) == "TimeoutError"


# -- the worker loops -----------------------------------------------------------------------


class DownOutbox(InMemoryCatalog):
    """A catalog down for its first `failures` outbox reads; the read after sets `back`."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.back = asyncio.Event()

    async def pending_outbox(
        self, limit: int, *, created_before: datetime | None = None
    ) -> list[OutboxMessage]:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailable(DOWN)
        self.back.set()
        return []


async def test_the_relay_loop_logs_an_outage_on_one_line_and_its_end(
    fakes: Fakes,
    scan_policy: ScanPolicy,
    notify_policy: NotifyPolicy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Five failed sweeps in a row: one WARNING saying why, no traceback, one INFO when back."""
    monkeypatch.setattr(runner, "RELAY_EVERY_S", 0)  # sweep again at once
    catalog = DownOutbox(failures=5)
    ports = fakes.ports.__class__(fakes.blobs, fakes.queue, catalog, fakes.scanner, fakes.mailer)
    services = Services(
        Settings(_env_file=None, data_dir=tmp_path), ports, scan_policy, notify_policy
    )
    with caplog.at_level(logging.INFO, logger="photogate.worker.runner"):
        await asyncio.gather(runner._relay_loop(services, catalog.back), catalog.back.wait())
    assert lines(caplog, logging.WARNING) == [f"outbox relay failed: {DOWN}; retrying"]
    assert lines(caplog, logging.INFO) == ["outbox relay recovered after 0s (5 failures)"]


class DownHeartbeats(InMemoryCatalog):
    """A catalog whose heartbeat writes fail until `down` is cleared."""

    down = True

    async def record_heartbeat(self, beat: Heartbeat) -> None:
        if self.down:
            raise StorageUnavailable(DOWN)
        await super().record_heartbeat(beat)


async def test_heartbeats_failing_for_a_minute_log_two_lines_and_the_recovery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A beat every 15 s failing for 75 s: the first failure, one repeat at 60 s, recovered."""
    catalog, ticks = DownHeartbeats(), Ticks()
    writer = HeartbeatWriter(catalog, limiter(), clock=Now(), monotonic=ticks)
    with caplog.at_level(logging.INFO, logger="photogate.worker.heartbeat"):
        for _ in range(6):
            await writer.beat()
            ticks.now += 15
        catalog.down = False
        await writer.beat()
    what = "writing the worker's heartbeat"
    assert lines(caplog, logging.WARNING) == [
        f"{what} failed: {DOWN}; retrying",
        f"{what} failing for 1m00s: {DOWN} (5 times)",
    ]
    assert lines(caplog, logging.INFO) == [f"{what} recovered after 1m30s (6 failures)"]


class DownQueue(InMemoryMessageQueue):
    """A queue whose first `failures` receives fail; the receive after sets `stop`."""

    def __init__(self, failures: int, stop: asyncio.Event) -> None:
        super().__init__()
        self.failures, self.stop = failures, stop

    async def receive(
        self, queue: str, *, max_messages: int = 1, visibility_timeout: float = 30.0
    ) -> list[QueueMessage]:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailable("the queue database is unavailable")
        self.stop.set()
        return await super().receive(
            queue, max_messages=max_messages, visibility_timeout=visibility_timeout
        )


async def test_a_consumer_whose_receives_fail_logs_one_line_and_the_recovery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Four failed receives: one WARNING naming the queue and why, then one INFO when back."""
    stop = asyncio.Event()

    async def nothing(*_: str) -> None:
        return None

    route = Route("scans", nothing, nothing, max_in_flight=1)
    worker = QueueConsumer(DownQueue(4, stop), route, QueueSettings(poll_interval_s=0.001))
    with caplog.at_level(logging.INFO, logger="photogate.worker.consumer"):
        await worker.run(stop)
    assert lines(caplog, logging.WARNING) == [
        "receiving from scans failed: the queue database is unavailable; retrying"
    ]
    [recovered] = lines(caplog, logging.INFO)
    assert re.fullmatch(r"receiving from scans recovered after \d+s \(4 failures\)", recovered)
