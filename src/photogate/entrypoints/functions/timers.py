"""What the timer triggers run: the outbox sweep with the reconciler, and retention clean-up."""

from __future__ import annotations

import logging

from photogate.bootstrap import Services
from photogate.intake.direct_upload import settle_abandoned_uploads
from photogate.outbox import relay_outbox
from photogate.privacy.erase import finish_requested_erasures
from photogate.recovery.reconcile import Reconciled, ReconcilePolicy, reconcile
from photogate.retention import PurgeReport, RetentionPolicy, purge
from photogate.worker.runner import RELAY_AGE_S

log = logging.getLogger(__name__)


async def sweep_and_reconcile(services: Services) -> Reconciled:
    """Send outbox messages their writers left behind, re-queue lost scans, settle direct
    uploads whose grant ran out without a completion, and finish erasures left half-done.

    The worker runs these in loops; on Functions nothing runs between invocations, so this timer
    is the outbox's only sweep (writers still send their own message at once).
    """
    ports = services.ports
    sent = await relay_outbox(ports.catalog, ports.queue, older_than_s=RELAY_AGE_S)
    if sent:
        log.warning("relayed %d outbox messages their writers had not sent", sent)
    policy = ReconcilePolicy.from_settings(services.settings.queue)
    reconciled = await reconcile(ports=ports, policy=policy)
    await settle_abandoned_uploads(services)
    await finish_requested_erasures(ports)
    return reconciled


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
