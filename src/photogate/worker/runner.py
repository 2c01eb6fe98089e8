"""Runs the worker: one consumer per queue and the outbox relay, until told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from functools import partial

from photogate.bootstrap import Services
from photogate.intake.direct_upload import settle_abandoned_uploads
from photogate.outbox import forget_dispatched, relay_outbox
from photogate.privacy.erase import finish_requested_erasures
from photogate.recovery.reconcile import ReconcilePolicy, reconcile
from photogate.retention import RetentionPolicy, purge
from photogate.scanning.limiter import AdaptiveLimiter
from photogate.worker.consumer import QueueConsumer
from photogate.worker.failures import RepeatedFailures
from photogate.worker.heartbeat import keep_beating
from photogate.worker.limiter_trace import log_limiter, trace_limiter
from photogate.worker.routes import notify_route, scan_route

log = logging.getLogger(__name__)
# A periodic job's name (for the log) and the job.
Chore = tuple[str, Callable[[], Awaitable[object]]]
RELAY_EVERY_S = 2.0
# Writers send their own outbox message at once; the sweep only takes what they left behind.
RELAY_AGE_S = 5.0


async def run_worker(
    services: Services, stop: asyncio.Event, *, scans: bool = True, notifications: bool = True
) -> None:
    """Consume the chosen queues until `stop` is set; in-flight messages are finished first."""
    routes = ([scan_route(services)] if scans else []) + (
        [notify_route(services)] if notifications else []
    )
    consumers = [QueueConsumer(services.ports.queue, r, services.settings.queue) for r in routes]
    jobs = [consumer.run(stop) for consumer in consumers]
    jobs.append(_announce_stop(consumers, stop))
    if scans:
        jobs.append(_reconcile_loop(services, stop))
        if services.settings.privacy.purge_every_s > 0:
            jobs.append(_purge_loop(services, stop))
    if scans and services.scan_limiter is not None:
        jobs.extend(_limiter_jobs(services, services.scan_limiter, stop))
    work = asyncio.gather(*jobs, _relay_loop(services, stop))
    if not (scans and services.heartbeat is not None):
        await work
        return
    # The heartbeat goes on while the work in hand drains; its last beat says stopped.
    drained = asyncio.Event()
    await asyncio.gather(_then_set(work, drained), keep_beating(services.heartbeat, drained))


async def _announce_stop(consumers: list[QueueConsumer], stop: asyncio.Event) -> None:
    await stop.wait()
    log.info("stopping: %d in hand", sum(consumer.in_hand for consumer in consumers))


async def _then_set(work: Awaitable[object], done: asyncio.Event) -> None:
    try:
        await work
    finally:
        done.set()


def _limiter_jobs(
    services: Services, limiter: AdaptiveLimiter, stop: asyncio.Event
) -> list[Coroutine[None, None, None]]:
    """The limiter's trace file and its log summary, as the settings ask for them."""
    scanner = services.settings.scanner
    jobs = []
    if scanner.limiter_trace_path is not None:
        every_s = scanner.limiter_trace_every_s
        jobs.append(trace_limiter(limiter, scanner.limiter_trace_path, stop, every_s=every_s))
    if scanner.limiter_log_every_s > 0:
        jobs.append(log_limiter(limiter, stop, every_s=scanner.limiter_log_every_s))
    return jobs


async def _relay_loop(services: Services, stop: asyncio.Event) -> None:
    """Sends outbox messages that the writer could not send itself (queue down, crash)."""
    failures = RepeatedFailures(log, "outbox relay")
    while not stop.is_set():
        try:
            await relay_outbox(
                services.ports.catalog, services.ports.queue, older_than_s=RELAY_AGE_S
            )
        except Exception as exc:
            failures.failed(exc)
        else:
            failures.succeeded()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=RELAY_EVERY_S)


def reconcile_chores(services: Services) -> list[Chore]:
    """What the reconcile loop runs (and, on Functions, the reconcile timer): re-queue
    submissions that lost their scan message (photogate.recovery.reconcile), settle direct
    uploads whose grant ran out (photogate.intake.direct_upload), finish erasures left
    half-done (photogate.privacy.erase) and delete outbox messages dispatched a week ago
    (photogate.outbox).
    """
    policy = ReconcilePolicy.from_settings(services.settings.queue)
    forget = partial(forget_dispatched, services.ports.catalog, clock=services.clock)
    return [
        ("reconciling", partial(reconcile, ports=services.ports, policy=policy)),
        ("settling abandoned direct uploads", partial(settle_abandoned_uploads, services)),
        ("finishing erasures", partial(finish_requested_erasures, services.ports)),
        ("forgetting dispatched outbox messages", forget),
    ]


async def run_chores(
    chores: list[Chore], failures: Mapping[str, RepeatedFailures] | None = None
) -> list[Exception]:
    """Run each chore whatever became of the ones before it; the errors, each logged (with
    its traceback), or reported through the chore's RepeatedFailures in `failures` (a line
    when it starts failing, one a minute while it does, one when it works again).
    """
    errors = []
    for what, chore in chores:
        reporter = (failures or {}).get(what)
        try:
            await chore()
        except Exception as exc:
            if reporter is None:
                log.warning("%s failed; trying again later", what, exc_info=True)
            else:
                reporter.failed(exc)
            errors.append(exc)
        else:
            if reporter is not None:
                reporter.succeeded()
    return errors


async def _reconcile_loop(services: Services, stop: asyncio.Event) -> None:
    """Runs reconcile_chores every reconcile_every_s; an outage costs a line a minute per
    chore, not a traceback per chore per run.
    """
    chores = reconcile_chores(services)
    failures = {what: RepeatedFailures(log, what) for what, _ in chores}
    while not await _stopped_within(stop, services.settings.queue.reconcile_every_s):
        await run_chores(chores, failures)


async def _purge_loop(services: Services, stop: asyncio.Event) -> None:
    """Deletes the originals retention allows to go (see photogate.retention)."""
    privacy = services.settings.privacy
    policy = RetentionPolicy.from_settings(services.settings)
    while not await _stopped_within(stop, privacy.purge_every_s):
        try:
            report = await purge(services, policy)
        except Exception:
            log.warning("the retention purge failed; trying again later", exc_info=True)
            continue
        if report.count:
            log.info("retention purge deleted %d original(s)", report.count)


async def _stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()
