"""Reading console forms: the limits at their edges, and a Content-Length that is no number."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from fastapi import Request
from starlette.types import Message, Receive

from photogate.entrypoints.web.console.errors import Refused
from photogate.entrypoints.web.console.forms import MAX_FORM_BYTES, TOO_LARGE, read_form

URLENCODED = b"application/x-www-form-urlencoded"


def request(
    chunks: Sequence[bytes],
    *,
    content_length: bytes | None = None,
    content_type: bytes | None = URLENCODED,
) -> Request:
    """A POST whose body arrives in `chunks`, with or without a declared length and type."""
    headers = [] if content_type is None else [(b"content-type", content_type)]
    if content_length is not None:
        headers.append((b"content-length", content_length))
    scope = {"type": "http", "method": "POST", "path": "/console/sign-in", "headers": headers}
    return Request(scope, _receiving(chunks))


def _receiving(chunks: Sequence[bytes]) -> Receive:
    pending = list(chunks)

    async def receive() -> Message:
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    return receive


async def test_a_body_of_exactly_the_limit_is_read_in_full() -> None:
    """MAX_FORM_BYTES sent in pieces, with no length declared, is a form, every byte of it."""
    value = "a" * (MAX_FORM_BYTES - len("note="))
    half = MAX_FORM_BYTES // 2
    body = f"note={value}".encode()
    form = await read_form(request([body[:half], body[half:]]))
    assert form["note"] == value


async def test_one_byte_past_the_limit_in_pieces_is_refused() -> None:
    """The count spans chunks: the piece that passes the limit is a 413."""
    with pytest.raises(Refused) as caught:
        await read_form(request([b"a" * MAX_FORM_BYTES, b"a"]))
    assert (caught.value.status, caught.value.message) == (413, TOO_LARGE)


@pytest.mark.parametrize("declared", [b"\xb2", b"ten"])
async def test_a_content_length_that_is_no_number_is_a_400(declared: bytes) -> None:
    """A length that int() would refuse is answered on the console's page, not as a 500."""
    with pytest.raises(Refused) as caught:
        await read_form(request([b""], content_length=declared))
    assert caught.value.status == 400


async def test_a_post_without_a_content_type_is_an_empty_form_read_from_nothing() -> None:
    """No type, no form: the body is not read (a receive would fail) and the form is empty."""
    assert len(await read_form(request([], content_type=None))) == 0
