"""Request bodies: what a client declares about one, checked before a byte of it is read."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request

from photogate.errors import InputError


def declared_length(headers: Headers) -> int | None:
    """The body's Content-Length, None if none was sent; InputError (400) if not a number."""
    declared = headers.get("content-length")
    if declared is None:
        return None
    # str.isdigit alone takes '²' and '①', which int() then refuses with a ValueError (a 500).
    if not (declared.isascii() and declared.isdigit()):
        raise InputError("bad_content_length", "Content-Length is not a number.", status=400)
    return int(declared)


async def read_small_body(request: Request, max_bytes: int) -> bytes:
    """The whole body of a request that is never large; InputError 413 once it is past
    `max_bytes`, refused before a byte is read if it says so, else at the chunk past it.
    """
    declared = declared_length(request.headers)
    if declared is not None and declared > max_bytes:
        raise _too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise _too_large()
    return bytes(body)


def _too_large() -> InputError:
    detail = "The request's body is larger than this endpoint takes."
    return InputError("request_too_large", detail, status=413)
