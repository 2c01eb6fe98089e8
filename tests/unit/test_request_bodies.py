"""Content-Length as a client declares it: a number, or refused before the body is read."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from photogate.entrypoints.web.bodies import declared_length
from photogate.errors import InputError


def test_a_declared_length_is_read_as_a_number() -> None:
    """Content-Length: 1234 is 1234 bytes."""
    assert declared_length(Headers({"content-length": "1234"})) == 1234


def test_no_content_length_is_none() -> None:
    """A body sent without a length (chunked) declares nothing."""
    assert declared_length(Headers({})) is None


# Header bytes are read as latin-1, whose superscripts str.isdigit() takes and int() refuses.
@pytest.mark.parametrize("declared", [b"", b"-1", b"12a", b"1e3", b"\xb2", b"1\xb9", b"\xb3 "])
def test_anything_but_ascii_digits_is_a_400(declared: bytes) -> None:
    """Signs, letters and superscript digits are a 400, not a crash (a 500)."""
    with pytest.raises(InputError) as caught:
        declared_length(Headers(raw=[(b"content-length", declared)]))
    assert (caught.value.code, caught.value.status) == ("bad_content_length", 400)
