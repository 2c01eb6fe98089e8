"""An upload's fingerprint: SHA-256 of its bytes and a perceptual hash of its picture.

Blocking (it reads and decodes): async callers run these in a thread. The direct upload path
calls `fingerprint_file` on the file it verified, as the form upload does on its temp file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

import imagehash
from PIL import ImageOps

from photogate.domain.fingerprint import Fingerprint
from photogate.imaging import open_bytes

# pHash looks at a 32x32 thumbnail: decoding a JPEG at 1/8 scale changes nothing it sees.
_DRAFT_SIDE: Final = 256


def fingerprint_file(path: Path) -> Fingerprint:
    """The fingerprint of an image file intake has already checked."""
    return fingerprint_bytes(path.read_bytes())


def fingerprint_bytes(data: bytes) -> Fingerprint:
    """The fingerprint of accepted image bytes; raises PermanentError if they do not decode."""
    return Fingerprint(hashlib.sha256(data).hexdigest(), perceptual_hash(data))


def perceptual_hash(data: bytes) -> str:
    """The 64-bit pHash of the upright picture, as 16 hex digits.

    Resizing or recompressing changes a few bits at most; another picture, about half of them.
    """
    with open_bytes(data) as img:
        img.draft("L", (_DRAFT_SIDE, _DRAFT_SIDE))
        upright = ImageOps.exif_transpose(img)
        return str(imagehash.phash(upright.convert("L")))
