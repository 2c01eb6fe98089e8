"""The copy of a photo the scanner sees: upright, RGB JPEG, bounded in size, with no metadata."""

from __future__ import annotations

import math
from typing import Final

from PIL import Image

from photogate.errors import PermanentError
from photogate.imaging import (
    encode_jpeg,
    fit_within,
    flatten,
    open_bytes,
    oriented_srgb,
    upright_size,
)

_QUALITIES: Final = (90, 82, 74, 66, 58, 50)
_MAX_SHRINK: Final = 0.9
# A JPEG this small fits any sensible budget; shrinking further to meet one is pointless.
_SMALLEST_SIDE: Final = 64


def scanner_rendition(
    data: bytes, *, max_side: int = 4096, max_bytes: int = 4 * 1024 * 1024
) -> tuple[bytes, str]:
    """JPEG bytes of `data` (any accepted format) fitting `max_side` and `max_bytes`."""
    img = open_bytes(data)
    size = fit_within(upright_size(img), (max_side, max_side))
    picture = flatten(oriented_srgb(img, size))
    return _fit(picture, max_bytes), "image/jpeg"


def _fit(picture: Image.Image, max_bytes: int) -> bytes:
    while True:
        encoded = b""
        for quality in _QUALITIES:
            encoded = encode_jpeg(picture, quality)
            if len(encoded) <= max_bytes:
                return encoded
        if max(picture.size) < _SMALLEST_SIDE:
            raise PermanentError(f"cannot encode the image in {max_bytes} bytes")
        picture = _shrunk(picture, max_bytes / len(encoded))


def _shrunk(picture: Image.Image, byte_ratio: float) -> Image.Image:
    # Bytes grow roughly with the pixel count, so scale each side by the root of the overshoot.
    factor = min(_MAX_SHRINK, math.sqrt(byte_ratio))
    width, height = picture.size
    size = (max(1, int(width * factor)), max(1, int(height * factor)))
    return picture.resize(size, Image.Resampling.LANCZOS)
