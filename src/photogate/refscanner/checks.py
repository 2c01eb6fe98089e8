"""What a scan request must look like: request id, media type and body size, per the contract."""

from __future__ import annotations

import re

from starlette.requests import Request

from photogate.refscanner.decoding import MAX_BYTES
from photogate.refscanner.refusal import Refusal

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
MEDIA_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def checked_request_id(value: str | None) -> str:
    """The X-Request-Id header, or Refusal 400 when it is missing or malformed."""
    if value is None or not REQUEST_ID.fullmatch(value):
        detail = "X-Request-Id must be 1-128 characters of A-Z, a-z, 0-9, '.', '_' and '-'"
        raise Refusal(400, "bad_request_id", detail)
    return value


def check_media_type(content_type: str | None) -> None:
    """Refusal 415 unless the body is JPEG, PNG or WebP; 400 for a claim check (JSON)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        # Fetching URLs the caller names would make a test service a proxy into the network.
        raise Refusal(
            400, "claim_check_unsupported", "claim check not supported by the reference scanner"
        )
    if media_type not in MEDIA_TYPES:
        detail = f"Content-Type {media_type or '(none)'} is not image/jpeg, image/png or image/webp"
        raise Refusal(415, "unsupported_media_type", detail)


async def read_body(request: Request, limit: int = MAX_BYTES) -> bytes:
    """The request body, or Refusal 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> Refusal:
    return Refusal(413, "image_too_large", f"the body is over the {limit}-byte limit")
