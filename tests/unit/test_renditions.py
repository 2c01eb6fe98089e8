"""The scanner's copy and the public renditions: upright, bounded, and stripped of all metadata."""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Callable

import pytest
from PIL import ExifTags, Image, ImageStat

from photogate.errors import PermanentError
from photogate.imaging import encode_jpeg, encode_webp
from photogate.publishing.renditions import (
    MAX_SIDE,
    PublicImages,
    make_renditions,
    rendition_sizes,
)
from photogate.scanning.rendition import scanner_rendition
from photogate.testing import samples

MiB = 1024 * 1024
# JPEG markers that carry metadata: APP1 (EXIF, XMP), APP2 (ICC), APP13 (IPTC), COM.
METADATA_MARKERS = {0xE1, 0xE2, 0xED, 0xFE}
METADATA_CHUNKS = {b"EXIF", b"ICCP", b"XMP "}


def jpeg_markers(data: bytes) -> set[int]:
    """The marker bytes of every segment before the compressed image data."""
    markers, at = set(), 2
    while at < len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        markers.add(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return markers


def webp_chunks(data: bytes) -> set[bytes]:
    """The four-character codes of every chunk in a RIFF/WebP file."""
    chunks, at = set(), 12
    while at + 8 <= len(data):
        kind, (size,) = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])
        chunks.add(kind)
        at += 8 + size + (size & 1)
    return chunks


def decoded(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 180 and pixel[1] < 80 and pixel[2] < 80


def test_scanner_copy_has_no_metadata_left() -> None:
    """EXIF (GPS, camera), ICC, XMP and comments are all gone from the scanner's copy."""
    data, content_type = scanner_rendition(samples.jpeg_with_gps_exif())
    assert content_type == "image/jpeg"
    assert not jpeg_markers(data) & METADATA_MARKERS
    img = decoded(data)
    assert not img.getexif()
    assert not {"icc_profile", "exif", "xmp", "comment"} & img.info.keys()


def test_sample_really_carries_the_metadata_we_strip() -> None:
    """The GPS sample has GPS, camera, ICC, XMP and comment, so stripping tests mean something."""
    original = samples.jpeg_with_gps_exif()
    exif = decoded(original).getexif()
    assert exif[ExifTags.Base.Model] == samples.CAMERA[1]
    assert exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    assert {0xE1, 0xE2, 0xFE} <= jpeg_markers(original)


def test_scanner_copy_is_upright() -> None:
    """An orientation-6 photo comes out turned: 300x400, its red corner now at the top right."""
    img = decoded(scanner_rendition(samples.jpeg_with_gps_exif())[0]).convert("RGB")
    assert img.size == (300, 400)
    assert is_red(img.getpixel((290, 10)))  # type: ignore[arg-type]
    assert not is_red(img.getpixel((10, 10)))  # type: ignore[arg-type]


def test_big_noisy_photo_fits_the_scanner_limits() -> None:
    """A 6000x4000 noisy photo is scaled to 4096 px and re-encoded under 4 MiB."""
    data, _ = scanner_rendition(samples.noisy_jpeg())
    assert len(data) <= 4 * MiB
    assert decoded(data).size == (4096, 2731)


def test_scanner_copy_shrinks_to_meet_a_tight_byte_budget() -> None:
    """When no quality step fits the budget, the picture is scaled down until it does."""
    data, _ = scanner_rendition(samples.clean_jpeg(), max_bytes=30_000)
    assert len(data) <= 30_000
    assert decoded(data).width < 1200


@pytest.mark.parametrize(
    "sample", [samples.heic_photo, samples.webp_photo, samples.png_with_alpha, samples.clean_jpeg]
)
def test_every_accepted_format_becomes_an_rgb_jpeg(sample: Callable[[], bytes]) -> None:
    """HEIC, WebP, PNG and JPEG inputs all give the scanner an RGB JPEG."""
    img = decoded(scanner_rendition(sample())[0])
    assert (img.format, img.mode) == ("JPEG", "RGB")


def test_scanner_copy_flattens_transparency_onto_white() -> None:
    """Transparent pixels become white, not black, in the scanner's copy."""
    img = decoded(scanner_rendition(samples.png_with_alpha())[0])
    assert min(img.getpixel((2, 2))) > 245  # type: ignore[arg-type]


def test_undecodable_bytes_are_a_permanent_error() -> None:
    """Bytes that are not an accepted image can never be scanned: PermanentError."""
    with pytest.raises(PermanentError):
        scanner_rendition(samples.truncated_jpeg())


def suffixes(images: PublicImages) -> list[str]:
    return [blob.suffix for blob in images.renditions]


def test_public_renditions_come_in_each_width_and_format() -> None:
    """Every width gets a WebP and a JPEG of the stated size, format and content type."""
    images = make_renditions(samples.clean_jpeg(1800, 1200))
    assert suffixes(images) == [
        "1600.webp",
        "1600.jpg",
        "800.webp",
        "800.jpg",
        "320.webp",
        "320.jpg",
    ]
    for blob in images.renditions:
        img = decoded(blob.data)
        assert img.size == (blob.width, blob.height)
        assert img.format.lower() == blob.format
        assert blob.content_type == f"image/{blob.format}"
    assert [blob.height for blob in images.renditions[::2]] == [1067, 533, 213]


def test_public_renditions_never_upscale_or_repeat() -> None:
    """Widths over the original collapse to the original width, once."""
    images = make_renditions(samples.png_with_alpha(), widths=(1600, 800, 320))
    assert suffixes(images) == ["400.webp", "400.jpg", "320.webp", "320.jpg"]
    assert rendition_sizes((1600, 800, 400), (400, 300)) == [(400, 300)]


def test_public_renditions_have_no_metadata_and_are_upright() -> None:
    """Renditions of the GPS sample carry no EXIF, ICC or XMP and are turned upright."""
    images = make_renditions(samples.jpeg_with_gps_exif())
    assert (images.width, images.height) == (300, 400)
    for blob in images.renditions:
        assert (blob.width, blob.height) == (300, 400)
        if blob.format == "jpeg":
            assert not jpeg_markers(blob.data) & METADATA_MARKERS
        else:
            assert not webp_chunks(blob.data) & METADATA_CHUNKS


def test_webp_keeps_alpha_and_jpeg_flattens_onto_white() -> None:
    """Transparency survives in WebP and turns white in JPEG."""
    images = make_renditions(samples.png_with_alpha())
    webp, jpeg = (decoded(blob.data) for blob in images.renditions[:2])
    assert webp.mode == "RGBA"
    assert webp.getpixel((2, 2))[3] == 0  # type: ignore[index]
    assert min(jpeg.getpixel((2, 2))) > 245  # type: ignore[arg-type]


def test_placeholder_is_a_hex_colour_close_to_the_image() -> None:
    """The placeholder is "#rrggbb" within a few levels of the image's mean colour."""
    data = samples.failing_jpeg()
    placeholder = make_renditions(data).placeholder
    assert re.fullmatch(r"#[0-9a-f]{6}", placeholder)
    mean = ImageStat.Stat(decoded(data).convert("RGB")).mean
    channels = [int(placeholder[i : i + 2], 16) for i in (1, 3, 5)]
    assert all(abs(got - want) < 8 for got, want in zip(channels, mean, strict=True))


def test_heic_becomes_public_webp_and_jpeg() -> None:
    """A HEIC upload is published as WebP and JPEG, at its own width and below."""
    images = make_renditions(samples.heic_photo())
    assert suffixes(images) == ["640.webp", "640.jpg", "320.webp", "320.jpg"]


def test_reduced_decoding_keeps_the_original_upright_size() -> None:
    """Decoding a big sideways JPEG at reduced scale still reports its full upright size."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    buffer = io.BytesIO()
    samples.landscape((1200, 900)).save(buffer, "JPEG", exif=exif)
    images = make_renditions(buffer.getvalue(), widths=(400,))
    assert (images.width, images.height) == (900, 1200)
    assert suffixes(images) == ["400.webp", "400.jpg"]
    assert decoded(images.renditions[0].data).size == (400, 533)


STRIPS = [(900, 18000), (1000, 17000), (64, 20000), (18000, 900)]


@pytest.mark.parametrize("size", STRIPS)
def test_extreme_strips_publish_with_every_side_within_the_limit(size: tuple[int, int]) -> None:
    """Tall and wide strips publish (never over WebP's 16383 px) with no side over MAX_SIDE."""
    images = make_renditions(samples.strip_png(*size))
    assert (images.width, images.height) == size
    assert images.renditions
    for blob in images.renditions:
        assert decoded(blob.data).size == (blob.width, blob.height)
        assert max(blob.width, blob.height) <= MAX_SIDE
        assert blob.width / blob.height == pytest.approx(size[0] / size[1], rel=0.1)


@pytest.mark.parametrize("size", STRIPS)
def test_scanner_copy_of_an_extreme_strip_fits_its_box(size: tuple[int, int]) -> None:
    """The scanner's copy of a strip keeps its shape inside the 4096 px box."""
    img = decoded(scanner_rendition(samples.strip_png(*size))[0])
    assert max(img.size) == 4096
    assert img.width / img.height == pytest.approx(size[0] / size[1], rel=0.1)


def test_rendition_sizes_cap_the_long_side_and_collapse_to_one() -> None:
    """A 900x18000 original gets one 205x4096 rendition, whatever widths are asked for."""
    assert rendition_sizes((1600, 800, 320), (900, 18000)) == [(205, 4096)]


def test_rendition_sizes_keep_one_size_per_width() -> None:
    """Two sizes that round to the same width make one rendition: blob names say only the width."""
    # 1600 is capped by the height to 800x4096; 800 is not quite capped and rounds to 800x4095.
    assert rendition_sizes((1600, 800), (1000, 5119)) == [(800, 4096)]


@pytest.mark.parametrize("encode", [encode_webp, encode_jpeg])
def test_an_encoder_refusal_is_a_permanent_error(encode: Callable[..., bytes]) -> None:
    """An image an encoder cannot write fails for good (settled, not retried), saying why."""
    too_tall = Image.new("RGB", (1, 70_000))  # past WebP's 16383 and JPEG's 65535 px
    with pytest.raises(PermanentError, match=r"cannot encode a 1x70000"):
        encode(too_tall, 80)


def mean_grey(data: bytes) -> float:
    return float(ImageStat.Stat(decoded(data).convert("L")).mean[0])


def test_16_bit_greyscale_keeps_its_tones_in_the_scanner_copy() -> None:
    """A 16-bit greyscale PNG is scaled to 8 bits, not clipped to white, for the scanner."""
    want = ImageStat.Stat(samples.landscape((400, 300)).convert("L")).mean[0]
    assert mean_grey(scanner_rendition(samples.grey16_png())[0]) == pytest.approx(want, abs=3)


def test_16_bit_greyscale_keeps_its_tones_in_every_rendition() -> None:
    """Every public rendition of a 16-bit greyscale PNG has the picture's tones, not white."""
    want = ImageStat.Stat(samples.landscape((400, 300)).convert("L")).mean[0]
    images = make_renditions(samples.grey16_png())
    assert images.placeholder != "#ffffff"
    for blob in images.renditions:
        assert mean_grey(blob.data) == pytest.approx(want, abs=3)


def test_16_bit_greyscale_keeps_its_transparent_value() -> None:
    """The 16-bit value a tRNS chunk makes transparent is transparent in the WebP rendition."""
    corner = Image.open(io.BytesIO(samples.grey16_png())).getpixel((0, 0))
    assert isinstance(corner, int)
    images = make_renditions(samples.grey16_png(transparent=corner))
    webp = decoded(images.renditions[0].data)
    assert webp.mode == "RGBA"
    assert webp.getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert webp.getchannel("A").getextrema()[1] == 255
