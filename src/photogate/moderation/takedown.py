"""Use case: take a published photo down (a complaint, a legal request); the audit keeps it."""

from __future__ import annotations

from photogate.domain.moderation import TakedownCode
from photogate.domain.submission import Status
from photogate.errors import InputError, NotFound
from photogate.moderation.coded_reasons import checked_coded_reason
from photogate.ports import Ports
from photogate.publishing.publish import delete_all_public

PUBLISHED = frozenset({Status.APPROVED})
MAX_REASON = 500


async def take_down(submission_id: str, *, actor: str, reason: str, ports: Ports) -> bool:
    """Delete the photo's public renditions, then unpublish it; False if it was not published.

    The renditions go first, because they are what the public sees. If this stops half-way,
    the photo's catalog row is still there, so running it again finishes the job.

    Every file under the submission's public folder goes, the photo's and any an attempt
    that crashed mid-publish left. A redelivered twin of the approving scan writing meanwhile
    writes to an attempt folder of its own, and deletes its files when its approval is refused.
    """
    reason = _reason(reason)
    submission = await ports.catalog.get_submission(submission_id)
    if submission is None:
        raise NotFound("unknown_submission", "There is no submission with this id.")
    if submission.status not in PUBLISHED:
        return False
    await delete_all_public(submission_id, ports)
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
