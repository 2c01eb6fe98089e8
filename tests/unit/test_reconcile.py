"""The reconciler: lost scan messages are replaced once per grace period, never a decision twice."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.adapters.memory.catalog import InMemoryCatalog
from photogate.adapters.memory.mailer import InMemoryMailer
from photogate.adapters.memory.queue import InMemoryMessageQueue
from photogate.adapters.memory.scanner import InMemoryScanner, scan_result
from photogate.bootstrap import Services, bootstrap
from photogate.clock import Clock
from photogate.domain.catalog import Product
from photogate.domain.scan import Verdict
from photogate.domain.submission import Status
from photogate.errors import ScannerBusy, ScannerUnavailable, StorageUnavailable
from photogate.intake.accept_upload import accept_upload
from photogate.messages import NOTIFY_QUEUE, SCAN_QUEUE, field_of
from photogate.notifying.thank_customer import NotifyPolicy
from photogate.recovery.reconcile import ACTOR, ReconcilePolicy, reconcile
from photogate.scanning.scan_submission import ScanPolicy, scan_submission
from photogate.settings import Settings, UploadSettings, load_settings
from photogate.worker.consumer import QueueConsumer
from photogate.worker.failures import RepeatedFailures
from photogate.worker.routes import scan_route
from photogate.worker.runner import run_chores, run_worker
from tests.unit.conftest import SKU, Fakes, another_photo_file, form

GRACE_S = 600.0


class HandClock:
    """One hand-moved clock for the catalog (datetimes) and the queue (seconds)."""

    def __init__(self) -> None:
        self.now = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def seconds(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
async def fakes(clock: HandClock) -> Fakes:
    """The in-memory ports, catalog and queue on the hand-moved clock."""
    catalog = InMemoryCatalog(clock=clock)
    await catalog.upsert_products([Product(SKU, "Trail Tent 2P", "A tent.", 19900)])
    queue = InMemoryMessageQueue(clock=clock.seconds)
    return Fakes(InMemoryBlobStore(), queue, catalog, InMemoryScanner(), InMemoryMailer())


@pytest.fixture
def policy(clock: HandClock) -> ReconcilePolicy:
    return ReconcilePolicy(after_s=GRACE_S, clock=clock)


async def upload(fakes: Fakes, tmp_path: Path, clock: Clock) -> str:
    """An accepted upload: recorded, its outbox message dispatched, the submission queued."""
    path, size = another_photo_file(tmp_path)
    limits = UploadSettings()
    submission = await accept_upload(
        form(), path, size, ports=fakes.ports, limits=limits, clock=clock
    )
    return submission.id


async def lose_scan_messages(fakes: Fakes) -> int:
    """Delete every scan message, as a crash or a broken queue would lose them."""
    messages = await fakes.queue.receive(SCAN_QUEUE, max_messages=32)
    for message in messages:
        await fakes.queue.delete(SCAN_QUEUE, message)
    return len(messages)


async def work_off_scans(fakes: Fakes, scan_policy: ScanPolicy) -> int:
    """Deliver every visible scan message to the scan use case, as the worker does."""
    handled = 0
    while messages := await fakes.queue.receive(SCAN_QUEUE, max_messages=32):
        for message in messages:
            submission_id = field_of(message.body, "submission_id")
            await scan_submission(submission_id, ports=fakes.ports, policy=scan_policy)
            await fakes.queue.delete(SCAN_QUEUE, message)
            handled += 1
    return handled


async def test_a_lost_message_is_replaced_once_per_grace_period(
    fakes: Fakes, clock: HandClock, policy: ReconcilePolicy, tmp_path: Path
) -> None:
    """A queued submission without a message is re-queued after the grace period, then not
    again until another grace period passes without progress."""
    sid = await upload(fakes, tmp_path, clock)
    assert await lose_scan_messages(fakes) == 1
    clock.advance(GRACE_S - 1)
    assert (await reconcile(ports=fakes.ports, policy=policy)).requeued == []
    clock.advance(2)
    [requeued] = (await reconcile(ports=fakes.ports, policy=policy)).requeued
    assert (requeued.submission_id, requeued.was, requeued.idle_s) == (sid, Status.QUEUED, 601)
    assert await fakes.queue.count(SCAN_QUEUE) == 1
    last = (await fakes.catalog.audit_trail(sid))[-1]
    assert (last.actor, last.reason) == (
        "reconciler",
        "reconciler: re-queued after 601 s without progress",
    )
    assert (await reconcile(ports=fakes.ports, policy=policy)).requeued == []
    assert await lose_scan_messages(fakes) == 1
    clock.advance(GRACE_S - 1)
    assert (await reconcile(ports=fakes.ports, policy=policy)).requeued == []
    clock.advance(2)
    assert len((await reconcile(ports=fakes.ports, policy=policy)).requeued) == 1
    assert await fakes.queue.count(SCAN_QUEUE) == 1


async def test_settled_submissions_are_never_requeued(
    fakes: Fakes, clock: HandClock, policy: ReconcilePolicy, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Approved, rejected, needs-review and failed submissions stay as they are, however old."""
    approved, rejected, review, failed = [await upload(fakes, tmp_path, clock) for _ in range(4)]
    fakes.scanner.script(rejected, scan_result(Verdict.FAIL))
    fakes.scanner.script(review, scan_result(Verdict.INCONCLUSIVE))
    for sid in (approved, rejected, review):
        await scan_submission(sid, ports=fakes.ports, policy=scan_policy)
    await fakes.catalog.transition(
        failed, allowed_from={Status.QUEUED}, to=Status.FAILED, actor="w"
    )
    await lose_scan_messages(fakes)
    clock.advance(7 * 24 * 3600)
    assert (await reconcile(ports=fakes.ports, policy=policy)).requeued == []
    statuses = [await fakes.catalog.get_submission(s) for s in (approved, rejected, review, failed)]
    assert [s.status for s in statuses if s] == [
        Status.APPROVED,
        Status.REJECTED,
        Status.NEEDS_REVIEW,
        Status.FAILED,
    ]
    assert await fakes.queue.count(SCAN_QUEUE) == 0


class Unreachable(InMemoryMessageQueue):
    """The in-memory queue, except that every send fails while `down` is set."""

    down = False

    async def send(self, queue: str, body: str, *, delay: float = 0.0) -> str:
        if self.down:
            raise StorageUnavailable("the queue is unreachable")
        return await super().send(queue, body, delay=delay)


async def test_an_undispatched_outbox_message_is_left_to_the_relay(
    fakes: Fakes, clock: HandClock, policy: ReconcilePolicy, tmp_path: Path
) -> None:
    """A submission whose outbox message was never sent is not doubled by the reconciler."""
    fakes.queue = queue = Unreachable(clock=clock.seconds)
    queue.down = True
    await upload(fakes, tmp_path, clock)
    queue.down = False
    [never_sent] = await fakes.catalog.pending_outbox(10)
    clock.advance(GRACE_S + 1)
    assert (await reconcile(ports=fakes.ports, policy=policy)).requeued == []
    assert await fakes.catalog.pending_outbox(10) == [never_sent]
    assert await fakes.queue.count(SCAN_QUEUE) == 0


async def test_a_crash_between_dispatch_and_queued_is_recovered(
    fakes: Fakes, clock: HandClock, policy: ReconcilePolicy, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Marked dispatched but still received, its message gone: it is queued again and scanned."""
    fakes.queue = queue = Unreachable(clock=clock.seconds)
    queue.down = True
    sid = await upload(fakes, tmp_path, clock)
    queue.down = False
    [message] = await fakes.catalog.pending_outbox(10)
    await fakes.catalog.mark_dispatched(message.id)  # ...and the process died before "queued"
    clock.advance(GRACE_S + 1)
    [requeued] = (await reconcile(ports=fakes.ports, policy=policy)).requeued
    assert (requeued.submission_id, requeued.was) == (sid, Status.RECEIVED)
    assert await work_off_scans(fakes, scan_policy) == 1
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status is Status.APPROVED


async def test_nothing_is_requeued_while_the_scan_queue_is_behind(
    fakes: Fakes, clock: HandClock, policy: ReconcilePolicy, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """While a visible scan message has waited longer than the grace period, nothing is doubled."""
    lost = await upload(fakes, tmp_path, clock)
    await lose_scan_messages(fakes)
    waiting = await upload(fakes, tmp_path, clock)
    clock.advance(GRACE_S + 1)
    result = await reconcile(ports=fakes.ports, policy=policy)
    assert (result.behind, result.requeued) == (True, [])
    assert await work_off_scans(fakes, scan_policy) == 1
    [requeued] = (await reconcile(ports=fakes.ports, policy=policy)).requeued
    assert requeued.submission_id == lost
    submission = await fakes.catalog.get_submission(waiting)
    assert submission is not None and submission.status is Status.APPROVED


async def test_a_lost_message_after_dispatch_ends_in_one_scan_one_photo_one_email(
    fakes: Fakes, clock: HandClock, policy: ReconcilePolicy, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """Crash simulation: row written, outbox dispatched, message lost; reconcile, then exactly
    one scan, one photo row and one thank-you owed."""
    sid = await upload(fakes, tmp_path, clock)
    await lose_scan_messages(fakes)
    clock.advance(GRACE_S + 1)
    assert len((await reconcile(ports=fakes.ports, policy=policy)).requeued) == 1
    assert await work_off_scans(fakes, scan_policy) == 1
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None and submission.status is Status.APPROVED
    assert [call.request_id for call in fakes.scanner.calls] == [sid]
    assert await fakes.catalog.photo_counts() == {SKU: 1}
    assert await fakes.queue.count(NOTIFY_QUEUE) == 1
    clock.advance(GRACE_S + 1)
    assert (await reconcile(ports=fakes.ports, policy=policy)).requeued == []


async def test_a_message_that_was_only_slow_makes_a_harmless_duplicate(
    fakes: Fakes, clock: HandClock, policy: ReconcilePolicy, scan_policy: ScanPolicy, tmp_path: Path
) -> None:
    """A message held past the grace period gets a twin; both are handled, one decision results."""
    sid = await upload(fakes, tmp_path, clock)
    [held] = await fakes.queue.receive(SCAN_QUEUE, visibility_timeout=GRACE_S * 2)
    clock.advance(GRACE_S + 1)
    assert len((await reconcile(ports=fakes.ports, policy=policy)).requeued) == 1
    assert await scan_submission(sid, ports=fakes.ports, policy=scan_policy) is Status.APPROVED
    await fakes.queue.delete(SCAN_QUEUE, held)
    assert await work_off_scans(fakes, scan_policy) == 1
    assert fakes.scanner.scans == 1
    assert await fakes.catalog.photo_counts() == {SKU: 1}
    assert await fakes.queue.count(NOTIFY_QUEUE) == 1


def scan_consumer(fakes: Fakes, scan_policy: ScanPolicy, settings: Settings) -> QueueConsumer:
    """The worker's scan route on the fakes, as a consumer the test hands messages to."""
    notify = NotifyPolicy(sender="Shop <photos@shop.example>", shop_url="http://shop.example")
    services = Services(settings, fakes.ports, scan_policy, notify)
    return QueueConsumer(fakes.queue, scan_route(services), settings.queue)


async def run_for(
    fakes: Fakes,
    clock: HandClock,
    consumer: QueueConsumer,
    policy: ReconcilePolicy,
    seconds: int,
) -> list[int]:
    """Simulate a worker over `seconds`: every 10 s it takes and handles what is visible, every
    minute it reconciles. Returns the scan queue's length after each step.
    """
    lengths = []
    for elapsed in range(0, seconds, 10):
        for message in await fakes.queue.receive(SCAN_QUEUE, max_messages=32):
            await consumer.process(message)
        if elapsed % 60 == 0:
            await reconcile(ports=fakes.ports, policy=policy)
        lengths.append(await fakes.queue.count(SCAN_QUEUE))
        clock.advance(10)
    return lengths


async def reconciler_moves(fakes: Fakes, submission_id: str) -> int:
    trail = await fakes.catalog.audit_trail(submission_id)
    return sum(1 for entry in trail if entry.actor == ACTOR)


@pytest.mark.parametrize(
    "error",
    [ScannerUnavailable("503", retry_after=300), ScannerBusy("429", retry_after=60)],
    ids=["retrying-at-the-longest-backoff", "throttled"],
)
async def test_a_message_between_attempts_is_never_taken_for_lost(
    fakes: Fakes, clock: HandClock, scan_policy: ScanPolicy, tmp_path: Path, error: Exception
) -> None:
    """A scan retried at the longest backoff, or throttled for an hour, keeps one message: each
    attempt notes itself, so the reconciler never adds a second, and a failing one is poisoned
    after exactly max_attempts scanner calls.
    """
    settings = Settings(_env_file=None, data_dir=tmp_path)
    policy = replace(ReconcilePolicy.from_settings(settings.queue), clock=clock)
    sid = await upload(fakes, tmp_path, clock)
    fakes.scanner.script(sid, *[error] * 400)
    consumer = scan_consumer(fakes, scan_policy, settings)
    lengths = await run_for(fakes, clock, consumer, policy, seconds=3600)
    assert await reconciler_moves(fakes, sid) == 0
    assert max(lengths) == 1
    submission = await fakes.catalog.get_submission(sid)
    assert submission is not None
    if isinstance(error, ScannerBusy):
        assert submission.status is Status.SCANNING
    else:
        assert submission.status is Status.FAILED
        assert len(fakes.scanner.calls) == settings.queue.max_attempts


async def test_a_run_holds_off_while_a_retried_message_could_be_waiting_in_line(
    fakes: Fakes, clock: HandClock, tmp_path: Path
) -> None:
    """A message may wait out the longest retry delay and then wait in line: with the head of
    the queue older than the grace period less that delay, nothing is re-queued.
    """
    policy = ReconcilePolicy(after_s=GRACE_S, clock=clock, retry_delay_max_s=300.0)
    lost = await upload(fakes, tmp_path, clock)
    await lose_scan_messages(fakes)
    clock.advance(250)
    await upload(fakes, tmp_path, clock)  # the head of the queue, 351 s old below
    clock.advance(GRACE_S + 1 - 250)
    assert (await reconcile(ports=fakes.ports, policy=policy)).behind
    patient = replace(policy, retry_delay_max_s=0.0)
    [requeued] = (await reconcile(ports=fakes.ports, policy=patient)).requeued
    assert requeued.submission_id == lost


async def test_a_run_requeues_at_most_its_limit(
    fakes: Fakes, clock: HandClock, tmp_path: Path
) -> None:
    """One run re-queues at most `limit` submissions, the longest idle first."""
    sids = []
    for _ in range(3):
        sids.append(await upload(fakes, tmp_path, clock))
        clock.advance(1)
    await lose_scan_messages(fakes)
    clock.advance(GRACE_S)
    small = ReconcilePolicy(after_s=GRACE_S, limit=2, clock=clock)
    requeued = (await reconcile(ports=fakes.ports, policy=small)).requeued
    assert [r.submission_id for r in requeued] == sids[:2]


class Shifted:
    """The real UTC clock, shifted back by `back` (an upload made an hour ago, say)."""

    def __init__(self, back: timedelta) -> None:
        self.back = back

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.back


async def test_the_worker_reconciles_periodically(tmp_path: Path) -> None:
    """run_worker re-queues a stuck submission on its own and the scan then approves it."""
    an_hour_ago = Shifted(timedelta(hours=1))
    catalog = InMemoryCatalog(clock=an_hour_ago)
    await catalog.upsert_products([Product(SKU, "Trail Tent 2P", "A tent.", 19900)])
    fakes = Fakes(
        InMemoryBlobStore(), InMemoryMessageQueue(), catalog, InMemoryScanner(), InMemoryMailer()
    )
    sid = await upload(fakes, tmp_path, an_hour_ago)
    await lose_scan_messages(fakes)
    an_hour_ago.back = timedelta(0)
    settings = load_settings(data_dir=tmp_path / "var", queue={"reconcile_every_s": 0.05})
    services = await bootstrap(
        settings,
        blobs=fakes.blobs,
        queue=fakes.queue,
        catalog=catalog,
        scanner=fakes.scanner,
        mailer=fakes.mailer,
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(services, stop, notifications=False))
    try:
        deadline = time.monotonic() + 10
        while (s := await catalog.get_submission(sid)) is None or s.status is not Status.APPROVED:
            assert time.monotonic() < deadline, f"still {s.status if s else None}"
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await worker
        await services.aclose()
    assert fakes.scanner.scans == 1


async def test_a_chore_failing_run_after_run_logs_a_line_a_minute_not_a_traceback_a_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With its RepeatedFailures, a chore that fails every run (the database down) is one
    WARNING without a traceback, then nothing more within the minute, then a line when it
    works again; the errors are still returned; a chore without one logs its traceback.
    """
    outcomes = [StorageUnavailable("the catalog database is unavailable")] * 3 + [None]

    async def chore() -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    failures = {
        "reconciling": RepeatedFailures(logging.getLogger("photogate.worker.runner"), "reconciling")
    }
    with caplog.at_level(logging.INFO, logger="photogate.worker.runner"):
        returned = [await run_chores([("reconciling", chore)], failures) for _ in range(4)]
    assert [len(errors) for errors in returned] == [1, 1, 1, 0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [(r.getMessage(), r.exc_info) for r in warnings] == [
        ("reconciling failed: the catalog database is unavailable; retrying", None)
    ]
    assert "reconciling recovered" in caplog.records[-1].getMessage()
    caplog.clear()
    outcomes.append(StorageUnavailable("down"))
    with caplog.at_level(logging.INFO, logger="photogate.worker.runner"):
        await run_chores([("reconciling", chore)])
    assert caplog.records[-1].exc_info is not None
