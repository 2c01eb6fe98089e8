"""Use case: take a published photo down (a complaint, a legal request); the audit keeps it."""

from __future__ import annotations

from photogate.domain.moderation import TakedownCode
from photogate.domain.submission import Status
from photogate.errors import InputError, NotFound
from photogate.moderation.coded_reasons import checked_coded_reason
from photogate.ports import Container, Ports
from photogate.publishing.publish import public_blob_names

PUBLISHED = frozenset({Status.APPROVED})
MAX_REASON = 500


async def take_down(submission_id: str, *, actor: str, reason: str, ports: Ports) -> bool:
    """Delete the photo's public renditions, then unpublish it; False if it was not published.

    The renditions go first, because they are what the public sees. If this stops half-way,
    the photo's catalog row is still there, so running it again finishes the job.

    They are deleted once more after the row has changed: a redelivered twin of the approving
    scan may write them again in between, and, finding the photo still approved, keep them.
    A twin writing after the row has changed finds it taken down and deletes its own files.
    """
    reason = _reason(reason)
    submission = await ports.catalog.get_submission(submission_id)
    if submission is None:
        raise NotFound("unknown_submission", "There is no submission with this id.")
    if submission.status not in PUBLISHED:
        return False
    photo = await ports.catalog.get_photo(submission_id)
    names = public_blob_names(photo) if photo else []
    await _delete_public(names, ports)
    unpublished = await ports.catalog.unpublish(
        submission_id, allowed_from=PUBLISHED, to=Status.TAKEN_DOWN, actor=actor, reason=reason
    )
    if unpublished:
        await _delete_public(names, ports)
    return unpublished


async def _delete_public(names: list[str], ports: Ports) -> None:
    for name in names:
        await ports.blobs.delete(Container.PUBLIC, name)


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
