"""The Undo a page offers under a rejection: for which photo, until when, and whether the
customer is emailed once it is too late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from photogate.bootstrap import Services
from photogate.domain.submission import AuditEntry, Submission
from photogate.entrypoints.web.deps import undo_window


@dataclass(frozen=True)
class UndoOffer:
    """An Undo button as a page shows it: for which photo (and its name in words), until when,
    and the rejection it takes back, by the time of its audit entry.
    """

    submission_id: str
    photo: str
    until: datetime
    rejected_at: datetime
    # Whether the customer is emailed about the rejection once the window is over.
    emails: bool


def offer_for(
    services: Services, submission: Submission, product_name: str, trail: Sequence[AuditEntry]
) -> UndoOffer | None:
    """The Undo to offer for `submission`, whose audit is `trail`; None once it is too late."""
    window = undo_window(services)
    until = None if window is None else window.undoable_until(trail)
    if until is None:
        return None
    photo = f"{product_name}, photo by {submission.display_name}"
    emails = services.settings.console.notify_rejections
    return UndoOffer(submission.id, photo, until, trail[-1].at, emails)


async def undo_offer(services: Services, submission_id: str) -> UndoOffer | None:
    """The Undo to offer for the photo `submission_id`, read from the catalog; None if there
    is no such photo or its latest decision cannot be undone (any more).
    """
    catalog = services.ports.catalog
    submission = await catalog.get_submission(submission_id)
    if submission is None:
        return None
    product = await catalog.get_product(submission.sku)
    product_name = product.name if product else submission.sku
    return offer_for(services, submission, product_name, await catalog.audit_trail(submission_id))
