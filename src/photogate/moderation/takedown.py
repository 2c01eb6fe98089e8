"""Use case: take a published photo down (a complaint, a legal request); the audit keeps it."""

from __future__ import annotations

from photogate.domain.moderation import TakedownCode
from photogate.domain.submission import Status
from photogate.errors import InputError, NotFound
from photogate.moderation.coded_reasons import checked_coded_reason
from photogate.ports import Ports
from photogate.publishing.publish import delete_public, public_blob_names

PUBLISHED = frozenset({Status.APPROVED})
MAX_REASON = 500


async def take_down(submission_id: str, *, actor: str, reason: str, ports: Ports) -> bool:
    """Delete the photo's public renditions, then unpublish it; False if it was not published.

    The renditions go first, because they are what the public sees. If this stops half-way,
    the photo's catalog row is still there, so running it again finishes the job.

    Once deleted they stay deleted: the names come from the photo row, and every publish
    attempt writes to a folder of its own. A redelivered twin of the approving scan writing
    meanwhile writes other files, and deletes them when its approval is refused.
    """
    reason = _reason(reason)
    submission = await ports.catalog.get_submission(submission_id)
    if submission is None:
        raise NotFound("unknown_submission", "There is no submission with this id.")
    if submission.status not in PUBLISHED:
        return False
    photo = await ports.catalog.get_photo(submission_id)
    await delete_public(public_blob_names(photo) if photo else [], ports)
    return await ports.catalog.unpublish(
        submission_id, allowed_from=PUBLISHED, to=Status.TAKEN_DOWN, actor=actor, reason=reason
    )


def takedown_reason(code: TakedownCode, note: str = "") -> str:
    """The audit reason of a takedown for `code`: "code" or "code: note" (see
    checked_coded_reason for what is refused).
    """
    return checked_coded_reason(code, note, done="taken down")


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        detail = "Please give a reason for the takedown (a complaint, a legal request…)."
        raise InputError("reason_required", detail, status=422)
    if len(reason) > MAX_REASON:
        detail = f"Keep the reason under {MAX_REASON} characters."
        raise InputError("reason_too_long", detail, status=422)
    return reason
