"""`python -m photogate.refscanner` starts a scanner that serves the contract with the given key."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.processes import free_port

pytestmark = pytest.mark.integration


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    """Poll /v1/health until it answers, the process dies, or the deadline passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            pass  # not listening yet
        time.sleep(0.05)
    raise AssertionError(f"the reference scanner did not come up at {url}")


@pytest.fixture
def cli_scanner() -> Iterator[str]:
    """The reference scanner started from the command line, one slot, key "cli-key"."""
    port = free_port()
    args = ["--port", str(port), "--slots", "1", "--latency", "0", "--api-key", "cli-key"]
    process = subprocess.Popen(
        [sys.executable, "-m", "photogate.refscanner", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_command_line_scanner_takes_its_options(cli_scanner: str) -> None:
    """Capacity and the API key given on the command line are the ones the service uses."""
    refused = httpx.post(f"{cli_scanner}/v1/scan", content=b"x", headers={"X-Request-Id": "a"})
    capacity = httpx.get(f"{cli_scanner}/v1/stats").json()
    assert refused.status_code == 401
    assert (capacity["slots"], capacity["latency_s"]) == (1, 0.0)
