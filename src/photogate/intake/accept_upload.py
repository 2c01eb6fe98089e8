"""Use case: accept an upload (validate everything, then quarantine, record and queue it)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import OutboxMessage
from photogate.domain.fingerprint import Fingerprint
from photogate.domain.submission import Status, Submission, new_id
from photogate.errors import NotFound
from photogate.image_work import run_image_work
from photogate.intake.form import UploadForm, checked_form
from photogate.intake.image_check import ImageInfo, check_size, examine
from photogate.intake.repeats import ANSWERS_REPEATS, repeat_refusal
from photogate.messages import SCAN_QUEUE, scan_request
from photogate.outbox import relay_soon
from photogate.ports import Container, Ports
from photogate.settings import UploadSettings

log = logging.getLogger(__name__)


async def accept_upload(
    form: UploadForm,
    image: bytes | Path,
    size_bytes: int,
    *,
    ports: Ports,
    limits: UploadSettings,
    clock: Clock = utcnow,
) -> Submission:
    """Check the form and the image (its bytes, or the file holding them), then store the
    original and queue it for scanning.

    Nothing is left behind unless every check passes. Raises InputError (or NotFound)
    otherwise, and DuplicateUpload when the same file was sent for the same product before (and
    still stands; see repeats), or is being sent at the same moment: the catalog records one.
    """
    form = checked_form(form, limits)
    if await ports.catalog.get_product(form.sku) is None:
        raise NotFound("unknown_product", f"there is no product with SKU {form.sku!r}")
    check_size(size_bytes, limits)  # before reading the file into memory
    data, info, fingerprint = await run_image_work(_read_and_examine, image, limits)
    submission = _new_submission(form, info, size_bytes, clock)
    outbox = OutboxMessage(new_id(), SCAN_QUEUE, scan_request(submission.id), submission.id)
    earlier = await _store(submission, outbox, fingerprint, data, ports)
    if earlier is not None:
        raise repeat_refusal(earlier, form.email)
    if await relay_soon(ports.catalog, ports.queue, outbox):
        return replace(submission, status=Status.QUEUED)
    return submission


def _read_and_examine(
    image: bytes | Path, limits: UploadSettings
) -> tuple[bytes, ImageInfo, Fingerprint]:
    """The image's bytes, what they show and their fingerprint: blocking, so one trip to a
    thread does it all.
    """
    data = image.read_bytes() if isinstance(image, Path) else image
    info, fingerprint = examine(data, limits)
    return data, info, fingerprint


def _new_submission(form: UploadForm, info: ImageInfo, size: int, clock: Clock) -> Submission:
    submission_id, now = new_id(), clock()
    return Submission(
        id=submission_id,
        sku=form.sku,
        email=form.email,
        display_name=form.display_name,
        caption=form.caption,
        original_blob=f"{submission_id}/original.{info.format}",
        content_type=info.content_type,
        size_bytes=size,
        width=info.width,
        height=info.height,
        created_at=now,
        consent_at=now,
        licence_version=form.licence_version or None,
    )


async def _store(
    submission: Submission,
    outbox: OutboxMessage,
    fingerprint: Fingerprint,
    data: bytes,
    ports: Ports,
) -> Submission | None:
    """Quarantine the original, then record submission and queue message in one transaction;
    if the catalog finds it repeats an earlier submission instead, the original goes again and
    that one is returned.

    The check is made as the rows are written, not before the file is, so that two copies sent
    at once cannot both pass it; a repeat costs a file written and deleted.
    """
    blob = submission.original_blob
    await ports.blobs.put(Container.QUARANTINE, blob, data, submission.content_type)
    try:
        earlier = await ports.catalog.add_submission(
            submission, outbox, fingerprint, repeats=ANSWERS_REPEATS
        )
    except asyncio.CancelledError:
        # Cancelled (the customer went away) while its batch was being written: the batch may
        # have committed all the same, and then the row points at the blob, which stays.
        await _delete_unless_recorded(submission, ports)
        raise
    except BaseException:
        # No row points at the blob: remove it so a failed intake leaves nothing behind.
        await ports.blobs.delete(Container.QUARANTINE, blob)
        raise
    if earlier is not None:
        await ports.blobs.delete(Container.QUARANTINE, blob)
    return earlier


async def _delete_unless_recorded(submission: Submission, ports: Ports) -> None:
    """Delete the quarantined original unless a row was written for it. Any error here is
    logged, not raised, and the original kept: the caller re-raises its cancellation.
    """
    try:
        if await ports.catalog.get_submission(submission.id) is None:
            await ports.blobs.delete(Container.QUARANTINE, submission.original_blob)
    except Exception:
        log.warning("kept the original of cancelled upload %s", submission.id, exc_info=True)
