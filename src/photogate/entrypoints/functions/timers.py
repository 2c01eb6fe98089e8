"""What the timer triggers run: the outbox sweep with the reconciler, and retention clean-up."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from photogate.bootstrap import Services
from photogate.intake.direct_upload import settle_abandoned_uploads
from photogate.outbox import relay_outbox
from photogate.ports import Ports
from photogate.privacy.erase import finish_requested_erasures
from photogate.recovery.reconcile import Reconciled, ReconcilePolicy, reconcile
from photogate.retention import PurgeReport, RetentionPolicy, purge
from photogate.worker.runner import RELAY_AGE_S

log = logging.getLogger(__name__)
T = TypeVar("T")


async def sweep_and_reconcile(services: Services) -> Reconciled:
    """Send outbox messages their writers left behind, re-queue lost scans, settle direct
    uploads whose grant ran out without a completion, and finish erasures left half-done.

    The worker runs these in loops; on Functions nothing runs between invocations, so this timer
    is the outbox's only sweep (writers still send their own message at once). Each chore runs
    whatever became of the ones before it; the first error is raised once all have run, so the
    invocation shows as failed.
    """
    ports = services.ports
    policy = ReconcilePolicy.from_settings(services.settings.queue)
    errors: list[Exception] = []
    await _caught(partial(_relay_left_behind, ports), errors)
    reconciled = await _caught(partial(reconcile, ports=ports, policy=policy), errors)
    await _caught(partial(settle_abandoned_uploads, services), errors)
    await _caught(partial(finish_requested_erasures, ports), errors)
    if errors:
        raise errors[0]
    return reconciled or Reconciled()


async def _relay_left_behind(ports: Ports) -> None:
    sent = await relay_outbox(ports.catalog, ports.queue, older_than_s=RELAY_AGE_S)
    if sent:
        log.warning("relayed %d outbox messages their writers had not sent", sent)


async def _caught(chore: Callable[[], Awaitable[T]], errors: list[Exception]) -> T | None:
    """What `chore` returns, or None with its error added to `errors`."""
    try:
        return await chore()
    except Exception as exc:
        log.warning("a timer chore failed", exc_info=True)
        errors.append(exc)
        return None


async def purge_expired_originals(services: Services) -> PurgeReport | None:
    """Delete the quarantine originals retention lets go (as `photogate purge` does); None
    when PHOTOGATE_PRIVACY__PURGE_EVERY_S is 0, which turns scheduled purges off.
    """
    privacy = services.settings.privacy
    if privacy.purge_every_s == 0:
        return None
    report = await purge(services, RetentionPolicy.from_settings(services.settings))
    if report.count:
        log.info("retention deleted %d quarantined originals", report.count)
    return report
