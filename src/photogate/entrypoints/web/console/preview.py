"""A submission's photo for staff eyes: re-encoded from quarantine, never a public URL."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response

from photogate.entrypoints.web.console.auth import ModeratorResource
from photogate.entrypoints.web.console.errors import Refused
from photogate.entrypoints.web.deps import ServicesDep
from photogate.errors import BlobNotFound, PermanentError
from photogate.image_work import run_image_work
from photogate.ports import Container
from photogate.scanning.rendition import scanner_rendition

MAX_SIDE: Final = 1200
MAX_BYTES: Final = 1024 * 1024
# `?full=1`: as large as the scanner's copy, for judging detail the review item is too small for.
FULL_SIDE: Final = 4096
FULL_BYTES: Final = 4 * 1024 * 1024
# Private to the signed-in browser: no shared cache may keep a photo that may be unlawful.
HEADERS: Final = {"Cache-Control": "private, no-store", "Content-Disposition": "inline"}

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/submissions/{submission_id}/preview")
async def preview(
    submission_id: str, staff: ModeratorResource, services: ServicesDep, full: bool = False
) -> Response:
    """The original, upright, as a JPEG without metadata; the quarantined file never leaves.

    Never larger than the original; `full` allows up to FULL_SIDE instead of MAX_SIDE.
    """
    max_side, max_bytes = (FULL_SIDE, FULL_BYTES) if full else (MAX_SIDE, MAX_BYTES)
    ports = services.ports
    submission = await ports.catalog.get_submission(submission_id)
    if submission is None:
        raise Refused(404, "There is no submission with this id.")
    try:
        original = await ports.blobs.get(Container.QUARANTINE, submission.original_blob)
        image, content_type = await run_image_work(
            scanner_rendition, original, max_side=max_side, max_bytes=max_bytes
        )
    except (BlobNotFound, PermanentError):
        raise Refused(404, "The original of this photo is no longer kept.") from None
    return Response(image, media_type=content_type, headers=HEADERS)
