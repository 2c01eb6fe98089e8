"""Intake's duplicate check: the same file sent again for the same product is not scanned again."""

from __future__ import annotations

from typing import Final

from photogate.domain.submission import Status, Submission
from photogate.errors import DuplicateUpload, InputError, NotFound
from photogate.ports.catalog import SubmissionLedger

# An earlier submission in these states answers for a repeat of its file: it is still on its
# way, or published, or taken down by the shop. A rejected or failed one does not, so the
# customer may try again (with a better caption, or after an outage); nor does an erased one.
ANSWERS_REPEATS: Final = frozenset(
    {
        Status.RECEIVED,
        Status.QUEUED,
        Status.SCANNING,
        Status.NEEDS_REVIEW,
        Status.APPROVED,
        Status.TAKEN_DOWN,
    }
)
ALREADY_SENT: Final = "already_sent"
# How a direct upload's failure reason names the earlier submission it repeated, for people to
# read; nothing parses it (the failed submission's repeat_of records it).
_EARLIER_NOTE: Final = "(earlier submission {})"
YOURS: Final = "You already sent this photo for this product; here is where it stands."
NOT_YOURS: Final = (
    "This photo was already sent for this product from another email address. "
    "Each photo is shown once; if you took it, please write to us."
)


def repeat_refusal(earlier: Submission, email: str) -> DuplicateUpload:
    """The refusal of a repeat of `earlier` sent with `email`: the customer's own (naming the
    earlier submission, which answers for it) or someone else's.
    """
    if _same_customer(earlier, email):
        return DuplicateUpload(ALREADY_SENT, YOURS, submission_id=earlier.id)
    return DuplicateUpload("already_sent_by_someone_else", NOT_YOURS, submission_id=None)


def refusal_reason(refusal: InputError) -> str:
    """The reason a failed direct upload shows for its refusal: "code: detail", and for the
    customer's own repeat, which submission it repeats (for people: see `repeated_submission`).
    """
    reason = f"{refusal.code}: {refusal.detail}"
    earlier = repeated_submission(refusal)
    return reason if earlier is None else f"{reason} {_EARLIER_NOTE.format(earlier)}"


def repeated_submission(refusal: InputError) -> str | None:
    """The customer's earlier submission that `refusal` found repeated, or None.

    A failed direct upload records it as its repeat_of: the earlier submission is the answer to
    every completion of the repeat, and a later one (the browser's, after Event Grid's
    BlobCreated) has only that record to find it by.
    """
    if isinstance(refusal, DuplicateUpload) and refusal.submission_id:
        return refusal.submission_id
    return None


async def answering_repeat(catalog: SubmissionLedger, submission: Submission) -> Submission | None:
    """The customer's earlier submission of the same file, if `submission` is a direct upload
    failed as its repeat; None otherwise. Raises NotFound if that one is gone (erased since).
    """
    earlier = _repeated(submission)
    return None if earlier is None else await sent_before(catalog, earlier)


async def sent_before(catalog: SubmissionLedger, submission_id: str) -> Submission:
    """The customer's earlier submission of the same file; NotFound if it is gone."""
    earlier = await catalog.get_submission(submission_id)
    if earlier is None:  # erased since intake looked: nothing to point at
        raise NotFound("unknown_submission", "The earlier submission of this photo is gone.")
    return earlier


def _repeated(submission: Submission) -> str | None:
    """The id of the submission a failed direct upload repeated, as recorded, or None."""
    return submission.repeat_of if submission.status is Status.FAILED else None


def _same_customer(earlier: Submission, email: str) -> bool:
    return earlier.email.casefold() == email.casefold()
