"""Request bodies: what a client declares about one, checked before a byte of it is read."""

from __future__ import annotations

from starlette.datastructures import Headers

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
