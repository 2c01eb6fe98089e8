"""Use case: publish an approved photo (renditions, catalog row and owed email, atomically)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Collection, Sequence

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import CustomerPhoto, EmailRecord, OutboxMessage, Rendition
from photogate.domain.scan import ScanResult
from photogate.domain.submission import SCANNABLE, Status, Submission, new_id
from photogate.image_work import run_image_work
from photogate.messages import NOTIFY_QUEUE, thank_request
from photogate.outbox import relay_soon
from photogate.ports import Container, Ports
from photogate.publishing.renditions import (
    PublicImages,
    RenditionBlob,
    make_renditions,
)

log = logging.getLogger(__name__)
ACTOR = "scanner"
THANK_YOU = "thank_you"
# Random bytes in the folder of each publish attempt: 64 bits, never guessed nor repeated.
_ATTEMPT_TOKEN_BYTES = 8


def public_key(submission_id: str) -> str:
    """The folder of a submission's public files; one-way, so a photo URL does not reveal the id."""
    return hashlib.sha256(f"photogate-public:{submission_id}".encode()).hexdigest()[:24]


def attempt_folder(submission_id: str) -> str:
    """The folder of one publish attempt's files: the submission's public key, then a random
    part, so that no two attempts (a redelivered twin, a moderator's approval) share a name.
    """
    return f"{public_key(submission_id)}/{secrets.token_hex(_ATTEMPT_TOKEN_BYTES)}"


async def publish(
    submission: Submission,
    original: bytes,
    scan: ScanResult | None,
    *,
    ports: Ports,
    clock: Clock = utcnow,
    actor: str = ACTOR,
    allowed_from: Collection[Status] = SCANNABLE,
    reason: str | None = None,
) -> bool:
    """Write the renditions, then approve, add the photo and owe a thank-you in one transaction.

    Approves only from `allowed_from`: scannable for the scanner, needs_review for a moderator.
    Returns False if the submission was settled by someone else first; nothing changes then.

    Each call writes to a folder of its own (attempt_folder), so the files of a call whose
    approval is refused are its own whoever won, and it deletes them. Only if the approval
    itself raises are they left: it may have committed, and they would then be the photo's.
    """
    images = await run_image_work(make_renditions, original)
    names = _names(attempt_folder(submission.id), images)
    renditions = await _write_public(names, images, ports)
    photo = _photo(submission, images, renditions, clock)
    email = EmailRecord(
        id=new_id(), submission_id=submission.id, kind=THANK_YOU, to=submission.email
    )
    outbox = OutboxMessage(new_id(), NOTIFY_QUEUE, thank_request(email.id), submission.id)
    approved = await ports.catalog.approve(
        submission.id,
        photo=photo,
        email=email,
        outbox=outbox,
        actor=actor,
        scan=scan,
        allowed_from=allowed_from,
        reason=reason,
    )
    if approved:
        await relay_soon(ports.catalog, ports.queue, outbox)
    else:
        await delete_public(names, ports)
    return approved


async def delete_public(names: Sequence[str], ports: Ports) -> None:
    """Delete these blobs from the public container; missing ones are no error."""
    for name in names:
        await ports.blobs.delete(Container.PUBLIC, name)


async def delete_all_public(submission_id: str, ports: Ports) -> int:
    """Delete every public file of the submission, whichever attempt wrote it: the photo's,
    and any an attempt that crashed mid-publish left unnamed; how many went.
    """
    return await ports.blobs.delete_folder(Container.PUBLIC, public_key(submission_id))


def _names(folder: str, images: PublicImages) -> list[str]:
    return [f"{folder}/{blob.suffix}" for blob in images.renditions]


async def _write_public(
    names: Sequence[str], images: PublicImages, ports: Ports
) -> tuple[Rendition, ...]:
    """Write the renditions under `names`; if that fails, delete what it wrote, as no photo
    row will ever name those files.
    """
    try:
        for name, blob in zip(names, images.renditions, strict=True):
            await ports.blobs.put(Container.PUBLIC, name, blob.data, blob.content_type)
    except BaseException:
        await _take_back(names, ports)
        raise
    return tuple(
        _rendition(blob, ports.blobs.public_url(name))
        for name, blob in zip(names, images.renditions, strict=True)
    )


async def _take_back(names: Sequence[str], ports: Ports) -> None:
    """Delete a failed attempt's files; a failure here is logged, so the first one propagates."""
    try:
        await delete_public(names, ports)
    except Exception:
        log.warning("could not delete the renditions of a failed publish", exc_info=True)


def _rendition(blob: RenditionBlob, url: str) -> Rendition:
    return Rendition(blob.format, blob.width, blob.height, url, len(blob.data))


def _photo(
    submission: Submission, images: PublicImages, renditions: tuple[Rendition, ...], clock: Clock
) -> CustomerPhoto:
    return CustomerPhoto(
        submission_id=submission.id,
        sku=submission.sku,
        display_name=submission.display_name,
        caption=submission.caption,
        width=images.width,
        height=images.height,
        placeholder=images.placeholder,
        approved_at=clock(),
        renditions=renditions,
    )
