"""Use case: publish an approved photo (renditions, catalog row and owed email, atomically)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from photogate.clock import Clock, utcnow
from photogate.domain.catalog import CustomerPhoto, EmailRecord, OutboxMessage, Rendition
from photogate.domain.scan import ScanResult
from photogate.domain.submission import SCANNABLE, Status, Submission, new_id
from photogate.image_work import run_image_work
from photogate.messages import NOTIFY_QUEUE, thank_request
from photogate.outbox import relay_soon
from photogate.ports import Container, Ports
from photogate.publishing.renditions import PublicImages, blob_suffix, make_renditions

ACTOR = "scanner"
THANK_YOU = "thank_you"
# Where a submission is never published again. Renditions written for one that got there
# while they were being made (erased at the customer's request, say) are deleted; in any other
# state they are another publisher's files (a redelivery's twin, a moderator's approval).
_NEVER_SHOWN = frozenset({Status.ERASED, Status.REJECTED, Status.FAILED, Status.TAKEN_DOWN})


def public_key(submission_id: str) -> str:
    """The folder of a submission's public files; one-way, so a photo URL does not reveal the id."""
    return hashlib.sha256(f"photogate-public:{submission_id}".encode()).hexdigest()[:24]


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
    Returns False if the submission was settled by someone else first (nothing changes then;
    rewriting the same rendition files is harmless).
    """
    images = await run_image_work(make_renditions, original)
    renditions = await _write_public(submission.id, images, ports)
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
        await _withdraw_if_unwanted(photo, ports)
    return approved


def public_blob_names(photo: CustomerPhoto) -> list[str]:
    """The names in the public container of the photo's renditions (what a takedown deletes)."""
    folder = public_key(photo.submission_id)
    return [f"{folder}/{blob_suffix(r.format, r.width)}" for r in photo.renditions]


async def _withdraw_if_unwanted(photo: CustomerPhoto, ports: Ports) -> None:
    """Delete the renditions just written if their submission will never be shown."""
    current = await ports.catalog.get_submission(photo.submission_id)
    if current is not None and current.status not in _NEVER_SHOWN:
        return
    for name in public_blob_names(photo):
        await ports.blobs.delete(Container.PUBLIC, name)


async def _write_public(
    submission_id: str, images: PublicImages, ports: Ports
) -> tuple[Rendition, ...]:
    folder = public_key(submission_id)
    written = []
    for blob in images.renditions:
        name = f"{folder}/{blob.suffix}"
        await ports.blobs.put(Container.PUBLIC, name, blob.data, blob.content_type)
        url = ports.blobs.public_url(name)
        written.append(Rendition(blob.format, blob.width, blob.height, url, len(blob.data)))
    return tuple(written)


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
