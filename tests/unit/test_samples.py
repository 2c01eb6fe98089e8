"""The shared sample uploads keep the promises other suites build on."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from photogate.refscanner.decoding import decode
from photogate.refscanner.rules import judge
from photogate.scanning.rendition import scanner_rendition
from photogate.testing import samples


@pytest.mark.parametrize(
    ("sample", "verdict"),
    [
        (samples.clean_jpeg, "pass"),
        (samples.webp_photo, "pass"),
        (samples.low_quality_jpeg, "inconclusive"),
        (samples.failing_jpeg, "fail"),
        (samples.review_jpeg, "inconclusive"),
    ],
)
def test_samples_get_the_reference_scanner_verdict_they_are_named_for(
    sample: Callable[[], bytes], verdict: str
) -> None:
    """After the pipeline's scanner rendition, each sample meets its intended verdict."""
    copy, _ = scanner_rendition(sample())
    assert judge(decode(copy)).verdict == verdict


def test_bomb_is_small_on_disk_but_claims_a_huge_size() -> None:
    """bomb_png is a ~100 KB file whose PNG header declares 30000x30000 pixels."""
    data = samples.bomb_png()
    assert len(data) < 300_000
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (30_000, 30_000)


def test_heic_sample_is_real_heic() -> None:
    """heic_photo is an ISO-BMFF file with the heic brand, made by pillow-heif's encoder."""
    data = samples.heic_photo()
    assert data[4:12] == b"ftypheic"


def test_clean_photos_are_reproducible_and_vary_with_the_seed() -> None:
    """The same seed gives the same bytes; another seed gives another photo."""
    assert samples.landscape((64, 64), 1).tobytes() == samples.landscape((64, 64), 1).tobytes()
    assert samples.clean_jpeg(seed=1) != samples.clean_jpeg(seed=2)
