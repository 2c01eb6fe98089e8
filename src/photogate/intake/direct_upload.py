"""Use case: direct upload (valet key): the browser puts the file in quarantine, intake checks it.

`start_direct_upload` checks the form and the limits, records the submission as
awaiting_upload and grants a create-only, single-blob upload URL valid for at most ten
minutes. `complete_direct_upload` runs when the blob arrived (Event Grid's BlobCreated, or
the browser's POST .../complete, whichever comes first; both may come): it checks the stored
file exactly as the multipart path checks a posted one, deletes it if refused (a repeat of
the customer's own file too: its failure records the earlier submission, which answers for
it, see `answering_repeat`), and otherwise records and queues it as `accept_upload` does.
`settle_abandoned_uploads` completes or fails those whose grant expired without either (a
lost event, a closed tab). A file that lands for a
submission no longer awaiting it is deleted unless it is the accepted original: the grant can
create the blob again whenever it is not there, and only the first file is ever checked.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import OutboxMessage
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.submission import Repeat, Status, Submission, UploadedFile, new_id
from photogate.errors import InputError, NotFound
from photogate.image_work import run_image_work
from photogate.intake.form import UploadForm, checked_form
from photogate.intake.image_check import check_size, examine
from photogate.intake.limits import (
    UploadLimits,
    email_slot,
    give_back_email_slot,
    take_client_slot,
)
from photogate.intake.repeats import (
    ANSWERS_REPEATS,
    refusal_reason,
    repeat_refusal,
    repeated_submission,
)
from photogate.messages import SCAN_QUEUE, scan_request
from photogate.outbox import relay_soon
from photogate.ports import Container, DirectUploads, UploadGrant
from photogate.ports.blobs import MAX_GRANT_LIFETIME

if TYPE_CHECKING:
    from photogate.bootstrap import Services

log = logging.getLogger(__name__)

ACTOR: Final = "intake"
MISSING: Final = "upload_missing"
EXPIRES_AT: Final = "upload_expires_at"
# A PUT that began just before its grant expired may still be arriving for a while.
ARRIVAL_GRACE: Final = timedelta(minutes=2)
_BLOB_NAME: Final = re.compile(r"([0-9a-f]{32})/upload")


@dataclass(frozen=True)
class DirectUpload:
    """A started direct upload: the submission awaiting its file, and where to PUT the file."""

    submission: Submission
    grant: UploadGrant


def direct_uploads(services: Services) -> DirectUploads | None:
    """The blob store, if it grants direct uploads and PHOTOGATE_UPLOADS__DIRECT_UPLOADS is on."""
    blobs = services.ports.blobs
    if services.settings.uploads.direct_uploads and isinstance(blobs, DirectUploads):
        return blobs
    return None


def blob_name_for(submission_id: str) -> str:
    """The quarantine blob a direct upload of this submission is granted."""
    return f"{submission_id}/upload"


def submission_id_from_blob_name(name: str) -> str | None:
    """The submission a quarantine blob name was granted to, or None for any other blob."""
    match = _BLOB_NAME.fullmatch(name)
    return match.group(1) if match else None


async def start_direct_upload(
    services: Services, form: UploadForm, *, client: str, clock: Clock = utcnow
) -> DirectUpload:
    """Check the form and the limits, record the submission awaiting its file, grant the upload.

    Raises InputError (NotFound, RateLimited) as the multipart path does, and NotFound with
    code direct_uploads_unavailable where the blob store cannot grant uploads.
    """
    grants, settings, catalog = _grants(services), services.settings.uploads, services.ports.catalog
    form = checked_form(form, settings)
    if await catalog.get_product(form.sku) is None:
        raise NotFound("unknown_product", f"there is no product with SKU {form.sku!r}")
    limits, now = UploadLimits.from_settings(settings), clock()
    await take_client_slot(catalog, limits, client, now)
    async with email_slot(catalog, limits, form.email, form.sku, now):
        submission_id = new_id()
        lifetime = timedelta(seconds=settings.direct_upload_ttl_s)
        grant = await grants.grant_upload(blob_name_for(submission_id), lifetime)
        submission = _awaiting(submission_id, form, grant, now)
        await catalog.add_awaiting_upload(submission)
    return DirectUpload(submission, grant)


async def complete_direct_upload(
    services: Services, submission_id: str, *, clock: Clock = utcnow
) -> Submission:
    """Check the uploaded file and queue it, or refuse it (deleted, submission failed, the day's
    slot given back; a repeat of the customer's own file as well, naming the earlier one).

    Idempotent: a submission no longer awaiting its upload is returned as it is, so a second
    call or event queues nothing. Raises NotFound for an unknown id, and InputError
    (upload_not_arrived, 409) while the file is not there but its grant may still bring it.
    """
    submission = await services.ports.catalog.get_submission(submission_id)
    if submission is None:
        raise NotFound("unknown_submission", "There is no upload with this id.")
    if submission.status is not Status.AWAITING_UPLOAD:
        await _drop_late_file(services, submission)
        return submission
    size = await _store(services).stored_size(submission.original_blob)
    if size is None:
        return await _not_arrived(services, submission, clock())
    try:
        file, fingerprint = await _checked_file(services, submission, size)
    except InputError as refusal:
        return await _refuse(services, submission, refusal)
    return await _accept(services, submission, file, fingerprint)


async def settle_abandoned_uploads(
    services: Services, *, limit: int = 100, clock: Clock = utcnow
) -> list[Submission]:
    """Complete (or fail) the direct uploads whose grant ran out without a completion.

    The worker's reconcile loop runs it; on Functions, the reconcile timer should.
    """
    if not isinstance(services.ports.blobs, DirectUploads):
        return []  # no store that grants uploads, so none can be waiting
    waiting, _ = await services.ports.catalog.list_submissions(Status.AWAITING_UPLOAD, limit=limit)
    now = clock()
    due = [s for s in waiting if upload_expires_at(s) + ARRIVAL_GRACE <= now]
    settled = []
    for submission in due:  # each on its own: one that cannot be settled holds up no other
        try:
            settled.append(await complete_direct_upload(services, submission.id, clock=clock))
        except Exception:
            log.warning("settling direct upload %s failed", submission.id, exc_info=True)
    return settled


def upload_expires_at(submission: Submission) -> datetime:
    """When the submission's upload grant expires (recorded in `extra` when it was granted)."""
    recorded = submission.extra.get(EXPIRES_AT)
    if recorded is None:
        return submission.created_at + MAX_GRANT_LIFETIME
    return datetime.fromisoformat(recorded)


def _grants(services: Services) -> DirectUploads:
    grants = direct_uploads(services)
    if grants is None:
        detail = "This shop takes photos at POST /api/products/{sku}/photos (multipart/form-data)."
        raise NotFound("direct_uploads_unavailable", detail)
    return grants


def _store(services: Services) -> DirectUploads:
    # Grants already given are completed even if PHOTOGATE_UPLOADS__DIRECT_UPLOADS went off.
    blobs = services.ports.blobs
    if not isinstance(blobs, DirectUploads):
        raise NotFound("direct_uploads_unavailable", "This shop takes no direct uploads.")
    return blobs


def _awaiting(
    submission_id: str, form: UploadForm, grant: UploadGrant, now: datetime
) -> Submission:
    # What the file is stays unknown until it arrives and passes; completing fills it in.
    return Submission(
        id=submission_id,
        sku=form.sku,
        email=form.email,
        display_name=form.display_name,
        caption=form.caption,
        original_blob=blob_name_for(submission_id),
        content_type="",
        size_bytes=0,
        width=0,
        height=0,
        created_at=now,
        consent_at=now,
        licence_version=form.licence_version or None,
        status=Status.AWAITING_UPLOAD,
        extra={EXPIRES_AT: grant.expires_at.isoformat()},
    )


async def _checked_file(
    services: Services, submission: Submission, size: int
) -> tuple[UploadedFile, Fingerprint]:
    limits = services.settings.uploads
    check_size(size, limits)  # from the blob's properties: a huge file is never downloaded
    data = await services.ports.blobs.get(Container.QUARANTINE, submission.original_blob)
    info, fingerprint = await run_image_work(examine, data, limits)
    file = UploadedFile(info.content_type, len(data), info.width, info.height)
    return file, fingerprint


async def _not_arrived(services: Services, submission: Submission, now: datetime) -> Submission:
    if now < upload_expires_at(submission) + ARRIVAL_GRACE:
        detail = "Your photo has not arrived yet. Send it with the upload link, then try again."
        raise InputError("upload_not_arrived", detail, status=409)
    reason = f"{MISSING}: the photo did not arrive before its upload link expired"
    return await _fail(services, submission, reason)


async def _drop_late_file(services: Services, submission: Submission) -> None:
    # Until it expires the grant creates the blob whenever it is not there: after a refusal
    # deleted the first file, after an erasure or a purge, or a PUT that began before the
    # upload was given up on. Nobody checks such a file, so it never stays.
    if not _holds_accepted_original(submission):
        await services.ports.blobs.delete(Container.QUARANTINE, submission.original_blob)


def _holds_accepted_original(submission: Submission) -> bool:
    """Whether the submission's quarantine blob is its accepted original, still to be kept.

    Completing records the file's size (never 0: an empty file is refused); a refusal or a
    missing upload records none, and an erasure or a purge marks the original gone.
    """
    accepted = submission.status is not Status.AWAITING_UPLOAD and submission.size_bytes > 0
    kept = submission.status is not Status.ERASED and submission.original_purged_at is None
    return accepted and kept


async def _refuse(services: Services, submission: Submission, refusal: InputError) -> Submission:
    # Refused files never stay in quarantine, the customer's own repeat included (its earlier
    # submission holds the file); the reason is the one the multipart path gives. Failed
    # first: if a concurrent completion (the browser's and Event Grid's) settled the upload,
    # by accepting this very file, the file is its original and stays.
    reason, earlier = refusal_reason(refusal), repeated_submission(refusal)
    failed = await _failed(services, submission, reason, repeat_of=earlier)
    if failed is None:
        return await _current(services, submission)
    await services.ports.blobs.delete(Container.QUARANTINE, submission.original_blob)
    return failed


async def _fail(services: Services, submission: Submission, reason: str) -> Submission:
    """_failed, or the submission as a concurrent completion settled it."""
    return await _failed(services, submission, reason) or await _current(services, submission)


async def _failed(
    services: Services, submission: Submission, reason: str, *, repeat_of: str | None = None
) -> Submission | None:
    """Fail the upload (recording the earlier submission it repeats, if it does) and give its
    day's slot back: a refused or missing file costs the customer none of their share, as on
    the multipart path. None if a concurrent completion settled it first (and gave back or
    kept the slot).
    """
    catalog = services.ports.catalog
    failed = await catalog.fail_upload(
        submission.id, reason=reason, actor=ACTOR, repeat_of=repeat_of
    )
    if failed is None:
        return None
    limits = UploadLimits.from_settings(services.settings.uploads)
    email, sku, taken_at = submission.email, submission.sku, submission.created_at
    await give_back_email_slot(catalog, limits, email, sku, taken_at)
    return failed


async def _current(services: Services, submission: Submission) -> Submission:
    return await services.ports.catalog.get_submission(submission.id) or submission


async def _accept(
    services: Services, submission: Submission, file: UploadedFile, fingerprint: Fingerprint
) -> Submission:
    catalog, queue = services.ports.catalog, services.ports.queue
    outbox = OutboxMessage(new_id(), SCAN_QUEUE, scan_request(submission.id), submission.id)
    moved = await catalog.complete_upload(
        submission.id,
        file=file,
        fingerprint=fingerprint,
        outbox=outbox,
        actor="customer",
        repeats=ANSWERS_REPEATS,
    )
    if isinstance(moved, Repeat):  # checked as it would be recorded: copies sent at once too
        return await _refuse(services, submission, repeat_refusal(moved.earlier, submission.email))
    if moved is None:  # a concurrent completion (the event and the browser) got there first
        return await _current(services, submission)
    await relay_soon(catalog, queue, outbox)
    return await catalog.get_submission(submission.id) or moved


def refusal_of(submission: Submission) -> InputError | None:
    """The InputError that failed a direct upload at intake, for the API to answer with."""
    if submission.status is not Status.FAILED or not submission.status_reason:
        return None
    code, separator, detail = submission.status_reason.partition(": ")
    if not separator or not code.isidentifier():
        return None
    return InputError(code, detail, status=_REFUSAL_STATUS.get(code, 400))


# How the API answers a refused file: as the multipart path would (400 unless listed here:
# empty_file, image_too_small, corrupt_image...). The customer's own repeat is no refusal
# (answering_repeat); "already_sent" is left for reasons recorded before they named the
# earlier submission.
_REFUSAL_STATUS: Final = {
    "file_too_large": 413,
    "image_too_large": 413,
    "unsupported_type": 415,
    "animated_image": 415,
    "already_sent": 409,
    "already_sent_by_someone_else": 409,
    "upload_missing": 410,
}
