"""Sample uploads as bytes: good photos in every accepted format, and the bad inputs we refuse.

Scanner outcomes follow the reference scanner's rules: clean photos pass, a shorter side under
200 px is inconclusive, mostly pure red fails, mostly pure magenta is inconclusive.
"""

from __future__ import annotations

import functools
import io
import random
import struct
import zlib
from collections.abc import Iterator
from typing import Any, Final

from PIL import ExifTags, Image, ImageCms, ImageDraw

from photogate.imaging import enable_heif

Size = tuple[int, int]
RGB = tuple[int, int, int]

RED: Final[RGB] = (228, 24, 30)
MAGENTA: Final[RGB] = (226, 26, 222)
# Where jpeg_with_gps_exif() says it was taken (Seattle waterfront).
GPS_LATITUDE: Final = (47.0, 36.0, 22.5)
GPS_LONGITUDE: Final = (122.0, 20.0, 31.0)
CAMERA: Final = ("Contoso", "Lumen X2")


@functools.cache
def clean_jpeg(w: int = 1200, h: int = 900, seed: int = 0) -> bytes:
    """A photo-like landscape (noisy sky, hills, sun) that passes the reference scanner."""
    return _save(landscape((w, h), seed), "JPEG", quality=90)


@functools.cache
def noisy_jpeg(w: int = 6000, h: int = 4000, seed: int = 0) -> bytes:
    """A big photo drowned in sensor noise: the worst case for a size-bounded JPEG encoder."""
    return _save(landscape((w, h), seed, noise=0.5), "JPEG", quality=92)


def low_quality_jpeg() -> bytes:
    """A 150x120 photo: acceptable upload, but too small for the scanner to judge."""
    return clean_jpeg(150, 120, seed=1)


def tiny_jpeg() -> bytes:
    """A 60x40 photo: under intake's 64 px minimum."""
    return clean_jpeg(60, 40, seed=2)


def failing_jpeg() -> bytes:
    """An 800x600 mostly pure red picture: the reference scanner fails it."""
    return _save(_marker((800, 600), RED), "JPEG", quality=90)


def review_jpeg(quality: int = 90) -> bytes:
    """An 800x600 mostly pure magenta picture: the reference scanner wants a person to look.

    Another `quality` gives other bytes of the same picture (not a repeat of the same file).
    """
    return _save(_marker((800, 600), MAGENTA), "JPEG", quality=quality)


@functools.cache
def heic_photo(w: int = 640, h: int = 480) -> bytes:
    """A HEIC photo encoded with pillow-heif (x265)."""
    enable_heif()
    return _save(landscape((w, h), seed=3), "HEIF", quality=80)


def heic_cropped(w: int, h: int, shown: Size) -> bytes:
    """heic_photo(w, h) with a clean-aperture crop box (clap) showing only `shown`, centred:
    decoders report the shown size, but must decode all w x h coded pixels first.

    Edits the one-item file pillow-heif writes (iloc version 0, a 4-byte base offset): the
    box goes at the end of ipco, the item gets it as one more property, and the sizes of
    the boxes around it, and the offset of the coded data after them, grow by as much.
    """
    data = bytearray(heic_photo(w, h))
    at = {kind: (start, size) for kind, start, size in _boxes_in(bytes(data))}
    clap = struct.pack(">I4s8I", 40, b"clap", shown[0], 1, shown[1], 1, 0, 1, 0, 1)
    properties = sum(
        1 for _ in _boxes_in(bytes(data), at[b"ipco"][0] + 8, at[b"ipco"][0] + at[b"ipco"][1])
    )
    ipma_start, ipma_size = at[b"ipma"]
    assert data[ipma_start + 8 : ipma_start + 18] == b"\x00" * 7 + b"\x01\x00\x01", "one item"
    data[ipma_start + 18] += 1  # one more association, to the new last property (essential)
    data[ipma_start + ipma_size : ipma_start + ipma_size] = bytes([0x80 | (properties + 1)])
    ipco_end = sum(at[b"ipco"])
    data[ipco_end:ipco_end] = clap
    for kind, grows in ((b"meta", 41), (b"iprp", 41), (b"ipco", 40), (b"ipma", 1)):
        start, size = at[kind]
        moved = start + (40 if kind == b"ipma" else 0)
        struct.pack_into(">I", data, moved, size + grows)
    iloc = at[b"iloc"][0]
    assert data[iloc + 8 : iloc + 14] == b"\x00\x00\x00\x00\x44\x40", "iloc v0, 4-byte offsets"
    base = iloc + 20  # item count, item id and data reference index come first
    struct.pack_into(">I", data, base, struct.unpack_from(">I", data, base)[0] + 41)
    return bytes(data)


def _boxes_in(
    data: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """(kind, start, size) of the boxes from `start` to `end`, and inside meta, iprp and ipco."""
    at, end = start, len(data) if end is None else end
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        yield kind, at, size
        if kind in (b"meta", b"iprp", b"ipco"):
            yield from _boxes_in(data, at + (12 if kind == b"meta" else 8), at + size)
        at += size


@functools.cache
def heic_burst() -> bytes:
    """A HEIC file holding two top-level images (a burst): refused like an animation."""
    enable_heif()
    frames = [landscape((128, 96), seed) for seed in (4, 5)]
    return _save(frames[0], "HEIF", save_all=True, append_images=frames[1:], quality=60)


def png_with_alpha() -> bytes:
    """A 400x300 RGBA PNG: a green disc on a fully transparent background."""
    img = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(img).ellipse((80, 30, 320, 270), fill=(40, 160, 90, 255))
    return _save(img, "PNG")


def webp_photo() -> bytes:
    """An 800x600 lossy WebP photo."""
    return _save(landscape((800, 600), seed=6), "WEBP", quality=80)


def strip_png(width: int, height: int) -> bytes:
    """A width x height RGB PNG of a colour ramp along its long side: cheap at any size, so
    it makes the extreme strips (900x18000, 64x20000) that test the aspect-ratio limits.
    """
    tall = height >= width
    ramp = Image.linear_gradient("L").resize((width, height) if tall else (height, width))
    img = Image.merge("RGB", (ramp, ramp.point(lambda v: 255 - v), ramp.point(lambda v: v // 2)))
    return _save(img if tall else img.transpose(Image.Transpose.ROTATE_90), "PNG")


def grey16_png(w: int = 400, h: int = 300, seed: int = 0, transparent: int | None = None) -> bytes:
    """A 16-bit greyscale PNG of landscape(): the 8-bit tones times 257, so 128 becomes 32896.

    With `transparent`, that 16-bit value is transparent (a tRNS chunk).
    """
    wide = (
        landscape((w, h), seed).convert("L").convert("I").point(lambda v: v * 257).convert("I;16")
    )
    params: dict[str, Any] = {} if transparent is None else {"transparency": transparent}
    return _save(wide, "PNG", **params)


def bloated_png(text_bytes: int = 2 * 1024 * 1024, *, after_pixels: bool = False) -> bytes:
    """A 400x300 PNG with a compressed XMP chunk (an editor's history, as Photoshop keeps it)
    that inflates to `text_bytes`: over Pillow's 1 MiB limit on one text chunk by default.

    The chunk follows the header, or with `after_pixels` the pixel data (read only on decode).
    """
    step = b"<rdf:li>stEvt:action=saved stEvt:softwareAgent=Photo Editor</rdf:li>"
    history = b"<x:xmpmeta><rdf:Seq>" + step * (text_bytes // len(step)) + b"</rdf:Seq></x:xmpmeta>"
    # keyword, NUL, compressed, zlib, no language tag, no translated keyword, then the text.
    xmp = _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + zlib.compress(history))
    plain = _save(landscape((400, 300), seed=15), "PNG")
    at = len(plain) - 12 if after_pixels else 33  # before the IEND chunk, or after IHDR
    return plain[:at] + xmp + plain[at:]


def jpeg_with_gps_exif() -> bytes:
    """A 400x300 JPEG stored sideways (EXIF orientation 6), with GPS, camera, ICC, XMP, comment.

    Upright it is 300x400; the red block stored at the top-left corner shows at the top right.
    """
    img = _marker((400, 300), (60, 110, 170))
    ImageDraw.Draw(img).rectangle((0, 0, 99, 74), fill=RED)
    return _save(img, "JPEG", quality=90, exif=_camera_exif(), **_extra_metadata())


def _camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA[0]
    exif[ExifTags.Base.Model] = CAMERA[1]
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = GPS_LONGITUDE
    return exif


def _extra_metadata() -> dict[str, Any]:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    return {"icc_profile": icc, "xmp": xmp, "comment": b"shot by a customer"}


def empty() -> bytes:
    """A zero-byte upload."""
    return b""


def text_file() -> bytes:
    """Plain text."""
    return b"Dear shop, here is my photo. Regards, a customer.\n"


def pdf_file() -> bytes:
    """A minimal PDF document."""
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def html_file() -> bytes:
    """An HTML page with a script in it."""
    return b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n"


def svg_file() -> bytes:
    """An SVG drawing (XML that browsers run scripts in; never accepted as a photo)."""
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" '
        b'height="100"><circle cx="50" cy="50" r="40" fill="red"/></svg>\n'
    )


def php_as_jpg() -> bytes:
    """A PHP script, as someone would upload it under the name photo.jpg."""
    return b"<?php echo 'this is not a photo'; ?>\n"


def truncated_jpeg() -> bytes:
    """A JPEG cut off halfway through its pixel data: the header is fine, decoding is not."""
    whole = clean_jpeg(640, 480, seed=7)
    return whole[: len(whole) // 2]


@functools.cache
def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A tiny PNG whose header claims width x height 1-bit pixels, all black (a pixel bomb).

    Written chunk by chunk, compressing one row repeated, so building it allocates no pixels.
    """
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = _compressed_rows(b"\x00" + bytes((width + 7) // 8), height)
    body = _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def private_chunk() -> bytes:
    """One empty private, ancillary PNG chunk ("prVt"), which decoders skip."""
    return _chunk(b"prVt", b"")


def _compressed_rows(row: bytes, count: int, batch: int = 256) -> bytes:
    packer = zlib.compressobj(9)
    parts = [packer.compress(row * batch) for _ in range(count // batch)]
    parts += [packer.compress(row * (count % batch)), packer.flush()]
    return b"".join(parts)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def animated_gif() -> bytes:
    """A three-frame animated GIF."""
    colours = ((200, 40, 40), (40, 200, 40), (40, 40, 200))
    frames = [_marker((120, 90), colour) for colour in colours]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def animated_webp() -> bytes:
    """A three-frame animated WebP."""
    frames = [landscape((160, 120), seed) for seed in (8, 9, 10)]
    return _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100)


def animated_png() -> bytes:
    """A three-frame animated PNG (APNG)."""
    frames = [landscape((160, 120), seed) for seed in (11, 12, 13)]
    return _save(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100)


def gif_still() -> bytes:
    """A single-frame GIF: a real image, but not a format we take."""
    return _save(landscape((200, 150), seed=14).convert("P"), "GIF")


def landscape(size: Size, seed: int = 0, noise: float = 0.14) -> Image.Image:
    """An RGB picture that looks vaguely like a photo: sky, sun, hills and sensor noise."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible pictures, not secrets
    img = _sky(size, rng)
    draw = ImageDraw.Draw(img)
    _sun(draw, size, rng)
    _hills(draw, size, rng)
    return _noisy(img, rng, noise)


def _sky(size: Size, rng: random.Random) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    top = (rng.randint(40, 90), rng.randint(110, 160), rng.randint(190, 235))
    bottom = (rng.randint(170, 220), rng.randint(180, 215), rng.randint(200, 240))
    bands = [ramp.point(_blend_table(a, b)) for a, b in zip(top, bottom, strict=True)]
    return Image.merge("RGB", bands)


def _blend_table(start: int, end: int) -> list[int]:
    return [start + (end - start) * level // 255 for level in range(256)]


def _sun(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random) -> None:
    w, h = size
    x, y, r = rng.uniform(0.15, 0.85) * w, rng.uniform(0.1, 0.3) * h, min(w, h) * 0.08
    draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 236, 180))


def _hills(draw: ImageDraw.ImageDraw, size: Size, rng: random.Random) -> None:
    w, h = size
    for layer in range(3):
        base = h * (0.55 + 0.12 * layer)
        green = (30 + 15 * layer, rng.randint(90, 140) - 20 * layer, 50 + 10 * layer)
        points = [(x * w / 8, base - rng.uniform(0, 0.15) * h) for x in range(9)]
        draw.polygon([(0, h), *points, (w, h)], fill=green)


def _noisy(img: Image.Image, rng: random.Random, amount: float) -> Image.Image:
    grain = Image.frombytes("L", img.size, rng.randbytes(img.width * img.height))
    return Image.blend(img, Image.merge("RGB", (grain, grain, grain)), amount)


def _marker(size: Size, colour: RGB) -> Image.Image:
    """A flat colour with a few small darker shapes, so it is not a single value."""
    img = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(img)
    w, h = size
    dark = tuple(c * 3 // 4 for c in colour)
    draw.ellipse((w * 0.4, h * 0.4, w * 0.5, h * 0.5), fill=dark)
    draw.rectangle((w * 0.7, h * 0.1, w * 0.78, h * 0.2), fill=dark)
    return img


def _save(img: Image.Image, fmt: str, **params: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()
