"""Event Grid's BlobCreated for the quarantine container: a direct upload arrived, start intake."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from photogate.bootstrap import Services
from photogate.errors import NotFound
from photogate.intake.direct_upload import complete_direct_upload, submission_id_from_blob_name
from photogate.ports.blobs import Container

log = logging.getLogger(__name__)

BLOB_CREATED = "Microsoft.Storage.BlobCreated"
_SUBJECT_START = "/blobServices/default/containers/"


@dataclass(frozen=True)
class BlobRef:
    """A blob named by an Event Grid subject."""

    container: str
    name: str


def blob_of_subject(subject: str) -> BlobRef | None:
    """The container and blob an event's subject names, or None if it names no blob.

    Subjects look like /blobServices/default/containers/<container>/blobs/<name>.
    """
    if not subject.startswith(_SUBJECT_START):
        return None
    container, separator, name = subject.removeprefix(_SUBJECT_START).partition("/blobs/")
    if not (separator and container and name):
        return None
    return BlobRef(container, name)


def submission_of_event(services: Services, event_type: str, subject: str) -> str | None:
    """The submission whose direct upload this event reports, or None for any other event."""
    blob = blob_of_subject(subject)
    quarantine = services.settings.azure.container_prefix + Container.QUARANTINE.value
    if event_type != BLOB_CREATED or blob is None or blob.container != quarantine:
        return None
    return submission_id_from_blob_name(blob.name)


async def on_blob_created(services: Services, event_type: str, subject: str) -> bool:
    """Complete the direct upload the event reports; False if it reports none we know.

    Idempotent: Event Grid delivers at least once, and the browser's POST .../complete may
    have come first. Other errors propagate, so Event Grid tries again (for up to a day).
    """
    submission_id = submission_of_event(services, event_type, subject)
    if submission_id is None:
        log.info("ignoring event %s for %s", event_type, subject)
        return False
    try:
        await complete_direct_upload(services, submission_id)
    except NotFound:  # no such submission: retrying cannot make one
        log.warning("blob %s belongs to no submission; ignoring it", subject)
        return False
    return True
