"""Use cases: a moderator approves a photo in review (the scanner's publish path) or rejects it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import EmailRecord, OutboxMessage
from photogate.domain.moderation import ReasonCode, moderator_actor, undoable_rejection
from photogate.domain.submission import AuditEntry, Status, Submission, new_id
from photogate.errors import BlobNotFound, InputError, NotFound
from photogate.messages import NOTIFY_QUEUE, thank_request
from photogate.moderation.coded_reasons import checked_coded_reason
from photogate.notifying.compose import REJECTION
from photogate.outbox import relay_soon
from photogate.ports import Catalog, Container, Ports
from photogate.publishing.publish import publish

IN_REVIEW = frozenset({Status.NEEDS_REVIEW})
# The audit reason of a rejection taken back within the undo window.
REJECTION_UNDONE = "rejection undone"


@dataclass(frozen=True)
class UndoWindow:
    """How long after a moderator's rejection it can be undone, by `clock`."""

    length: timedelta
    clock: Clock = field(default=utcnow)

    def ends(self, rejected_at: datetime) -> datetime:
        """When the window of a rejection at `rejected_at` closes."""
        return rejected_at + self.length

    def opened(self, now: datetime) -> datetime:
        """The earliest rejection still undoable at `now`."""
        return now - self.length

    def undoable_until(self, trail: Sequence[AuditEntry]) -> datetime | None:
        """Until when the latest decision of `trail`, a moderator's rejection, can be undone;
        None if it cannot be (any more) by this window's clock.
        """
        last = trail[-1] if trail else None
        if last is None or not undoable_rejection(last, self.opened(self.clock())):
            return None
        return self.ends(last.at)


# The audit reason of a moderator's approval (what the scanner said is on the way in).
APPROVED_IN_REVIEW = "approved in review"
# ...and of one published without the caption the customer sent (it had personal data, say).
APPROVED_WITHOUT_CAPTION = f"{APPROVED_IN_REVIEW}; caption removed"


async def review_queue(
    catalog: Catalog, *, limit: int, offset: int = 0
) -> tuple[list[Submission], int]:
    """A page of the submissions waiting for people, oldest first, and how many there are."""
    return await catalog.list_submissions(Status.NEEDS_REVIEW, limit=limit, offset=offset)


async def approve_submission(
    submission_id: str,
    *,
    moderator: str,
    ports: Ports,
    clock: Clock = utcnow,
    drop_caption: bool = False,
) -> bool:
    """Publish a photo in review exactly as an automatic approval would, thank-you included.

    With `drop_caption` the photo goes out without its caption, which the submission loses
    too, and the audit says so. Returns False if it was no longer in review (another
    moderator settled it first).
    """
    submission = await _in_review(ports.catalog, submission_id)
    if submission is None:
        return False
    submission, reason = _as_published(submission, drop_caption=drop_caption)
    try:
        original = await ports.blobs.get(Container.QUARANTINE, submission.original_blob)
    except BlobNotFound:
        detail = "The original photo is gone, so it cannot be published. Reject it instead."
        raise InputError("original_missing", detail, status=409) from None
    actor = moderator_actor(moderator)
    # The scan stays as the scanner stored it: passing None keeps it.
    return await publish(
        submission,
        original,
        None,
        ports=ports,
        clock=clock,
        actor=actor,
        allowed_from=IN_REVIEW,
        reason=reason,
    )


def _as_published(submission: Submission, *, drop_caption: bool) -> tuple[Submission, str]:
    """The submission as the shop will show it, and the audit reason that says so."""
    if drop_caption:
        return replace(submission, caption=""), APPROVED_WITHOUT_CAPTION
    return submission, APPROVED_IN_REVIEW


async def reject_submission(
    submission_id: str,
    *,
    moderator: str,
    code: ReasonCode,
    note: str = "",
    notify: bool,
    ports: Ports,
    undo: UndoWindow | None = None,
) -> bool:
    """Reject a photo in review for `code`; with `notify`, owe the customer one kind email,
    held for the `undo` window (none: sent at once) so that undo_rejection can withdraw it.

    A note is required for "other". Returns False if it was no longer in review.
    """
    reason = checked_coded_reason(code, note, done="refused")
    submission = await _in_review(ports.catalog, submission_id)
    if submission is None:
        return False
    actor = moderator_actor(moderator)
    if not notify:
        moved = await ports.catalog.transition(
            submission.id, allowed_from=IN_REVIEW, to=Status.REJECTED, actor=actor, reason=reason
        )
        return moved is not None
    held_until = None if undo is None else undo.ends(undo.clock())
    return await _reject_and_tell(ports, submission, actor, reason, held_until)


async def _reject_and_tell(
    ports: Ports, submission: Submission, actor: str, reason: str, held_until: datetime | None
) -> bool:
    email = EmailRecord(new_id(), submission.id, REJECTION, submission.email, held_until=held_until)
    outbox = OutboxMessage(new_id(), NOTIFY_QUEUE, thank_request(email.id), submission.id)
    moved = await ports.catalog.transition_with_email(
        submission.id,
        allowed_from=IN_REVIEW,
        to=Status.REJECTED,
        actor=actor,
        reason=reason,
        email=email,
        outbox=outbox,
    )
    if moved:
        await relay_soon(ports.catalog, ports.queue, outbox)
    return moved


async def undo_rejection(
    submission_id: str,
    *,
    moderator: str,
    ports: Ports,
    undo: UndoWindow,
    rejected_at: datetime,
) -> bool:
    """Take back the rejection audited at `rejected_at` (the one the moderator saw) if a
    moderator made it within the undo window and it is still the photo's latest decision: the
    photo goes back in review, the email to the customer that waits out that window withdrawn;
    audited as `moderator`'s.

    Returns False if it is too late: the window passed, the photo moved on (an undo of that
    rejection included), or its email is already on its way. Raises NotFound for an unknown id.
    """
    if await ports.catalog.get_submission(submission_id) is None:
        raise NotFound("unknown_submission", "There is no submission with this id.")
    now = undo.clock()
    return await ports.catalog.undo_rejection(
        submission_id,
        actor=moderator_actor(moderator),
        reason=REJECTION_UNDONE,
        rejected_at=rejected_at,
        since=undo.opened(now),
        now=now,
    )


def undone_last(trail: Sequence[AuditEntry]) -> AuditEntry | None:
    """The undo of a rejection that is the latest entry of `trail`, if it ends with one."""
    if not trail:
        return None
    last = trail[-1]
    undone = last.reason == REJECTION_UNDONE and last.to_status is Status.NEEDS_REVIEW
    return last if undone else None


async def _in_review(catalog: Catalog, submission_id: str) -> Submission | None:
    submission = await catalog.get_submission(submission_id)
    if submission is None:
        raise NotFound("unknown_submission", "There is no submission with this id.")
    return submission if submission.status is Status.NEEDS_REVIEW else None
