"""Reference scanner parts that HTTP tests cannot reach cheaply: expiry, admin input, rules."""

from __future__ import annotations

import importlib.util
import struct
import zlib

import pytest
from PIL import Image

from photogate.errors import ConfigError
from photogate.refscanner import RULES, RefScannerConfig, create_app
from photogate.refscanner.admin import CapacityChange, parse_capacity_change
from photogate.refscanner.decoding import Decoded, decode
from photogate.refscanner.refusal import Refusal
from photogate.refscanner.results import ResultStore
from photogate.refscanner.rules import CATEGORIES, judge


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_stored_result_is_kept_for_24_hours_then_forgotten() -> None:
    """A result is answered from store within 24 h of the scan and scanned anew after."""
    clock = Clock()
    store = ResultStore(clock=clock)
    assert await store.claim("r-1") is None
    store.finish("r-1", {"verdict": "pass"})
    clock.now = 24 * 3600.0
    assert await store.claim("r-1") == {"verdict": "pass"}
    clock.now += 1
    assert await store.claim("r-1") is None


async def test_a_scan_that_ended_without_a_result_stores_nothing() -> None:
    """After a refused scan the id is free: the next request scans it."""
    store = ResultStore()
    assert await store.claim("r-1") is None
    store.finish("r-1", None)
    assert await store.claim("r-1") is None


def test_capacity_changes_are_read_field_by_field() -> None:
    """Each field is optional; the ones given are taken."""
    change = parse_capacity_change({"slots": 2, "latency_s": 1})
    assert change == CapacityChange(slots=2, latency_s=1.0)


@pytest.mark.parametrize(
    "body",
    [[], {"slots": -1}, {"slots": True}, {"latency_s": "1"}, {"unavailable": 1}, {"speed": 3}],
)
def test_bad_capacity_changes_are_refused(body: object) -> None:
    """Negative, mistyped or unknown fields are a 400, not a silent change."""
    with pytest.raises(Refusal) as caught:
        parse_capacity_change(body)
    assert caught.value.status == 400


def test_the_same_pixels_always_get_the_same_low_scores() -> None:
    """Pass scores are derived from the pixels: repeatable and under 0.1 for every category."""
    pixels = Image.linear_gradient("L").convert("RGB")
    first, again = (judge(Decoded(1000, 800, pixels)) for _ in range(2))
    assert first == again
    assert all(first.categories[name] < 0.1 for name in CATEGORIES)


def test_the_rules_text_names_every_marker() -> None:
    """RULES, shown in the README and --help, mentions each rule's trigger."""
    assert all(word in RULES for word in ("200 px", "red", "magenta", "novelty", "NudeNet"))


def test_the_nudity_check_without_nudenet_fails_at_start_up() -> None:
    """Turning the nudity check on without NudeNet is a ConfigError saying what to install."""
    if importlib.util.find_spec("nudenet") is not None:
        pytest.skip("NudeNet is installed here")
    with pytest.raises(ConfigError, match=r"photogate\[nudity\]"):
        create_app(RefScannerConfig(nudity=True))


def test_negative_capacity_is_refused() -> None:
    """A config with negative slots does not start."""
    with pytest.raises(ValueError, match="slots"):
        RefScannerConfig(slots=-1)


def png_header(width: int, height: int) -> bytes:
    """A PNG that is all header: it claims `width` x `height` and holds no pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(5000, 300), (100_000, 100_000)])
def test_huge_dimensions_are_refused_before_any_pixel_is_decoded(size: tuple[int, int]) -> None:
    """A small file claiming huge dimensions (a decompression bomb) gets 413 from its header."""
    with pytest.raises(Refusal) as caught:
        decode(png_header(*size))
    assert caught.value.status == 413
