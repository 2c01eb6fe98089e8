"""The reference scanner's fault injection: settings, draws, the admin API and each fault kind."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from photogate.refscanner import BackgroundRefScanner, RefScannerConfig
from photogate.refscanner.__main__ import _parser, config_from
from photogate.refscanner.faults import (
    KINDS,
    FaultConfig,
    FaultKind,
    Faults,
    image_size,
    parse_size,
    parse_weights,
)
from photogate.testing import samples

pytestmark = pytest.mark.timeout(60)
IMAGE = samples.clean_jpeg(320, 240, seed=1)
KEY = "fault-test-key"


def only(kind: FaultKind, **fields: float) -> RefScannerConfig:
    """A scanner that gives every scan the fault `kind`."""
    weights = {k: float(k == kind) for k in KINDS}
    faults = FaultConfig(share=1.0, weights=weights, **fields)  # type: ignore[arg-type]
    return RefScannerConfig(latency_s=0.0, api_key=KEY, retry_after_s=2, faults=faults)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """An HTTP client with the scanner's API key."""
    with httpx.Client(headers={"Ocp-Apim-Subscription-Key": KEY}, timeout=10) as http:
        yield http


def scan(client: httpx.Client, url: str, request_id: str, **kw: float) -> httpx.Response:
    """POST the test image to /v1/scan."""
    headers = {"X-Request-Id": request_id, "Content-Type": "image/jpeg"}
    return client.post(f"{url}/v1/scan", content=IMAGE, headers=headers, **kw)  # type: ignore[arg-type]


def stats(client: httpx.Client, url: str) -> dict[str, int]:
    """The scanner's counters."""
    return dict(client.get(f"{url}/v1/stats").json())


def test_faults_are_off_by_default() -> None:
    """The default configuration injects nothing, whatever it is asked to scan."""
    faults = Faults(RefScannerConfig().faults)
    assert not faults.config.active
    assert {faults.draw(IMAGE) for _ in range(200)} == {None}
    assert sum(faults.injected.values()) == 0


def test_the_same_seed_draws_the_same_faults() -> None:
    """Draws are repeatable with a seed, and their share is near the configured one."""
    config = FaultConfig(share=0.2, seed=42)
    first, again = ([f.draw(IMAGE) for _ in range(2000)] for f in (Faults(config), Faults(config)))
    assert first == again
    assert 300 < sum(f is not None for f in first) < 500
    assert {f for f in first if f is not None} == set(KINDS)


def test_weights_choose_the_kinds() -> None:
    """A kind weighted 0 never comes; the others come in proportion."""
    faults = Faults(FaultConfig(share=1.0, weights=parse_weights("error_503=3,reset=1"), seed=1))
    drawn = [faults.draw(IMAGE) for _ in range(400)]
    assert set(drawn) == {"error_503", "reset"}
    assert drawn.count("error_503") > 2 * drawn.count("reset")


def test_fail_sizes_match_the_image_header_whatever_the_share() -> None:
    """An image of a fail size always gets a 500; other images are left alone."""
    faults = Faults(FaultConfig(fail_sizes=frozenset({(320, 240)})))
    assert image_size(IMAGE) == (320, 240)
    assert faults.draw(IMAGE) == "error_500"
    assert faults.draw(samples.clean_jpeg(321, 240)) is None
    assert faults.draw(b"not an image") is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: FaultConfig(share=1.5),
        lambda: FaultConfig(share=-0.1),
        lambda: FaultConfig(hang_s=-1),
        lambda: FaultConfig(weights={"error_500": 0.0}),
        lambda: parse_weights("explode=1"),
        lambda: parse_weights("reset=lots"),
        lambda: parse_size("1001*701"),
    ],
)
def test_bad_fault_settings_are_refused(make: object) -> None:
    """Out-of-range shares, unknown kinds, bad weights and sizes raise ValueError at start-up."""
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_the_command_line_sets_every_fault_field() -> None:
    """python -m photogate.refscanner takes the fault settings as flags."""
    flags = "--fault-share 0.2 --fault-kinds error_500=2,hang --hang 5 --slow 0.5 --fault-seed 9"
    args = _parser().parse_args([*flags.split(), "--fail-size", "1001x701", "--fail-size", "64x64"])
    faults = config_from(args).faults
    assert faults == FaultConfig(
        share=0.2,
        weights={"error_500": 2.0, "hang": 1.0},
        hang_s=5.0,
        slow_s=0.5,
        seed=9,
        fail_sizes=frozenset({(1001, 701), (64, 64)}),
    )
    assert config_from(_parser().parse_args([])).faults == FaultConfig()


@pytest.mark.parametrize(("kind", "status"), [("error_500", 500), ("error_503", 503)])
def test_error_faults_answer_the_contracts_error_without_scanning(
    client: httpx.Client, kind: FaultKind, status: int
) -> None:
    """500 and 503 come with the contract's Error body (503 with Retry-After), nothing scanned."""
    with BackgroundRefScanner(only(kind)) as scanner:
        response = scan(client, scanner.url, "r-1")
        assert response.status_code == status
        assert set(response.json()) == {"error", "detail"}
        assert ("retry-after" in response.headers) == (status == 503)
        assert stats(client, scanner.url)["scans"] == 0


def test_a_reset_loses_the_answer_but_keeps_the_result(client: httpx.Client) -> None:
    """A reset drops the connection after the scan; the retry is answered from the store."""
    with BackgroundRefScanner(only("reset")) as scanner:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            scan(client, scanner.url, "r-1")
        client.post(f"{scanner.url}/v1/admin/faults", json={"share": 0}).raise_for_status()
        assert scan(client, scanner.url, "r-1").status_code == 200
        counters = stats(client, scanner.url)
        assert (counters["scans"], counters["replays"]) == (1, 1)


def test_a_hang_outlasts_the_clients_timeout(client: httpx.Client) -> None:
    """A hung answer never comes within the client's timeout."""
    with (
        BackgroundRefScanner(only("hang", hang_s=30.0)) as scanner,
        pytest.raises(httpx.ReadTimeout),
    ):
        scan(client, scanner.url, "r-1", timeout=0.5)


def test_a_slow_answer_comes_late_and_whole(client: httpx.Client) -> None:
    """A slow answer is the normal 200, sent after slow_s."""
    with BackgroundRefScanner(only("slow", slow_s=0.3)) as scanner:
        started = time.monotonic()
        response = scan(client, scanner.url, "r-1")
        assert response.status_code == 200 and response.json()["request_id"] == "r-1"
        assert time.monotonic() - started >= 0.3


def test_the_admin_api_reads_and_changes_the_faults(client: httpx.Client) -> None:
    """POST /v1/admin/faults changes the given fields (key required, bad input 400); GET reads."""
    with BackgroundRefScanner(RefScannerConfig(api_key=KEY)) as scanner:
        url = f"{scanner.url}/v1/admin/faults"
        change = {"share": 0.5, "weights": {"slow": 1}, "fail_sizes": ["10x20"], "seed": 3}
        assert httpx.post(url, json=change).status_code == 401
        assert client.post(url, json={"share": 2}).status_code == 400
        assert client.post(url, json={"weights": {"boom": 1}}).status_code == 400
        assert client.post(url, json={"colour": "red"}).status_code == 400
        assert client.post(url, json=change).status_code == 200
        described = client.get(url).json()
    assert described["share"] == 0.5 and described["weights"] == {"slow": 1.0}
    assert described["fail_sizes"] == ["10x20"] and described["seed"] == 3
    assert described["injected"] == dict.fromkeys(KINDS, 0)
