"""inspect_upload: accepted photos by content, every kind of bad upload refused with its code."""

from __future__ import annotations

import functools
import hashlib
import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from photogate.domain.fingerprint import Fingerprint
from photogate.errors import InputError
from photogate.imaging import is_metadata_overflow
from photogate.intake.fingerprint import perceptual_hash
from photogate.intake.image_check import (
    MAX_ASPECT,
    MAX_JPEG_SCANS,
    MAX_PNG_CHUNKS,
    ImageInfo,
    examine,
    inspect_bytes,
    inspect_upload,
)
from photogate.settings import UploadSettings
from photogate.testing import samples

Sample = Callable[[], bytes]


def inspect(tmp_path: Path, data: bytes, limits: UploadSettings | None = None) -> ImageInfo:
    # Every upload is named photo.jpg: the name must never matter.
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    return inspect_upload(path, len(data), limits or UploadSettings())


def refusal(tmp_path: Path, data: bytes, limits: UploadSettings | None = None) -> InputError:
    with pytest.raises(InputError) as caught:
        inspect(tmp_path, data, limits)
    return caught.value


GOOD = [
    (samples.clean_jpeg, "jpeg", "image/jpeg", (1200, 900), False),
    (samples.low_quality_jpeg, "jpeg", "image/jpeg", (150, 120), False),
    (samples.failing_jpeg, "jpeg", "image/jpeg", (800, 600), False),
    (samples.review_jpeg, "jpeg", "image/jpeg", (800, 600), False),
    (samples.jpeg_with_gps_exif, "jpeg", "image/jpeg", (300, 400), False),
    (samples.heic_photo, "heic", "image/heic", (640, 480), False),
    (samples.png_with_alpha, "png", "image/png", (400, 300), True),
    (samples.webp_photo, "webp", "image/webp", (800, 600), False),
]


@pytest.mark.parametrize(("sample", "fmt", "content_type", "size", "alpha"), GOOD)
def test_good_photos_are_accepted_with_their_format_and_upright_size(
    tmp_path: Path,
    sample: Sample,
    fmt: str,
    content_type: str,
    size: tuple[int, int],
    alpha: bool,
) -> None:
    """Each accepted format is recognised by content and reports its size as shown upright."""
    data = sample()
    info = inspect(tmp_path, data)
    assert info == ImageInfo(fmt, content_type, size[0], size[1], alpha, perceptual_hash(data))


@pytest.mark.parametrize(("sample", "fmt", "content_type", "size", "alpha"), GOOD)
def test_examine_fingerprints_the_bytes_and_the_picture_it_checked(
    sample: Sample, fmt: str, content_type: str, size: tuple[int, int], alpha: bool
) -> None:
    """examine gives the file's SHA-256 and the pHash the screening of stored images computes."""
    data = sample()
    info, fingerprint = examine(data, UploadSettings())
    assert (info.format, info.width, info.height) == (fmt, size[0], size[1])
    assert fingerprint == Fingerprint(hashlib.sha256(data).hexdigest(), perceptual_hash(data))


BAD = [
    (samples.empty, "empty_file", 400),
    (samples.text_file, "unsupported_type", 415),
    (samples.pdf_file, "unsupported_type", 415),
    (samples.html_file, "unsupported_type", 415),
    (samples.svg_file, "unsupported_type", 415),
    (samples.php_as_jpg, "unsupported_type", 415),
    (samples.gif_still, "unsupported_type", 415),
    (samples.animated_gif, "unsupported_type", 415),
    (samples.truncated_jpeg, "corrupt_image", 400),
    (samples.bomb_png, "image_too_large", 413),
    (samples.animated_webp, "animated_image", 415),
    (samples.animated_png, "animated_image", 415),
    (samples.heic_burst, "animated_image", 415),
    (samples.tiny_jpeg, "image_too_small", 400),
    (functools.partial(samples.strip_png, 64, 20_000), "extreme_aspect_ratio", 400),
    (functools.partial(samples.strip_png, 20_000, 64), "extreme_aspect_ratio", 400),
    (samples.bloated_png, "metadata_too_large", 400),
    (functools.partial(samples.bloated_png, after_pixels=True), "metadata_too_large", 400),
]


@pytest.mark.parametrize(("sample", "code", "status"), BAD)
def test_bad_uploads_are_refused_with_their_code_and_status(
    tmp_path: Path, sample: Sample, code: str, status: int
) -> None:
    """Each bad input is refused with the machine-readable code and HTTP status it maps to."""
    error = refusal(tmp_path, sample())
    assert (error.code, error.status) == (code, status)


def test_unsupported_type_lists_the_accepted_types(tmp_path: Path) -> None:
    """The unsupported-type detail tells the customer which formats would work."""
    error = refusal(tmp_path, samples.php_as_jpg())
    assert all(name in error.detail for name in ("JPEG", "PNG", "WebP", "HEIC"))


def test_animated_detail_says_we_reject_rather_than_take_a_frame(tmp_path: Path) -> None:
    """The animated-image detail says the upload is rejected, not cut down to its first frame."""
    error = refusal(tmp_path, samples.animated_webp())
    assert "reject" in error.detail
    assert "frame" in error.detail


@pytest.mark.parametrize("size", [(900, 18_000), (18_000, 900), (1000, 17_000)])
def test_strips_up_to_the_aspect_limit_are_accepted(tmp_path: Path, size: tuple[int, int]) -> None:
    """A long side up to MAX_ASPECT times the short one is still a photo we take."""
    info = inspect(tmp_path, samples.strip_png(*size))
    assert (info.width, info.height) == size


def test_extreme_aspect_detail_gives_the_size_and_the_limit(tmp_path: Path) -> None:
    """The refusal of a strip names its size and how elongated a photo may be."""
    error = refusal(tmp_path, samples.strip_png(64, 20_000))
    assert "64x20000" in error.detail
    assert f"{MAX_ASPECT} times" in error.detail


def test_bloated_metadata_detail_says_what_is_wrong_and_what_to_do(tmp_path: Path) -> None:
    """A PNG refused for its text chunks is told so (not "damaged") and how to export it."""
    error = refusal(tmp_path, samples.bloated_png())
    assert "1 MiB" in error.detail
    assert "metadata" in error.detail
    assert "damaged" not in error.detail


@pytest.mark.parametrize(
    ("error", "overflow"),
    [
        (ValueError("Decompressed data too large for PngImagePlugin.MAX_TEXT_CHUNK"), True),
        (ValueError("Decompressed Data Too Large"), True),  # older Pillow wording
        (ValueError("Too much memory used in text chunks: 67108865>MAX_TEXT_MEMORY"), True),
        (ValueError("broken PNG file"), False),
        (OSError("Decompressed data too large"), False),
    ],
)
def test_only_pillows_text_limits_count_as_metadata_overflow(
    error: Exception, overflow: bool
) -> None:
    """Pillow's text-chunk limits (in either wording) are told apart from any other failure."""
    assert is_metadata_overflow(error) is overflow


def test_metadata_under_the_limit_is_accepted(tmp_path: Path) -> None:
    """Half a MiB of editing history is no reason to refuse a photo."""
    assert inspect(tmp_path, samples.bloated_png(512 * 1024)).format == "png"


def test_16_bit_greyscale_is_hashed_from_its_tones(tmp_path: Path) -> None:
    """A 16-bit PNG hashes like its 8-bit twin, and two different ones hash apart."""
    first, second = samples.grey16_png(seed=0), samples.grey16_png(seed=1)
    twin = io.BytesIO()
    samples.landscape((400, 300), seed=0).convert("L").save(twin, "PNG")
    assert inspect(tmp_path, first).phash == perceptual_hash(twin.getvalue())
    assert perceptual_hash(first) != perceptual_hash(second)


def test_a_png_named_jpg_is_judged_a_png(tmp_path: Path) -> None:
    """The format comes from the bytes, not from the file name."""
    assert inspect(tmp_path, samples.png_with_alpha()).format == "png"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"not really a png" * 8,
        b"RIFF\x00\x01\x00\x00WEBPVP8 " + b"\x00" * 64,
        b"\xff\xd8\xff\xe0" + b"\x13" * 64,
    ],
)
def test_right_signature_with_garbage_after_it_is_corrupt(tmp_path: Path, data: bytes) -> None:
    """A valid magic number followed by junk is a corrupt image, not an accepted one."""
    assert refusal(tmp_path, data).code == "corrupt_image"


def test_heif_sequence_brand_is_refused_as_animated(tmp_path: Path) -> None:
    """A HEIF file whose major brand declares an image sequence is refused as an animation."""
    data = b"\x00\x00\x00\x18ftypmsf1\x00\x00\x00\x00msf1hevc" + b"\x00" * 64
    error = refusal(tmp_path, data)
    assert (error.code, error.status) == ("animated_image", 415)


def test_avif_is_not_taken_for_heic(tmp_path: Path) -> None:
    """An AVIF file (also ISO-BMFF) is an unsupported type."""
    data = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64
    assert refusal(tmp_path, data).code == "unsupported_type"


def test_a_file_over_the_byte_limit_is_too_large(tmp_path: Path) -> None:
    """An upload bigger than max_bytes is refused with 413 before anything is decoded."""
    error = refusal(tmp_path, samples.clean_jpeg(), UploadSettings(max_bytes=1024))
    assert (error.code, error.status) == ("file_too_large", 413)


def test_pixel_limit_is_ours_and_named_in_megapixels(tmp_path: Path) -> None:
    """Our own max_pixels refuses an image Pillow would happily open, stating the limit in MP."""
    error = refusal(tmp_path, samples.clean_jpeg(), UploadSettings(max_pixels=500_000))
    assert (error.code, error.status) == ("image_too_large", 413)
    assert "0.5 megapixels" in error.detail


def test_a_heic_is_judged_by_its_coded_size_not_its_crop(tmp_path: Path) -> None:
    """A crop box shows 100x80 of a 400x300 picture, all of which the decoder must decode:
    with a 20,000-pixel limit the shown size would pass, the coded one is refused.
    """
    limits = UploadSettings(max_pixels=20_000)
    cropped = samples.heic_cropped(400, 300, (100, 80))
    assert inspect(tmp_path, cropped).width == 100  # what the decoder shows
    error = refusal(tmp_path, cropped, limits)
    assert (error.code, error.status) == ("image_too_large", 413)
    assert refusal(tmp_path, samples.heic_photo(400, 300), limits).code == "image_too_large"
    assert inspect(tmp_path, samples.heic_cropped(120, 100, (100, 80)), limits).height == 80


def many_scans(count: int) -> bytes:
    """A progressive JPEG whose last scan is repeated until it holds `count` scans."""
    out = io.BytesIO()
    samples.landscape((320, 240), seed=5).save(out, "JPEG", progressive=True)
    data = out.getvalue()
    last = data.rindex(b"\xff\xda")
    held = data.count(b"\xff\xda")
    return data[:last] + data[last:-2] * (count - held + 1) + b"\xff\xd9"


def test_a_jpeg_in_more_scans_than_any_photo_is_refused_before_decoding(tmp_path: Path) -> None:
    """Each progressive scan walks the whole picture again: 101 scans are refused at once, a
    hundred pass; an ordinary progressive JPEG holds about ten.
    """
    error = refusal(tmp_path, many_scans(101))
    assert (error.code, error.status) == ("too_many_scans", 400)
    assert "101 scans" in error.detail
    assert inspect(tmp_path, many_scans(MAX_JPEG_SCANS)).width == 320
    progressive = io.BytesIO()
    samples.landscape((320, 240)).save(progressive, "JPEG", progressive=True)
    assert progressive.getvalue().count(b"\xff\xda") < 20


def test_only_the_main_pictures_scans_count(tmp_path: Path) -> None:
    """What follows the picture (the video of a "motion photo", the secondary images of a
    multi-picture file) may hold any bytes, start-of-scan markers among them; a thumbnail in
    an APP segment has a scan of its own. Neither counts.
    """
    appended = samples.clean_jpeg() + b"\x00\x00\x00\x18ftypmp42" + b"\xff\xda" * 500
    assert inspect(tmp_path, appended).width == 1200
    thumbnail = io.BytesIO()
    samples.landscape((160, 120)).save(thumbnail, "JPEG")
    segment = b"Exif\x00\x00" + thumbnail.getvalue() * 3  # three scans, were they counted
    app1 = b"\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment
    photo = many_scans(MAX_JPEG_SCANS - 2)
    assert inspect(tmp_path, photo[:2] + app1 + photo[2:]).width == 320


def png_in_chunks(total: int) -> bytes:
    """A PNG with empty private chunks after its header, `total` chunks in all."""
    png = samples.png_with_alpha()
    header_end = 8 + 25  # the signature, then IHDR: 13 bytes of data and 12 of framing
    held = 0
    at = 8
    while at < len(png):
        held += 1
        at += 12 + int.from_bytes(png[at : at + 4], "big")
    flood = samples.private_chunk() * (total - held)
    return png[:header_end] + flood + png[header_end:]


def test_a_png_in_more_chunks_than_any_photo_is_refused_before_decoding(
    tmp_path: Path,
) -> None:
    """Pillow reads each chunk in Python: past MAX_PNG_CHUNKS the file is refused at once."""
    error = refusal(tmp_path, png_in_chunks(MAX_PNG_CHUNKS + 1))
    assert (error.code, error.status) == ("too_many_chunks", 400)
    assert inspect(tmp_path, png_in_chunks(MAX_PNG_CHUNKS)).has_alpha


@pytest.mark.parametrize(
    "sample",
    [samples.heic_photo, samples.clean_jpeg, samples.png_with_alpha, samples.webp_photo],
)
def test_a_file_cut_anywhere_is_refused_with_a_code_not_an_error(sample: Sample) -> None:
    """The structure is read before the decoder: cut short at any point (in a box header,
    a segment, a chunk), the file is refused as an InputError, never a crash. (A PNG cut
    after its last pixels, in its final CRC or IEND, is whole enough to keep.)
    """
    data = sample()
    cuts = sorted({*range(1, 64), *range(64, len(data), max(1, len(data) // 97))})
    refused = 0
    for cut in cuts:
        try:
            inspect_bytes(data[:cut], UploadSettings())
        except InputError:
            refused += 1
    assert refused >= len(cuts) - 1


def test_a_heic_box_with_a_cut_64_bit_size_is_refused() -> None:
    """A 64-bit box size announced and then missing (12 bytes in all) is refused, not a crash."""
    with pytest.raises(InputError):
        inspect_bytes(b"\x00\x00\x00\x01ftypheic", UploadSettings())


def test_a_heic_nesting_property_boxes_thousands_deep_is_refused_not_a_crash() -> None:
    """ipco inside ipco, 2,000 deep, in the meta box: refused with a code, no RecursionError."""
    nested = b""
    for _ in range(2000):
        nested = (8 + len(nested)).to_bytes(4, "big") + b"ipco" + nested
    meta_body = b"\x00\x00\x00\x00" + (8 + len(nested)).to_bytes(4, "big") + b"iprp" + nested
    meta = (8 + len(meta_body)).to_bytes(4, "big") + b"meta" + meta_body
    ftyp = b"\x00\x00\x00\x10ftypheic\x00\x00\x00\x00"
    with pytest.raises(InputError):
        inspect_bytes(ftyp + meta, UploadSettings())


def test_pillow_bomb_warning_becomes_a_refusal(tmp_path: Path) -> None:
    """An image over Pillow's own bomb threshold is refused even when our limit is higher."""
    limits = UploadSettings(max_pixels=500_000_000)
    assert refusal(tmp_path, samples.bomb_png(10_000, 10_000), limits).code == "image_too_large"


PROC_STATUS = Path("/proc/self/status")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_kib() -> int:
    line = next(ln for ln in PROC_STATUS.read_text().splitlines() if ln.startswith("VmHWM:"))
    return int(line.split()[1])


def count_decoders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The decoders Pillow creates from now on, by name: every path that turns a stream into
    pixels (Image.load, a draft, frombytes) asks Image._getdecoder for one first.
    """
    made: list[str] = []
    real = Image._getdecoder

    def spy(mode: str, decoder_name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(decoder_name)
        return real(mode, decoder_name, *args, **kwargs)

    monkeypatch.setattr(Image, "_getdecoder", spy)
    return made


def test_the_decoder_count_sees_an_accepted_photo_decoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spy below is not blind: checking a good PNG creates a decoder for its pixels."""
    decoders = count_decoders(monkeypatch)
    inspect(tmp_path, samples.png_with_alpha())
    assert decoders


@pytest.mark.parametrize("side", [30_000, 9_000])
def test_pixel_bombs_are_refused_without_decoding_or_allocating_pixels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, side: int
) -> None:
    """A small PNG claiming a huge size is refused from its header: no decoder is ever made for
    it (decoding is what would take seconds and gigabytes), and its pixels are never allocated.
    """
    data = samples.bomb_png(side, side)
    decoders = count_decoders(monkeypatch)
    # Pillow allocates pixels outside Python's allocator, so tracemalloc alone cannot see them.
    rss_known = reset_peak_rss()
    rss_before = peak_rss_kib() if rss_known else 0
    tracemalloc.start()
    try:
        error = refusal(tmp_path, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == "image_too_large"
    assert decoders == []
    assert peak < 50 * 1024 * 1024
    if rss_known:
        assert peak_rss_kib() - rss_before < 50 * 1024
