"""Reading console forms: small url-encoded bodies only, refused before they fill memory or disk.

Sign-in reads its form before it knows who is asking, so these limits are all that stands
between an anonymous client and the process's memory (Starlette's defaults allow 1,000 fields
of 1 MiB each, and files spooled to disk).
"""

from __future__ import annotations

from typing import Final

from fastapi import Request
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from photogate.entrypoints.web.bodies import declared_length
from photogate.entrypoints.web.console.errors import Refused, as_refusal

URLENCODED: Final = b"application/x-www-form-urlencoded"
# The largest console form (a 500-character note, each character percent-encoded UTF-8, with
# the CSRF token and the page to return to) is under 7 KiB; the fields are at most five.
MAX_FORM_BYTES: Final = 16 * 1024
MAX_FIELDS: Final = 16
TOO_LARGE: Final = "This form is larger than any console form. Reload the page and try again."
NOT_A_FORM: Final = (
    "The console takes forms as application/x-www-form-urlencoded, as its own pages send them."
)


async def read_form(
    request: Request, *, max_bytes: int = MAX_FORM_BYTES, max_fields: int = MAX_FIELDS
) -> FormData:
    """The request's url-encoded form; Refused 415 for any other body, 413 past `max_bytes`.

    A Content-Length over the limit is refused before a byte is read; a chunked body is
    counted as it arrives and refused at the first chunk past the limit.
    """
    _require_urlencoded(request)
    with as_refusal():
        declared = declared_length(request.headers)
    if declared is not None and declared > max_bytes:
        raise Refused(413, TOO_LARGE)
    bounded = Request(request.scope, _bounded(request.receive, max_bytes))
    try:
        return await bounded.form(max_files=0, max_fields=max_fields, max_part_size=max_bytes)
    except HTTPException as exc:  # Starlette's refusal of too many fields, on the console's page
        raise Refused(exc.status_code, str(exc.detail)) from exc


def _require_urlencoded(request: Request) -> None:
    kind, _ = parse_options_header(request.headers.get("content-type", ""))
    # Without a Content-Type Starlette reads no body: the form is empty, and the CSRF check
    # answers it (a 403, as for any other form without the token).
    if kind not in (URLENCODED, b""):
        raise Refused(415, NOT_A_FORM)


def _bounded(receive: Receive, max_bytes: int) -> Receive:
    """`receive`, refusing (413) as soon as the body has passed `max_bytes`."""
    received = 0

    async def bounded_receive() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > max_bytes:
            raise Refused(413, TOO_LARGE)
        return message

    return bounded_receive
