"""Pillow plumbing shared by intake, scanning and publishing: sniffing, opening, normalising."""

from __future__ import annotations

import functools
import io
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Final

import pillow_heif
from PIL import Image, ImageCms, ImageOps

from photogate.errors import PermanentError

# Our format name -> (Pillow's format name, the content type we store and serve it as).
FORMATS: Final[dict[str, tuple[str, str]]] = {
    "jpeg": ("JPEG", "image/jpeg"),
    "png": ("PNG", "image/png"),
    "webp": ("WEBP", "image/webp"),
    "heic": ("HEIF", "image/heic"),
}
HEIF_STILL_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1"})
HEIF_SEQUENCE_BRANDS: Final = frozenset({b"hevc", b"hevx", b"hevm", b"hevs", b"msf1"})
SNIFF_BYTES: Final = 16

# Every exception type Pillow and pillow-heif are known to raise on hostile or broken input.
DECODE_ERRORS: Final = (
    OSError,
    ValueError,
    EOFError,
    SyntaxError,
    struct.error,
    IndexError,
    TypeError,
    RuntimeError,
    ZeroDivisionError,
)

BOMB_ERRORS: Final = (Image.DecompressionBombError, Image.DecompressionBombWarning)

_WHITE: Final = (255, 255, 255)
_NO_META: Final[dict[str, bytes]] = {"exif": b"", "icc_profile": b"", "xmp": b"", "comment": b""}
_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@functools.cache
def enable_heif() -> None:
    """Teach Pillow to open HEIC/HEIF (idempotent: runs once per process)."""
    pillow_heif.register_heif_opener()


def sniff(head: bytes) -> str | None:
    """Our format name for a file starting with `head`, judged by magic bytes alone."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and heif_brand(head) in HEIF_STILL_BRANDS | HEIF_SEQUENCE_BRANDS:
        return "heic"
    return None


def heif_brand(head: bytes) -> bytes:
    """The major brand of an ISO-BMFF file (the one pillow-heif also goes by)."""
    return head[8:12]


@contextmanager
def bombs_as_errors() -> Iterator[None]:
    """Make Pillow's decompression-bomb warning an exception inside the block.

    catch_warnings swaps process-wide filters; if threads interleave, the worst outcome is the
    "error" filter outliving the block, which only makes bombs fail louder elsewhere.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def open_as(fp: IO[bytes], fmt: str) -> Image.Image:
    """Open `fp` with the one Pillow plugin for our format `fmt`; decoding is lazy."""
    enable_heif()
    with bombs_as_errors():
        return Image.open(fp, formats=[FORMATS[fmt][0]])


def open_bytes(data: bytes) -> Image.Image:
    """Open already-accepted image bytes; anything undecodable is a PermanentError."""
    fmt = sniff(data[:SNIFF_BYTES])
    if fmt is None:
        raise PermanentError("not an image in an accepted format")
    try:
        return open_as(io.BytesIO(data), fmt)
    except (*DECODE_ERRORS, *BOMB_ERRORS) as exc:
        raise PermanentError(f"cannot decode the image: {exc}") from exc


def has_alpha(img: Image.Image) -> bool:
    """Whether the image carries transparency of any kind."""
    return img.has_transparency_data


def oriented_srgb(img: Image.Image) -> Image.Image:
    """A decoded copy upright, in sRGB, as RGB or RGBA, with no metadata at all."""
    try:
        upright = ImageOps.exif_transpose(img)
        clean = _to_srgb(upright)
    except (*DECODE_ERRORS, *BOMB_ERRORS) as exc:
        raise PermanentError(f"cannot decode the image: {exc}") from exc
    clean.info.clear()
    return clean


def flatten(img: Image.Image) -> Image.Image:
    """RGB, with any transparency composited onto white."""
    if img.mode != "RGBA":
        return img.convert("RGB")
    canvas = Image.new("RGB", img.size, _WHITE)
    canvas.paste(img, mask=img.getchannel("A"))
    return canvas


def _to_srgb(img: Image.Image) -> Image.Image:
    mode = "RGBA" if has_alpha(img) else "RGB"
    converted = _apply_icc(img, mode)
    if converted is None:
        converted = img.convert(mode)
    if mode == "RGBA" and converted.getchannel("A").getextrema() == (255, 255):
        return converted.convert("RGB")  # an alpha channel with nothing transparent in it
    return converted


def _apply_icc(img: Image.Image, mode: str) -> Image.Image | None:
    icc = img.info.get("icc_profile")
    if not icc:
        return None
    native = img.mode == mode or (mode == "RGB" and img.mode in ("CMYK", "L"))
    source = img if native else img.convert(mode)
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(source, profile, _SRGB, outputMode=mode)
    except (ImageCms.PyCMSError, *DECODE_ERRORS):
        # Broken or mismatched profiles are common; slightly-off colours beat refusing the photo.
        return None


def encode_jpeg(img: Image.Image, quality: int, *, optimize: bool = False) -> bytes:
    """JPEG bytes of an RGB image, with no EXIF, ICC, XMP or comment segments."""
    out = io.BytesIO()
    # Explicit blanks, because Pillow carries some of them over from img.info by default.
    img.save(out, "JPEG", quality=quality, optimize=optimize, progressive=optimize, **_NO_META)
    return out.getvalue()


def encode_webp(img: Image.Image, quality: int) -> bytes:
    """WebP bytes (alpha kept when present) with no EXIF, ICC or XMP chunks."""
    out = io.BytesIO()
    img.save(out, "WEBP", quality=quality, method=4, **_NO_META)
    return out.getvalue()
