"""Contract of the Scanner port: HttpScanner against the reference scanner, and InMemoryScanner."""

from __future__ import annotations

import asyncio
import io
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from PIL import Image

from photogate.adapters.http_scanner import HttpScanner
from photogate.adapters.memory.scanner import KNOWN_CATEGORIES, InMemoryScanner
from photogate.domain.scan import Verdict
from photogate.errors import (
    ScanInputRejected,
    ScannerBusy,
    ScannerMisconfigured,
    ScannerUnavailable,
    Throttled,
)
from photogate.ports.scanner import Scanner
from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.settings import ScannerSettings

API_KEY = "test-key-not-secret"
MiB = 1024 * 1024


def encode(image: Image.Image, fmt: str = "JPEG") -> bytes:
    """The image as `fmt` bytes."""
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def photo(width: int = 640, height: int = 480) -> bytes:
    """A JPEG with varied colour, like a product photo as far as the rules can tell."""
    red = Image.linear_gradient("L")
    bands = (red, red.rotate(90), Image.radial_gradient("L"))
    return encode(Image.merge("RGB", bands).resize((width, height)))


def plain(colour: tuple[int, int, int], width: int = 400, height: int = 300) -> bytes:
    """A PNG of one colour."""
    return encode(Image.new("RGB", (width, height), colour), "PNG")


def settings_for(url: str, *, api_key: str = API_KEY, timeout_s: float = 10.0) -> ScannerSettings:
    """Scanner settings pointing at `url`."""
    return ScannerSettings(url=url, api_key=api_key, timeout_s=timeout_s)  # type: ignore[arg-type]


def stats(server: BackgroundRefScanner) -> dict[str, object]:
    """The reference scanner's counters."""
    return dict(httpx.get(f"{server.url}/v1/stats").json())


@pytest.fixture(scope="module")
def refscanner() -> Iterator[BackgroundRefScanner]:
    """One reference scanner for the tests that do not change its capacity."""
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.0, api_key=API_KEY)) as server:
        yield server


@pytest.fixture(params=["http", "memory"])
async def scanner(request: pytest.FixtureRequest) -> AsyncIterator[Scanner]:
    """Every implementation of the Scanner port."""
    if request.param == "memory":
        yield InMemoryScanner()
        return
    server: BackgroundRefScanner = request.getfixturevalue("refscanner")
    async with HttpScanner(settings_for(server.url)) as http_scanner:
        yield http_scanner


async def test_a_photo_passes_with_a_score_for_every_known_category(scanner: Scanner) -> None:
    """An ordinary photo passes, and the result names the request and scores each category."""
    result = await scanner.scan("photo-1", photo(), "image/jpeg")
    assert result.request_id == "photo-1"
    assert result.verdict is Verdict.PASS
    assert set(KNOWN_CATEGORIES) <= set(result.categories)
    assert all(0.0 <= score < 0.1 for score in result.categories.values())
    assert result.model_version


async def test_unknown_category_names_are_kept(scanner: Scanner) -> None:
    """A category the client does not know ("novelty") reaches the result instead of failing it."""
    result = await scanner.scan("novel-1", photo(), "image/jpeg")
    assert result.categories["novelty"] == pytest.approx(0.01)


async def test_the_same_request_id_gets_the_stored_result(scanner: Scanner) -> None:
    """A repeated request id returns the first result, even if the image sent again differs."""
    first = await scanner.scan("twice-1", photo(), "image/jpeg")
    again = await scanner.scan("twice-1", plain((230, 20, 20)), "image/png")
    assert again == first


async def test_another_media_type_is_rejected_for_good(scanner: Scanner) -> None:
    """image/gif is not a type the service takes: a permanent 415."""
    with pytest.raises(ScanInputRejected) as caught:
        await scanner.scan("gif-1", b"GIF89a...", "image/gif")
    assert caught.value.status == 415


async def test_a_malformed_request_id_is_rejected_for_good(scanner: Scanner) -> None:
    """A request id outside 1-128 of [A-Za-z0-9._-] is a malformed request: a permanent 400."""
    with pytest.raises(ScanInputRejected) as caught:
        await scanner.scan("no spaces/allowed", photo(), "image/jpeg")
    assert caught.value.status == 400


async def test_a_body_over_4_mib_is_rejected_for_good(scanner: Scanner) -> None:
    """More than 4 MiB of body is too large: a permanent 413."""
    with pytest.raises(ScanInputRejected) as caught:
        await scanner.scan("big-1", b"\xff" * (4 * MiB + 1), "image/jpeg")
    assert caught.value.status == 413


# HttpScanner against the reference scanner: the rules, and every answer of the contract.


@pytest.fixture
async def http_scanner(refscanner: BackgroundRefScanner) -> AsyncIterator[HttpScanner]:
    """An HttpScanner talking to the shared reference scanner."""
    async with HttpScanner(settings_for(refscanner.url)) as scanner:
        yield scanner


@pytest.mark.parametrize(
    ("image", "verdict", "category", "score"),
    [
        pytest.param(
            plain((10, 120, 40), 100, 100), Verdict.INCONCLUSIVE, "low_quality", 0.85, id="small"
        ),
        pytest.param(plain((230, 20, 20)), Verdict.FAIL, "violence", 0.97, id="red"),
        pytest.param(plain((230, 20, 230)), Verdict.INCONCLUSIVE, "sexual", 0.55, id="magenta"),
    ],
)
async def test_each_reference_rule_gives_its_verdict(
    http_scanner: HttpScanner, image: bytes, verdict: Verdict, category: str, score: float
) -> None:
    """Small, red and magenta images get the verdict, score and reason that the rules document."""
    result = await http_scanner.scan(f"rule-{category}-{verdict}", image, "image/png")
    assert (result.verdict, result.categories[category]) == (verdict, score)
    assert len(result.reasons) == 1


async def test_a_photo_passes_the_reference_rules_without_reasons(
    http_scanner: HttpScanner,
) -> None:
    """A photo-like gradient passes with no reasons and every score under 0.1."""
    result = await http_scanner.scan("rule-photo", photo(1024, 768), "image/jpeg")
    assert (result.verdict, result.reasons) == (Verdict.PASS, ())
    assert max(result.categories.values()) < 0.1


async def test_an_image_over_4096_px_is_rejected_with_the_reason(http_scanner: HttpScanner) -> None:
    """A 5000x100 PNG is over the side limit: 413, with the service's reason."""
    with pytest.raises(ScanInputRejected) as caught:
        await http_scanner.scan("wide-1", plain((0, 0, 255), 5000, 100), "image/png")
    assert caught.value.status == 413
    assert "4096" in caught.value.reason


async def test_undecodable_bytes_are_rejected(http_scanner: HttpScanner) -> None:
    """Bytes that are not an image, sent as image/jpeg, get a permanent 400."""
    with pytest.raises(ScanInputRejected) as caught:
        await http_scanner.scan("garbage-1", b"this is not a jpeg" * 100, "image/jpeg")
    assert caught.value.status == 400
    assert "undecodable_image" in caught.value.reason


async def test_a_claim_check_is_refused_by_the_reference_scanner(http_scanner: HttpScanner) -> None:
    """The reference scanner does not fetch URLs: a JSON claim check gets 400 saying so."""
    claim = b'{"image_url": "https://example.invalid/a.jpg"}'
    with pytest.raises(ScanInputRejected) as caught:
        await http_scanner.scan("claim-1", claim, "application/json")
    assert "claim check not supported" in caught.value.reason


async def test_a_wrong_api_key_is_a_misconfiguration(refscanner: BackgroundRefScanner) -> None:
    """401 becomes ScannerMisconfigured (throttled: no attempt), naming the setting, not the key."""
    async with HttpScanner(settings_for(refscanner.url, api_key="wrong-key")) as scanner:
        with pytest.raises(ScannerMisconfigured) as caught:
            await scanner.scan("key-1", photo(), "image/jpeg")
    assert isinstance(caught.value, Throttled)
    assert "PHOTOGATE_SCANNER__API_KEY" in str(caught.value)
    assert "wrong-key" not in str(caught.value)


async def test_the_reference_scanner_reports_healthy(http_scanner: HttpScanner) -> None:
    """health() is true while the reference scanner is up."""
    assert await http_scanner.health()


async def test_past_capacity_the_scanner_is_busy_with_retry_after() -> None:
    """With one slot, two of three simultaneous scans get ScannerBusy carrying Retry-After."""
    config = RefScannerConfig(slots=1, latency_s=0.5, api_key=API_KEY, retry_after_s=2)
    with BackgroundRefScanner(config) as server:
        async with HttpScanner(settings_for(server.url)) as scanner:
            calls = (scanner.scan(f"busy-{n}", photo(), "image/jpeg") for n in range(3))
            outcomes = await asyncio.gather(*calls, return_exceptions=True)
    busy = [outcome for outcome in outcomes if isinstance(outcome, ScannerBusy)]
    assert len(busy) == 2
    assert [error.retry_after for error in busy] == [2.0, 2.0]


async def test_a_request_id_being_scanned_waits_instead_of_taking_a_slot() -> None:
    """The same id sent twice at once is scanned once; the second waits, and is not refused 429."""
    with BackgroundRefScanner(RefScannerConfig(slots=1, latency_s=0.3, api_key=API_KEY)) as server:
        async with HttpScanner(settings_for(server.url)) as scanner:
            calls = (scanner.scan("dup-1", photo(), "image/jpeg") for _ in range(2))
            first, second = await asyncio.gather(*calls)
        counters = stats(server)
    assert first == second
    assert (counters["scans"], counters["replays"], counters["busy"]) == (1, 1, 0)


async def test_a_repeated_request_id_is_not_scanned_again() -> None:
    """Sending one id twice counts one scan and one replay in /v1/stats."""
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.0, api_key=API_KEY)) as server:
        async with HttpScanner(settings_for(server.url)) as scanner:
            await scanner.scan("again-1", photo(), "image/jpeg")
            await scanner.scan("again-1", photo(), "image/jpeg")
        counters = stats(server)
    assert (counters["scans"], counters["replays"]) == (1, 1)


async def test_while_redeploying_the_scanner_is_unavailable_until_switched_back() -> None:
    """The admin switch makes scans raise ScannerUnavailable (503, Retry-After) and health false."""
    admin = {"Ocp-Apim-Subscription-Key": API_KEY}
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.0, api_key=API_KEY)) as server:
        capacity_url = f"{server.url}/v1/admin/capacity"
        async with HttpScanner(settings_for(server.url)) as scanner:
            httpx.post(capacity_url, json={"unavailable": True}, headers=admin).raise_for_status()
            with pytest.raises(ScannerUnavailable) as caught:
                await scanner.scan("redeploy-1", photo(), "image/jpeg")
            healthy_while_down = await scanner.health()
            httpx.post(capacity_url, json={"unavailable": False}, headers=admin).raise_for_status()
            result = await scanner.scan("redeploy-1", photo(), "image/jpeg")
    assert caught.value.retry_after == 1.0
    assert not healthy_while_down
    assert result.verdict is Verdict.PASS


@pytest.mark.parametrize("headers", [{}, {"Ocp-Apim-Subscription-Key": "wrong"}])
async def test_capacity_changes_need_the_api_key(headers: dict[str, str]) -> None:
    """The admin endpoint refuses a caller without the right API key, and changes nothing."""
    change = {"slots": 0, "latency_s": 5.0, "unavailable": True}
    with BackgroundRefScanner(RefScannerConfig(latency_s=0.0, api_key=API_KEY)) as server:
        before = stats(server)
        response = httpx.post(f"{server.url}/v1/admin/capacity", json=change, headers=headers)
        after = stats(server)
    assert response.status_code == 401
    assert {key: after[key] for key in change} == {key: before[key] for key in change}


async def test_a_scanner_that_does_not_answer_in_time_is_unavailable() -> None:
    """A scan slower than the timeout raises ScannerUnavailable without a Retry-After."""
    with BackgroundRefScanner(RefScannerConfig(latency_s=2.0, api_key=API_KEY)) as server:
        async with HttpScanner(settings_for(server.url, timeout_s=0.2)) as scanner:
            with pytest.raises(ScannerUnavailable) as caught:
                await scanner.scan("slow-1", photo(), "image/jpeg")
    assert caught.value.retry_after is None


async def test_a_refused_connection_means_unavailable() -> None:
    """Nothing listening at the URL raises ScannerUnavailable, and health() is false."""
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}"
        async with HttpScanner(settings_for(url)) as scanner:
            with pytest.raises(ScannerUnavailable) as caught:
                await scanner.scan("refused-1", photo(), "image/jpeg")
            assert not await scanner.health()
    assert caught.value.retry_after is None
