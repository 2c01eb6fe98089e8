"""POST /api/products/{sku}/photos: stream the form in under the size limit, then call intake."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from fastapi import APIRouter, Request, Response
from python_multipart.multipart import parse_options_header
from starlette.datastructures import Headers

from photogate.bootstrap import Services
from photogate.clock import utcnow
from photogate.domain.submission import Submission
from photogate.entrypoints.web.api import product_or_404
from photogate.entrypoints.web.bodies import declared_length
from photogate.entrypoints.web.clients import client_address
from photogate.entrypoints.web.deps import ServicesDep
from photogate.entrypoints.web.multipart_stream import (
    FORM_ALLOWANCE,
    MultipartSink,
    ReceivedForm,
    file_too_large,
    malformed,
)
from photogate.entrypoints.web.schemas import (
    ErrorOut,
    UploadAccepted,
    status_api_url,
    upload_accepted,
)
from photogate.errors import DuplicateUpload, InputError
from photogate.intake.accept_upload import accept_upload
from photogate.intake.form import UploadForm
from photogate.intake.limits import UploadLimits, email_slot, take_client_slot
from photogate.intake.repeats import sent_before
from photogate.settings import UploadSettings

YES: Final = frozenset({"true", "on", "1", "yes"})

router = APIRouter(prefix="/api", tags=["uploads"])

_FORM_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["file", "email", "display_name", "consent"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "The photo: JPEG, PNG, WebP or HEIC, a still image, at most "
            "PHOTOGATE_UPLOADS__MAX_BYTES (15 MiB by default). Its filename is ignored.",
        },
        "email": {
            "type": "string",
            "format": "email",
            "description": "Where we send the thank-you. Never shown, never returned.",
        },
        "display_name": {"type": "string", "maxLength": 80, "description": "Shown with the photo"},
        "caption": {"type": "string", "maxLength": 500, "description": "Optional"},
        "consent": {
            "type": "string",
            "enum": ["true", "on", "1"],
            "description": "The customer accepts the photo licence (see /licence), which "
            "allows Tailwind Traders to show the photo.",
        },
        "licence_version": {
            "type": "string",
            "examples": ["2026-01"],
            "description": "The licence version the customer was shown; default: the current.",
        },
    },
}
UPLOAD_OPENAPI: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": _FORM_SCHEMA}},
    }
}
_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in {
        400: "Missing file, bad form data, empty or corrupt image",
        404: "Unknown product",
        413: "File, image or a field too large",
        415: "Not a photo we accept, or animated",
        422: "Bad email, display name or caption, or no consent",
        409: "The same file was sent for this product from another email address",
        429: "Too many photos from this address or for this product; see Retry-After",
    }.items()
}
_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    200: {"model": UploadAccepted, "description": "You had sent this file before: its status"},
    **_ERRORS,
}


@router.post(
    "/products/{sku}/photos",
    status_code=202,
    response_model_exclude_none=True,
    summary="Upload a customer photo",
    openapi_extra=UPLOAD_OPENAPI,
    responses=_RESPONSES,
)
async def upload_photo(
    sku: str, request: Request, response: Response, services: ServicesDep
) -> UploadAccepted:
    """Store the photo in quarantine and queue it for scanning; it is shown once approved.

    Nothing is stored if any check fails. The body is read as it arrives and refused as soon
    as it passes the size limit. Too many photos from one address (each sent counts, accepted
    or not), or accepted from one email for one product, are refused with 429 and Retry-After;
    the slot is taken before the work, so photos sent at once cannot overrun it. The same file
    sent again for the same product is not stored or scanned again: from the same email the
    answer is 200 with the first submission's status; from another email, 409.
    """
    await product_or_404(services.ports.catalog, sku)
    received = await admit_photo(request, services)
    try:
        taken = await accept_received(sku, received, services)
    finally:
        received.discard()
    response.headers["Location"] = status_api_url(taken.submission.id)
    if taken.repeat is None:
        return upload_accepted(taken.submission)
    response.status_code = 200
    return upload_accepted(taken.submission, duplicate=True, message=taken.repeat)


@dataclass(frozen=True)
class Taken:
    """What became of a photo sent: its submission, new or, with `repeat` (the sentence for
    the customer), the earlier one of the same file from the same email.
    """

    submission: Submission
    repeat: str | None = None


async def admit_photo(request: Request, services: Services) -> ReceivedForm:
    """Count the photo against its client address's limit, then receive the form.

    Shared by the API and the storefront's form, so both keep the same limits.
    """
    settings = services.settings
    limits = UploadLimits.from_settings(settings.uploads)
    client = client_address(request, settings.web.trusted_proxy_hops)
    await take_client_slot(services.ports.catalog, limits, client, utcnow())
    return await receive_form(request, settings.uploads, settings.data_dir / "tmp")


async def accept_received(sku: str, received: ReceivedForm, services: Services) -> Taken:
    """Check the received form and photo under the email's limit and take it (or find the
    customer's earlier submission of the same file); raises InputError on a refusal.
    The caller discards `received`.
    """
    settings, catalog = services.settings, services.ports.catalog
    limits = UploadLimits.from_settings(settings.uploads)
    image = _require_file(received)
    form = _form(sku, received.fields, settings.privacy.licence_version)
    try:
        async with email_slot(catalog, limits, form.email, sku, utcnow()):
            submission = await accept_upload(
                form, image, received.size, ports=services.ports, limits=settings.uploads
            )
    except DuplicateUpload as exc:
        if exc.submission_id is None:
            raise
        return Taken(await sent_before(catalog, exc.submission_id), exc.detail)
    return Taken(submission)


async def receive_form(request: Request, limits: UploadSettings, tmp_dir: Path) -> ReceivedForm:
    """Parse the streamed body; a photo too large to hold in memory lands in a temp file under
    `tmp_dir`.
    """
    _check_declared_length(request.headers, limits.max_bytes)
    sink = MultipartSink(_boundary(request.headers), tmp_dir, limits.max_bytes)
    try:
        # Fed on the event loop: a chunk (64 KiB at most from uvicorn) is parsed and written to
        # the page cache in microseconds, less than a hand-off to a thread and back would cost.
        async for chunk in request.stream():
            if chunk:
                sink.feed(chunk)
        return sink.finish()
    except BaseException:
        # Synchronous on purpose: this must run even while the task is being cancelled.
        sink.discard()
        raise


def _check_declared_length(headers: Headers, max_bytes: int) -> None:
    """Refuse before reading a byte when the client already says the body is too big."""
    declared = declared_length(headers)
    if declared is not None and declared > max_bytes + FORM_ALLOWANCE:
        raise file_too_large(max_bytes)


def _boundary(headers: Headers) -> bytes:
    kind, options = parse_options_header(headers.get("content-type", ""))
    if kind != b"multipart/form-data":
        detail = "Send the photo as multipart/form-data (an HTML form with a file field)."
        raise InputError("multipart_required", detail, status=415)
    boundary = options.get(b"boundary", b"")
    if not 1 <= len(boundary) <= 70:
        raise malformed("the multipart boundary is missing or too long")
    return boundary


def _require_file(received: ReceivedForm) -> bytes | Path:
    if received.photo is None:
        raise InputError("file_required", "Choose a photo to upload (form field 'file').")
    return received.photo


def _form(sku: str, fields: dict[str, str], licence: str) -> UploadForm:
    # A client that sends no version accepted the one the shop shows now.
    return UploadForm(
        sku=sku,
        email=fields.get("email", ""),
        display_name=fields.get("display_name", ""),
        caption=fields.get("caption", ""),
        consent=fields.get("consent", "").strip().lower() in YES,
        licence_version=fields.get("licence_version", "").strip() or licence,
    )
