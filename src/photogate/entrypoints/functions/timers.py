"""What the timer triggers run: the outbox sweep with the reconciler, and retention clean-up."""

from __future__ import annotations

import logging
from functools import partial

from photogate.bootstrap import Services
from photogate.outbox import relay_outbox
from photogate.ports import Ports
from photogate.retention import PurgeReport, RetentionPolicy, purge
from photogate.worker.runner import RELAY_AGE_S, reconcile_chores, run_chores

log = logging.getLogger(__name__)


async def sweep_and_reconcile(services: Services) -> None:
    """Send outbox messages their writers left behind, then run the worker's reconcile chores
    (worker.runner.reconcile_chores: lost scans, expired direct uploads, half-done erasures,
    outbox messages dispatched a week ago).

    The worker runs these in loops; on Functions nothing runs between invocations, so this timer
    is the outbox's only sweep (writers still send their own message at once). Each chore runs
    whatever became of the ones before it; the first error is raised once all have run, so the
    invocation shows as failed.
    """
    relay = ("relaying the outbox", partial(_relay_left_behind, services.ports))
    errors = await run_chores([relay, *reconcile_chores(services)])
    if errors:
        raise errors[0]


async def _relay_left_behind(ports: Ports) -> None:
    sent = await relay_outbox(ports.catalog, ports.queue, older_than_s=RELAY_AGE_S)
    if sent:
        log.warning("relayed %d outbox messages their writers had not sent", sent)


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
