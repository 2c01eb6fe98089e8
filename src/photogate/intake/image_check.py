"""Decide whether an uploaded file is an image we accept, judging by its content alone."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from PIL import Image

from photogate.domain.fingerprint import Fingerprint
from photogate.errors import InputError
from photogate.imaging import (
    BOMB_ERRORS,
    DECODE_ERRORS,
    FORMATS,
    HEIF_SEQUENCE_BRANDS,
    METADATA_LIMIT_BYTES,
    SNIFF_BYTES,
    has_alpha,
    heif_brand,
    is_metadata_overflow,
    open_as,
    quarter_turned,
    sniff,
)
from photogate.intake.fingerprint import draft_small, phash_of
from photogate.intake.structure import heif_coded_pixels, jpeg_scans, png_chunks
from photogate.settings import UploadSettings

MIN_SIDE: Final = 64
# Each scan of a progressive JPEG walks every block of the picture again; crafted files with
# thousands of tiny scans take minutes to decode.
MAX_JPEG_SCANS: Final = 100
# Encoders split a PNG's pixels into chunks of 8-64 KB (a 15 MB file: a few thousand at most);
# Pillow reads each in Python, and a flood of a million empty ones takes seconds.
MAX_PNG_CHUNKS: Final = 20_000
# No product photo is this elongated; such a strip would publish as a sliver of pixels.
MAX_ASPECT: Final = 20
ACCEPTED: Final = "JPEG, PNG, WebP or HEIC"


@dataclass(frozen=True)
class ImageInfo:
    """What intake learned about an accepted image; sizes are as the picture is meant to be seen."""

    format: str
    content_type: str
    width: int
    height: int
    has_alpha: bool
    phash: str  # the perceptual hash, from the same decode that checked the picture


def examine(data: bytes, limits: UploadSettings) -> tuple[ImageInfo, Fingerprint]:
    """inspect_bytes, and the upload's fingerprint; blocking: async callers use a thread."""
    info = inspect_bytes(data, limits)
    return info, Fingerprint(hashlib.sha256(data).hexdigest(), info.phash)


def inspect_upload(path: Path, size_bytes: int, limits: UploadSettings) -> ImageInfo:
    """Check the file at `path` fully; raise InputError saying why it is refused.

    Blocking (it reads and decodes the whole stream): async callers run it in a thread.
    """
    check_size(size_bytes, limits)
    with path.open("rb") as fp:
        return _inspect_stream(fp, limits)


def inspect_bytes(data: bytes, limits: UploadSettings) -> ImageInfo:
    """inspect_upload for a file already in memory (a direct upload read back from quarantine)."""
    check_size(len(data), limits)
    return _inspect_stream(io.BytesIO(data), limits)


def _inspect_stream(fp: IO[bytes], limits: UploadSettings) -> ImageInfo:
    head = fp.read(SNIFF_BYTES)
    fmt = _check_signature(head)
    _check_structure(fp, fmt, limits)
    fp.seek(0)
    with _opened(fp, fmt, limits) as img:
        return _inspect(img, fmt)


def check_size(size_bytes: int, limits: UploadSettings) -> None:
    """Raise InputError if a file of `size_bytes` is empty or over the limit (before reading it)."""
    if size_bytes == 0:
        raise InputError("empty_file", "The file is empty.", status=400)
    if size_bytes > limits.max_bytes:
        detail = f"The file is larger than the {limits.max_bytes / (1024 * 1024):g} MiB limit."
        raise InputError("file_too_large", detail, status=413)


def _check_signature(head: bytes) -> str:
    if not head:
        raise InputError("empty_file", "The file is empty.", status=400)
    fmt = sniff(head)
    if fmt is None:
        detail = f"This is not a photo we accept. Please upload a {ACCEPTED} image."
        raise InputError("unsupported_type", detail, status=415)
    if fmt == "heic" and heif_brand(head) in HEIF_SEQUENCE_BRANDS:
        raise _animated("This HEIC file is an image sequence")
    return fmt


def _check_structure(fp: IO[bytes], fmt: str, limits: UploadSettings) -> None:
    """Refuse what the decoder would take too long or too much memory for, before it starts:
    a JPEG in more scans or a PNG in more chunks than any photo needs, a HEIC coded larger
    than the pixel limit (its crop box, which the decoder applies after decoding it all, may
    show a small part).
    """
    if fmt == "jpeg" and (scans := jpeg_scans(fp)) > MAX_JPEG_SCANS:
        detail = (
            f"This JPEG is stored in {scans} scans; photos use a few dozen at most. Please save "
            "it again from your photo app or editor and upload that."
        )
        raise InputError("too_many_scans", detail, status=400)
    if fmt == "png" and png_chunks(fp, stop_after=MAX_PNG_CHUNKS) > MAX_PNG_CHUNKS:
        detail = (
            f"This PNG is split into more than {MAX_PNG_CHUNKS:,} pieces (chunks); photos have "
            "a few thousand at most. Please save it again and upload that."
        )
        raise InputError("too_many_chunks", detail, status=400)
    if fmt == "heic" and (heif_coded_pixels(fp) or 0) > limits.max_pixels:
        raise _too_large(limits)


def _opened(fp: IO[bytes], fmt: str, limits: UploadSettings) -> Image.Image:
    try:
        img = open_as(fp, fmt)
    except BOMB_ERRORS:
        raise _too_large(limits) from None
    except DECODE_ERRORS as exc:
        raise _undecodable(exc) from None
    _check_pixels(img, limits)
    return img


def _inspect(img: Image.Image, fmt: str) -> ImageInfo:
    _check_frames(img, fmt)
    _check_small(img)
    _check_aspect(img)
    stored, alpha = img.size, has_alpha(img)  # before the draft below shrinks img.size
    draft_small(img)
    _decode(img)  # before reading EXIF, which for a PNG loads the file and hides its errors
    width, height = stored[::-1] if quarter_turned(img) else stored
    return ImageInfo(fmt, FORMATS[fmt][1], width, height, alpha, phash_of(img))


def _check_pixels(img: Image.Image, limits: UploadSettings) -> None:
    width, height = img.size
    if width * height > limits.max_pixels:
        img.close()
        raise _too_large(limits)


def _check_frames(img: Image.Image, fmt: str) -> None:
    # Extra JPEG "frames" are MPF previews and depth maps, not animation; the rest is.
    frames = getattr(img, "n_frames", 1)
    if fmt != "jpeg" and frames > 1:
        raise _animated(f"This image has {frames} frames")


def _check_small(img: Image.Image) -> None:
    if min(img.size) < MIN_SIDE:
        size = f"{img.width}x{img.height}"
        detail = f"The image is {size}; both sides must be at least {MIN_SIDE} px."
        raise InputError("image_too_small", detail, status=400)


def _check_aspect(img: Image.Image) -> None:
    if max(img.size) > MAX_ASPECT * min(img.size):
        size = f"{img.width}x{img.height}"
        detail = (
            f"The image is {size}; its long side may be at most {MAX_ASPECT} times its short "
            "side. Please crop it to the product."
        )
        raise InputError("extreme_aspect_ratio", detail, status=400)


def _decode(img: Image.Image) -> None:
    # Decoding the whole stream is the only way to find a truncated or corrupt one.
    try:
        img.load()
    except DECODE_ERRORS as exc:
        raise _undecodable(exc) from None


def _too_large(limits: UploadSettings) -> InputError:
    megapixels = limits.max_pixels / 1_000_000
    detail = f"The image has more than {megapixels:g} megapixels; please upload a smaller one."
    return InputError("image_too_large", detail, status=413)


def _animated(what: str) -> InputError:
    detail = f"{what}; we take still photos only and reject animations rather than keep a frame."
    return InputError("animated_image", detail, status=415)


def _undecodable(exc: BaseException) -> InputError:
    return _metadata_too_large() if is_metadata_overflow(exc) else _corrupt()


def _metadata_too_large() -> InputError:
    limit = METADATA_LIMIT_BYTES / (1024 * 1024)
    detail = (
        f"The image carries more than {limit:g} MiB of embedded text or metadata (often an "
        "editor's saved history). Please export it again without metadata and upload that."
    )
    return InputError("metadata_too_large", detail, status=400)


def _corrupt() -> InputError:
    detail = "The image could not be decoded; it may be truncated or damaged."
    return InputError("corrupt_image", detail, status=400)
