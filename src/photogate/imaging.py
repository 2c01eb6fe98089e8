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
from PIL import Image, ImageChops, ImageCms, ImageOps, PngImagePlugin

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
# What Pillow's encoders raise on a picture they cannot write (WebP over 16383 px a side, say).
ENCODE_ERRORS: Final = (OSError, ValueError)
# How Pillow words its refusal of PNG text, XMP or ICC chunks over its memory limits (a
# ValueError like any other, so the wording is the only way to tell it from damage).
METADATA_OVERFLOWS: Final = ("decompressed data too large", "max_text_memory")
METADATA_LIMIT_BYTES: Final = PngImagePlugin.MAX_TEXT_CHUNK

Size = tuple[int, int]

_WHITE: Final = (255, 255, 255)
_NO_META: Final[dict[str, bytes]] = {"exif": b"", "icc_profile": b"", "xmp": b"", "comment": b""}
_SRGB: Final = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# EXIF orientations that turn the picture a quarter, so width and height trade places.
_QUARTER_TURNS: Final = frozenset({5, 6, 7, 8})
_ORIENTATION_TAG: Final = 0x0112
# Modes with more than 8 bits a sample; of our formats only PNG makes them (16-bit greyscale).
# convert() clips their values at 255, which turns nearly every pixel white.
_WIDE_MODES: Final = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})
_SIXTEEN_TO_EIGHT: Final = 255 / 65535
_SIXTEEN_BIT_VALUES: Final = 65536
# Rows of a 16-bit picture turned into a transparency mask at a time (see _alpha_of).
_STRIP_ROWS: Final = 256
_POINTABLE: Final = frozenset({"I;16", "I"})  # the wide modes point() takes as they are
# Modes that resize() and reduce() resample as they are: 8 bits a sample, no palette.
_RESAMPLABLE: Final = frozenset({"L", "LA", "RGB", "RGBA", "CMYK"})


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


def is_metadata_overflow(exc: BaseException) -> bool:
    """Whether Pillow refused a PNG for the size of its text, XMP or ICC chunks, not for damage."""
    words = str(exc).lower()
    return isinstance(exc, ValueError) and any(overflow in words for overflow in METADATA_OVERFLOWS)


def upright_size(img: Image.Image) -> Size:
    """An opened image's size as it is meant to be seen (its EXIF may turn it a quarter)."""
    width, height = img.size
    return (height, width) if quarter_turned(img) else (width, height)


def quarter_turned(img: Image.Image) -> bool:
    """Whether the image's EXIF turns it a quarter, so its width and height trade places.

    For a PNG this reads the whole file when the EXIF is not in its header.
    """
    try:
        orientation = img.getexif().get(_ORIENTATION_TAG, 1)
    except DECODE_ERRORS:
        orientation = 1  # unreadable EXIF: the picture is shown as stored
    return orientation in _QUARTER_TURNS


def fit_within(size: Size, box: Size) -> Size:
    """`size` scaled to fit inside `box`, aspect ratio kept; never enlarged, never under 1 px."""
    scale = min(1.0, box[0] / size[0], box[1] / size[1])
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def oriented_srgb(img: Image.Image, size: Size) -> Image.Image:
    """An opened image decoded at `size` (as seen upright), upright, in sRGB, as RGB or RGBA,
    with no metadata at all.

    It is shrunk before it is turned and converted, so the decode is its only full-size copy.
    """
    stored = size[::-1] if quarter_turned(img) else size
    try:
        img.draft("RGB", stored)  # JPEG: decode at the smallest DCT scale still covering it
        small = _resized(_resamplable(img), stored)
        ImageOps.exif_transpose(small, in_place=True)
        clean = _to_srgb(small)
    except (*DECODE_ERRORS, *BOMB_ERRORS) as exc:
        raise PermanentError(f"cannot decode the image: {exc}") from exc
    clean.info.clear()
    return clean


def small_grey(img: Image.Image, side: int) -> Image.Image:
    """8-bit greyscale, shrunk by the largest whole factor keeping both sides at least `side`.

    A box filter over whole blocks of pixels: cheap, and enough to hash. Colour is reduced
    before it is made grey; with alpha (which reduce() would premultiply in a full-size copy),
    a palette or 16 bits, the picture is made grey (one byte a pixel) first.
    """
    grey = _eight_bit(img)
    if grey.mode not in _RESAMPLABLE or has_alpha(grey):
        grey = grey.convert("L")
    factor = min(grey.size) // side
    small = grey.reduce(factor) if factor > 1 else grey
    return small.convert("L")


def flatten(img: Image.Image) -> Image.Image:
    """RGB, with any transparency composited onto white (an RGB image is returned as it is)."""
    if img.mode == "RGB":
        return img
    if img.mode != "RGBA":
        return img.convert("RGB")
    canvas = Image.new("RGB", img.size, _WHITE)
    canvas.paste(img, mask=img.getchannel("A"))
    return canvas


def _resamplable(img: Image.Image) -> Image.Image:
    """`img` itself, or a copy in a mode resize() and reduce() handle: 8-bit, no palette.

    A 16-bit picture with a transparent value comes premultiplied ("La"), as resize() would
    make it anyway, but without the full-size "LA" copy before it (_resized turns it "LA").
    """
    if img.mode in _WIDE_MODES:
        return _eight_bit(img, premultiplied=True)
    if img.mode in _RESAMPLABLE:
        return img
    return img.convert("RGBA" if has_alpha(img) else "RGB")


def _eight_bit(img: Image.Image, *, premultiplied: bool = False) -> Image.Image:
    """A 16-bit greyscale image as 8-bit ("L", or "LA" if it has a transparent value: "La",
    its grey premultiplied by its alpha, if asked), its tones scaled rather than clipped; any
    other image as it is.
    """
    if img.mode not in _WIDE_MODES:
        return img
    pointable = img if img.mode in _POINTABLE else img.convert("I")
    transparent = pointable.info.get("transparency")
    grey = _scaled_to_eight_bit(pointable)
    if not isinstance(transparent, int):
        return grey
    alpha = _alpha_of(pointable, transparent)
    if premultiplied:
        return Image.merge("La", (ImageChops.multiply(grey, alpha), alpha))
    grey.putalpha(alpha)
    return grey


def _scaled_to_eight_bit(pointable: Image.Image) -> Image.Image:
    # A function of its own, so the full-size 16-bit copy is gone before the mask is made.
    scaled = pointable.point(lambda value: value * _SIXTEEN_TO_EIGHT)
    scaled.info.pop("transparency", None)
    return scaled.convert("L")


def _resized(img: Image.Image, size: Size) -> Image.Image:
    resized = (
        img if img.size == size else img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    )
    return resized.convert("LA") if resized.mode == "La" else resized


def _alpha_of(wide: Image.Image, transparent: int) -> Image.Image:
    """Opaque but where a 16-bit image holds its 16-bit `transparent` value.

    Only the original values can be matched (and convert("RGBA") matches just their low byte).
    Made a strip at a time: a whole 32-bit copy of a 64-megapixel picture is 256 MB, and the
    arithmetic on it made several.
    """
    opaque = [255] * _SIXTEEN_BIT_VALUES
    if 0 <= transparent < _SIXTEEN_BIT_VALUES:
        opaque[transparent] = 0
    mask = Image.new("L", wide.size)
    for top in range(0, wide.height, _STRIP_ROWS):
        strip = wide.crop((0, top, wide.width, min(top + _STRIP_ROWS, wide.height)))
        values = strip if strip.mode == "I" else strip.convert("I")
        mask.paste(values.point(opaque, "L"), (0, top))
    return mask


def _to_srgb(img: Image.Image) -> Image.Image:
    mode = "RGBA" if has_alpha(img) else "RGB"
    converted = _apply_icc(img, mode)
    if converted is None:
        converted = img if img.mode == mode else img.convert(mode)
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
    return _encode(img, "JPEG", quality=quality, optimize=optimize, progressive=optimize)


def encode_webp(img: Image.Image, quality: int) -> bytes:
    """WebP bytes (alpha kept when present) with no EXIF, ICC or XMP chunks."""
    return _encode(img, "WEBP", quality=quality, method=4)


def _encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    """Encoded bytes; an encoder's refusal is a PermanentError, as the same picture fails again."""
    out = io.BytesIO()
    try:
        # Explicit blanks, because Pillow carries some of them over from img.info by default.
        img.save(out, fmt, **params, **_NO_META)
    except ENCODE_ERRORS as exc:
        raise PermanentError(f"cannot encode a {img.width}x{img.height} {fmt}: {exc}") from exc
    return out.getvalue()
