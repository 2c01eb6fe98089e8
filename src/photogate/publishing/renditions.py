"""The public versions of an approved photo: WebP and JPEG at a few widths, plus a placeholder."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from PIL import Image

from photogate.imaging import encode_jpeg, encode_webp, flatten, open_bytes, oriented_srgb

WEBP_QUALITY: Final = 80
JPEG_QUALITY: Final = 82
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
    """Re-encode `data` at each width (never wider than the original); CPU-bound, so off-loop."""
    wanted = tuple(widths)
    img = open_bytes(data)
    widest = max(wanted)
    stored = img.size
    # For JPEG, the decoder may scale by 1/2..1/8 while both sides stay over the widest rendition.
    img.draft("RGB", (widest, widest))
    drafted = img.size
    base = oriented_srgb(img)
    width, height = stored[::-1] if base.size != drafted else stored
    blobs: list[RenditionBlob] = []
    for target in rendition_widths(wanted, width):
        blobs.extend(_encode(base, target, height * target / width))
    return PublicImages(tuple(blobs), placeholder_colour(base), width, height)


def rendition_widths(widths: Iterable[int], original_width: int) -> list[int]:
    """The distinct widths to make, widest first; wider than the original means the original."""
    return sorted({min(w, original_width) for w in widths}, reverse=True)


def placeholder_colour(img: Image.Image) -> str:
    """The image's average colour as "#rrggbb", to paint while the photo loads."""
    small = flatten(img.reduce(max(1, min(img.size) // 32)))
    red, green, blue = small.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))  # type: ignore[misc]
    return f"#{red:02x}{green:02x}{blue:02x}"


def _encode(base: Image.Image, width: int, exact_height: float) -> list[RenditionBlob]:
    size = (width, max(1, round(exact_height)))
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
