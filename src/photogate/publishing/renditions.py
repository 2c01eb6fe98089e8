"""The public versions of an approved photo: WebP and JPEG at a few widths, plus a placeholder."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from PIL import Image

from photogate.imaging import (
    Size,
    encode_jpeg,
    encode_webp,
    fit_within,
    flatten,
    open_bytes,
    oriented_srgb,
    upright_size,
)

WEBP_QUALITY: Final = 80
JPEG_QUALITY: Final = 82
# No rendition's side is longer: a web page never needs more, and WebP cannot go past 16383.
MAX_SIDE: Final = 4096
_CONTENT_TYPES: Final = {"webp": "image/webp", "jpeg": "image/jpeg"}
_SUFFIXES: Final = {"webp": "webp", "jpeg": "jpg"}


@dataclass(frozen=True)
class RenditionBlob:
    """One encoded public rendition; `suffix` (e.g. "800.webp") ends its blob name."""

    format: str
    width: int
    height: int
    data: bytes
    content_type: str
    suffix: str


@dataclass(frozen=True)
class PublicImages:
    """Everything published for one photo; width and height are the upright original's."""

    renditions: tuple[RenditionBlob, ...]
    placeholder: str
    width: int
    height: int


def make_renditions(data: bytes, widths: Iterable[int] = (1600, 800, 320)) -> PublicImages:
    """Re-encode `data` at each width (never wider than the original, no side over MAX_SIDE);
    CPU-bound, so off-loop. Raises PermanentError if it cannot be decoded or encoded.
    """
    img = open_bytes(data)
    width, height = upright_size(img)
    sizes = rendition_sizes(widths, (width, height))
    base = oriented_srgb(img, sizes[0])  # the largest rendition; the others are made from it
    blobs = [blob for size in sizes for blob in _encode(base, size)]
    return PublicImages(tuple(blobs), placeholder_colour(base), width, height)


def rendition_sizes(widths: Iterable[int], original: Size) -> list[Size]:
    """The distinct sizes to make, widest first: each width, or the original's if narrower,
    with the height that follows, both sides shrunk further if one would pass MAX_SIDE.
    """
    sizes = sorted({fit_within(original, (width, MAX_SIDE)) for width in widths})
    by_width = {size[0]: size for size in sizes}  # blob names carry only the width
    return sorted(by_width.values(), reverse=True)


def placeholder_colour(img: Image.Image) -> str:
    """The image's average colour as "#rrggbb", to paint while the photo loads."""
    small = flatten(img.reduce(max(1, min(img.size) // 32)))
    red, green, blue = small.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return f"#{red:02x}{green:02x}{blue:02x}"


def _encode(base: Image.Image, size: Size) -> list[RenditionBlob]:
    scaled = base
    if size != base.size:
        scaled = base.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    webp = encode_webp(scaled, WEBP_QUALITY)
    jpeg = encode_jpeg(flatten(scaled), JPEG_QUALITY, optimize=True)
    return [_blob("webp", size, webp), _blob("jpeg", size, jpeg)]


def blob_suffix(fmt: str, width: int) -> str:
    """How the blob name of a rendition ends, e.g. "800.webp" or "320.jpg"."""
    return f"{width}.{_SUFFIXES[fmt]}"


def _blob(fmt: str, size: tuple[int, int], data: bytes) -> RenditionBlob:
    suffix = blob_suffix(fmt, size[0])
    return RenditionBlob(fmt, size[0], size[1], data, _CONTENT_TYPES[fmt], suffix)
