"""The worker's routes: which use case handles each queue, and what giving up means for it."""

from __future__ import annotations

from photogate.bootstrap import Services
from photogate.domain.submission import SCANNABLE, Status
from photogate.messages import NOTIFY_QUEUE, SCAN_QUEUE, field_of
from photogate.notifying.thank_customer import give_up, thank_customer
from photogate.scanning.scan_submission import scan_submission
from photogate.worker.consumer import Route


def scan_route(services: Services) -> Route:
    """Scan messages: scan the submission; when given up, the submission is failed."""

    async def handle(body: str) -> object:
        submission_id = field_of(body, "submission_id")
        return await scan_submission(
            submission_id, ports=services.ports, policy=services.scan_policy
        )

    async def on_poison(body: str, reason: str) -> None:
        try:
            submission_id = field_of(body, "submission_id")
        except Exception:
            return  # a malformed body names no submission: the poison queue keeps it
        await services.ports.catalog.transition(
            submission_id, allowed_from=SCANNABLE, to=Status.FAILED, actor="worker", reason=reason
        )

    # The limiter says how many scans can start; the hard cap leaves it room for its headroom.
    in_flight = services.settings.scanner.max_in_flight * 2
    return Route(SCAN_QUEUE, handle, on_poison, in_flight, admission=services.scan_limiter)


def notify_route(services: Services) -> Route:
    """Notification messages: send the owed email; when given up, the email is failed."""

    async def handle(body: str) -> object:
        email_id = field_of(body, "email_id")
        return await thank_customer(email_id, ports=services.ports, policy=services.notify_policy)

    async def on_poison(body: str, reason: str) -> None:
        try:
            email_id = field_of(body, "email_id")
        except Exception:
            return
        await give_up(email_id, reason, ports=services.ports)

    return Route(NOTIFY_QUEUE, handle, on_poison, max_in_flight=4)
