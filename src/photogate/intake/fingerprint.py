"""An upload's fingerprint: SHA-256 of its bytes and a perceptual hash of its picture.

Blocking (it decodes): async callers run these in a thread. Intake takes the perceptual hash
from the decode that checks the upload (image_check.examine), so an upload is decoded once.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Final

import imagehash
from PIL import Image, ImageOps

from photogate.domain.fingerprint import Fingerprint
from photogate.imaging import DECODE_ERRORS, open_bytes, small_grey

# pHash looks at a 32x32 thumbnail, so a JPEG is decoded at the smallest scale (down to 1/8)
# that keeps both sides at least this long: libjpeg still reads every coefficient of the
# stream (a truncated or corrupt one fails as at full size) but skips most of the inverse DCT.
DRAFT_SIDE: Final = 64
# Any decoded picture is then shrunk by a whole factor (a box filter) to no less than this a
# side before hashing: a bit or two of the hash at most differs from hashing it at full size.
HASH_SIDE: Final = 256


def fingerprint_bytes(data: bytes) -> Fingerprint:
    """The fingerprint of accepted image bytes; raises PermanentError if they do not decode."""
    return Fingerprint(hashlib.sha256(data).hexdigest(), perceptual_hash(data))


def perceptual_hash(data: bytes) -> str:
    """The 64-bit pHash of the upright picture, as 16 hex digits.

    Resizing or recompressing changes a few bits at most; another picture, about half of them.
    """
    with open_bytes(data) as img:
        draft_small(img)
        return phash_of(img)


def draft_small(img: Image.Image) -> None:
    """Ask an opened, not yet loaded JPEG to decode small and grey; other formats ignore it."""
    img.draft("L", (DRAFT_SIDE, DRAFT_SIDE))


def phash_of(img: Image.Image) -> str:
    """The pHash of an opened image, turned upright as its EXIF orientation says.

    Hashed from a copy shrunk to about HASH_SIDE, so a big PNG or HEIC costs at most a
    one-byte-a-pixel copy beyond its decode.
    """
    small = small_grey(img, HASH_SIDE)
    # Unreadable EXIF: the picture as stored, as intake then sizes it.
    with contextlib.suppress(*DECODE_ERRORS):
        ImageOps.exif_transpose(small, in_place=True)
    return str(imagehash.phash(small))
