"""A submission's status as its customer may see it: plain words, no scanner internals, no email,
and no rejection a moderator may still take back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from photogate.domain.submission import Status, Submission
from photogate.entrypoints.web.schemas import (
    PhotoOut,
    SubmissionOut,
    photo_out,
    product_page_url,
)
from photogate.errors import NotFound
from photogate.moderation.review import UndoWindow
from photogate.ports import Catalog

WAITING: Final = frozenset({Status.RECEIVED, Status.QUEUED})
# What the customer is told; the scanner's categories and our thresholds stay in the audit log.
PUBLIC_REASONS: Final = {
    Status.REJECTED: "did not pass our checks",
    Status.FAILED: "could not be processed",
    Status.NEEDS_REVIEW: "a member of our team will take a look",
    Status.TAKEN_DOWN: "was removed from the product page",
    Status.ERASED: "was erased at your request",
}
MESSAGES: Final = {
    Status.AWAITING_UPLOAD: "We are waiting for your photo to arrive.",
    Status.SCANNING: "We are checking your photo now.",
    Status.APPROVED: "Your photo is live on the product page. Thank you!",
    Status.REJECTED: "Sorry: your photo did not pass our checks, so we will not show it.",
    Status.NEEDS_REVIEW: "A member of our team will look at your photo before it is shown.",
    Status.FAILED: "Sorry: your photo could not be processed. Please try another one.",
    Status.TAKEN_DOWN: "Your photo is no longer shown on the product page.",
    Status.ERASED: "Your photo and your details were erased, as you asked.",
}


@dataclass(frozen=True)
class CustomerView:
    """A submission as its customer sees it, and how long that may still change by itself: a
    moderator's rejection shows as in review while it can be undone (zero once settled).
    """

    status: SubmissionOut
    undecided_for: timedelta


async def submission_status(
    catalog: Catalog, submission_id: str, undo: UndoWindow | None
) -> SubmissionOut:
    """The customer's view of one submission; raises NotFound for an unknown id."""
    return (await customer_view(catalog, submission_id, undo)).status


async def customer_view(
    catalog: Catalog, submission_id: str, undo: UndoWindow | None
) -> CustomerView:
    """The customer's view of one submission, a rejection that the `undo` window still lets a
    moderator take back shown as in review; raises NotFound for an unknown id.
    """
    submission = await catalog.get_submission(submission_id)
    if submission is None:
        raise NotFound("unknown_submission", "There is no upload with this id.")
    undoable = await _undoable_until(catalog, submission, undo)
    if undoable is None or undo is None:
        return CustomerView(await _status_out(catalog, submission), timedelta(0))
    shown = replace(submission, status=Status.NEEDS_REVIEW)
    left = max(undoable - undo.clock(), timedelta(0))
    return CustomerView(await _status_out(catalog, shown), left)


async def _undoable_until(
    catalog: Catalog, submission: Submission, undo: UndoWindow | None
) -> datetime | None:
    """Until when a moderator may still undo the submission's rejection; None if they cannot
    (or it is not rejected), so the customer may be told.
    """
    if undo is None or submission.status is not Status.REJECTED:
        return None
    return undo.undoable_until(await catalog.audit_trail(submission.id))


async def _status_out(catalog: Catalog, submission: Submission) -> SubmissionOut:
    position = await _queue_position(catalog, submission)
    return SubmissionOut(
        id=submission.id,
        sku=submission.sku,
        status=submission.status,
        status_reason=PUBLIC_REASONS.get(submission.status),
        message=status_message(submission.status, position),
        created_at=submission.created_at,
        queue_position=position,
        photo=await _photo(catalog, submission),
        product_url=product_page_url(submission.sku),
    )


def status_message(status: Status, queue_position: int | None) -> str:
    """One sentence for the customer about where the photo stands."""
    if status not in WAITING:
        return MESSAGES[status]
    if queue_position is None or queue_position <= 1:
        return "Your photo is next in line to be checked."
    return f"Your photo is waiting to be checked: it is number {queue_position} in line."


async def _queue_position(catalog: Catalog, submission: Submission) -> int | None:
    if submission.status not in WAITING:
        return None
    ahead = await catalog.queue_position(submission.id)
    return None if ahead is None else ahead + 1


async def _photo(catalog: Catalog, submission: Submission) -> PhotoOut | None:
    if submission.status != Status.APPROVED:
        return None
    photo = await catalog.get_photo(submission.id)
    return photo_out(photo) if photo else None
