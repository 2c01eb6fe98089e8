"""The throughput benchmark's floors: a header-only check and photogate's full check differ."""

from __future__ import annotations

import io

import pytest
from benchmarks._floor_upload import Refused, full_check, header_check
from PIL import Image


def _jpeg(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "JPEG", quality=90)
    return out.getvalue()


def test_both_checks_take_a_sound_photo_and_give_its_size() -> None:
    """A whole 640x480 JPEG passes either check, which reports its size."""
    photo = _jpeg((640, 480))
    assert header_check(photo) == full_check(photo) == (640, 480)


def test_only_the_full_check_refuses_a_truncated_photo() -> None:
    """A JPEG cut off after its header passes the header check; only decoding finds it."""
    cut = _jpeg((640, 480))[:900]
    assert header_check(cut) == (640, 480)
    with pytest.raises(Refused):
        full_check(cut)


def test_the_header_check_refuses_a_photo_too_small() -> None:
    """Under 64 px a side is refused by the header alone."""
    with pytest.raises(Refused):
        header_check(_jpeg((32, 32)))
