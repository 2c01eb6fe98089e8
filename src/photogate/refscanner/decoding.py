"""Request bytes into pixels, safely: size limits first, then decoding only what the rules need."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from photogate.refscanner.refusal import Refusal

MAX_BYTES = 4 * 1024 * 1024
MAX_SIDE = 4096
FORMATS = ("JPEG", "PNG", "WEBP")
# The rules look at colour means and a hash, which a small copy answers as well as the original.
WORKING_SIZE = (512, 512)
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError)


@dataclass(frozen=True)
class Decoded:
    """An image's original size and a small RGB copy of its pixels."""

    width: int
    height: int
    pixels: Image.Image


def decode(data: bytes) -> Decoded:
    """Decode JPEG, PNG or WebP bytes; Refusal 413 if too large, 400 if not an image.

    The side limit is checked on the header, before any pixel is decoded, so a small file
    that claims huge dimensions (a decompression bomb) costs nothing.
    """
    if len(data) > MAX_BYTES:
        raise _too_large(f"{len(data)} bytes is over the {MAX_BYTES}-byte limit")
    image = _open(data)
    width, height = image.size
    if max(width, height) > MAX_SIDE:
        raise _too_large(f"{width}x{height} px is over the {MAX_SIDE} px limit on the longer side")
    return Decoded(width, height, _working_copy(image))


def _open(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=FORMATS)
    except Image.DecompressionBombError as exc:
        raise _too_large(str(exc)) from None
    except _DECODE_ERRORS:
        raise _undecodable() from None


def _working_copy(image: Image.Image) -> Image.Image:
    try:
        # thumbnail() asks JPEG for a reduced-scale decode, so big photos decode cheaply.
        image.thumbnail(WORKING_SIZE)
        return image.convert("RGB")
    except _DECODE_ERRORS:
        raise _undecodable() from None


def _too_large(detail: str) -> Refusal:
    return Refusal(413, "image_too_large", detail)


def _undecodable() -> Refusal:
    return Refusal(400, "undecodable_image", "the body is not a readable JPEG, PNG or WebP image")
