"""Direct upload (valet key): POST .../uploads for a PUT URL, then POST .../complete to check it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from photogate.domain.submission import Status
from photogate.entrypoints.web.bodies import read_small_body
from photogate.entrypoints.web.clients import client_address
from photogate.entrypoints.web.deps import ServicesDep
from photogate.entrypoints.web.schemas import (
    ErrorOut,
    UploadAccepted,
    status_api_url,
    status_page_url,
    upload_accepted,
)
from photogate.intake.direct_upload import (
    complete_direct_upload,
    refusal_of,
    start_direct_upload,
)
from photogate.intake.form import UploadForm
from photogate.intake.image_check import check_size
from photogate.intake.repeats import YOURS, answering_repeat

router = APIRouter(prefix="/api", tags=["uploads"])

# The form beside a direct upload is a few short fields (the longest, a 500-character caption,
# is at most 3 KiB of escaped JSON). Read before any other check, even whether direct uploads
# are on, its body is refused past this (413) before it can fill the process's memory.
MAX_FORM_JSON_BYTES: Final = 16 * 1024


class DirectUploadIn(BaseModel):
    """The form beside the photo; the photo itself goes to `upload_url` afterwards."""

    email: str = Field("", description="Where we send the thank-you. Never shown, never returned.")
    display_name: str = Field("", description="Shown with the photo")
    caption: str = Field("", description="Optional")
    consent: bool = Field(False, description="The customer allows Tailwind Traders to show it.")
    licence_version: str = Field("", description="The licence version shown; default: current")
    size_bytes: int | None = Field(None, ge=0, description="The file's size, to refuse it early")


class DirectUploadOut(BaseModel):
    """Where to send the photo: PUT the file's bytes to `upload_url` with `upload_headers`
    before `expires_at` (the URL allows creating this one file, nothing else), then POST to
    `complete_url`.
    """

    id: str
    status: Status
    upload_url: str
    upload_method: str = "PUT"
    upload_headers: dict[str, str]
    expires_at: datetime
    complete_url: str
    status_url: str
    page_url: str


def _errors(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorOut, "description": text} for code, text in described.items()}


_START_ERRORS: Final = _errors(
    {
        400: "The declared file is empty",
        404: "Unknown product, or this shop takes uploads only at .../photos (multipart)",
        413: "The declared file is larger than the limit, or the request's body is larger "
        "than any form (16 KiB)",
        422: "Bad email, display name or caption, or no consent",
        429: "Too many photos from this address or for this product; see Retry-After",
    }
)
_COMPLETE_RESPONSES: Final = {
    200: {
        "model": UploadAccepted,
        "description": "You had sent this file for this product before: the status of that "
        "upload (this file was deleted)",
    },
    **_errors(
        {
            400: "The file is empty, corrupt or too small; it was deleted",
            404: "No such submission (or the earlier one of a repeat is gone)",
            409: "The file has not arrived yet, or was sent for this product from another "
            "email address (then it was deleted)",
            410: "The upload link expired before the file arrived",
            413: "The file or image is too large; it was deleted",
            415: "Not a photo we accept, or animated; it was deleted",
        }
    ),
}


# The body is read by the route (_form_in), bounded, so FastAPI is not given the model; the
# documentation is.
_FORM_BODY: Final = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": DirectUploadIn.model_json_schema()}},
    }
}


async def _form_in(request: Request) -> DirectUploadIn:
    """The JSON form, read no further than MAX_FORM_JSON_BYTES; refused as FastAPI refuses
    a bad body (422) if it is not one.
    """
    raw = await read_small_body(request, MAX_FORM_JSON_BYTES)
    try:
        return DirectUploadIn.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


def uploads_api_url(sku: str) -> str:
    """Where a page starts a direct upload of a photo of `sku`."""
    return f"/api/products/{quote(sku, safe='')}/uploads"


def complete_api_url(submission_id: str) -> str:
    """Where the browser says the photo of a direct upload was sent."""
    return f"/api/submissions/{submission_id}/complete"


@router.post(
    "/products/{sku}/uploads",
    status_code=201,
    summary="Start a direct upload (valet key)",
    responses=_START_ERRORS,
    openapi_extra=_FORM_BODY,
)
async def start_upload(
    sku: str, request: Request, response: Response, services: ServicesDep
) -> DirectUploadOut:
    """Check the form, then answer a URL that lets the browser store this one photo itself.

    The URL allows creating one blob in the private quarantine, once, for at most ten minutes.
    The same checks and limits as the multipart upload apply; the photo itself is checked
    when it arrived. Answers 404 `direct_uploads_unavailable` where the storage cannot do this.
    """
    body = await _form_in(request)
    if body.size_bytes is not None:
        check_size(body.size_bytes, services.settings.uploads)
    client = client_address(request, services.settings.web.trusted_proxy_hops)
    licence = body.licence_version.strip() or services.settings.privacy.licence_version
    form = UploadForm(
        sku, body.email, body.display_name, body.caption, body.consent, licence_version=licence
    )
    started = await start_direct_upload(services, form, client=client)
    submission, grant = started.submission, started.grant
    response.headers["Location"] = status_api_url(submission.id)
    return DirectUploadOut(
        id=submission.id,
        status=submission.status,
        upload_url=grant.url,
        upload_headers=grant.headers,
        expires_at=grant.expires_at,
        complete_url=complete_api_url(submission.id),
        status_url=status_api_url(submission.id),
        page_url=status_page_url(submission.id),
    )


@router.post(
    "/submissions/{submission_id}/complete",
    status_code=202,
    response_model_exclude_none=True,
    summary="Finish a direct upload",
    responses=_COMPLETE_RESPONSES,
)
async def complete_upload(
    submission_id: str, response: Response, services: ServicesDep
) -> UploadAccepted:
    """Check the photo sent to the upload URL and queue it for scanning; safe to repeat.

    A refused photo is deleted and answered with the same error code as the multipart upload.
    So is a photo the same customer sent for this product before, as the multipart upload
    answers it: 200 with that earlier upload's id, status and links and `"duplicate": true`
    (this upload ends `failed`, its file deleted, its day's slot given back).
    """
    submission = await complete_direct_upload(services, submission_id)
    earlier = await answering_repeat(services.ports.catalog, submission)
    if earlier is not None:
        response.status_code = 200
        response.headers["Location"] = status_api_url(earlier.id)
        return upload_accepted(earlier, duplicate=True, message=YOURS)
    refusal = refusal_of(submission)
    if refusal is not None:
        raise refusal
    response.headers["Location"] = status_api_url(submission.id)
    return upload_accepted(submission)
