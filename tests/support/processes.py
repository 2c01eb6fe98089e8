"""Helpers to run photogate's real processes in tests and wait for them without sleeping blind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import httpx

T = TypeVar("T")


_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that no earlier call in
    this process returned: two servers started together (`web_port, scanner_port = ...`)
    never get the same one, though the kernel may offer a port again once it is closed.
    """
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def wait_until(probe: Callable[[], T | None], timeout: float, what: str, step: float = 0.05) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(step)


def healthy(url: str) -> bool:
    """Whether `url` answers 200 now."""
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def photogate_process(
    args: list[str], env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m photogate ARGS` with `env`; SIGTERM it (and check it stops) on exit."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "photogate", *args],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def reference_scanner(
    slots: int,
    latency_s: float,
    log: Path,
    *,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """`photogate scanner` in its own process (its CPU not taken from the test's); yields its
    base URL once it answers /v1/health.
    """
    port = port or free_port()
    args = ["scanner", "--port", str(port), "--slots", str(slots), "--latency", str(latency_s)]
    with photogate_process(args, env or {}, log):
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: healthy(f"{url}/v1/health"), 30, "the reference scanner")
        yield url
