"""Helpers to run photogate's real processes in tests and wait for them without sleeping blind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

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


STOP_GRACE_S = 20.0
GONE_TIMEOUT_S = 10.0


@contextmanager
def process_group(
    command: list[str], env: Mapping[str, str], log: Path, *, grace_s: float = STOP_GRACE_S
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` with exactly `env` in a session (and process group) of its own, output
    appended to `log`. On exit, however the test ends, stop the whole group (`stop_group`).
    """
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield process
    finally:
        stop_group(process, grace_s)


def stop_group(process: subprocess.Popen[bytes], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM every process in `process`'s group, SIGKILL the group if any is left after
    `grace_s`, and fail if one still is: killing only the leader (`photogate up`) would orphan
    its scanner, worker and web children, which then hold their ports for good.
    """
    group = process.pid  # start_new_session made it the group's leader
    _signal_group(group, signal.SIGTERM)
    if not _group_ends(process, grace_s):
        _signal_group(group, signal.SIGKILL)
    if not _group_ends(process, GONE_TIMEOUT_S):
        raise AssertionError(f"process group {group} still has processes after SIGKILL")


def group_alive(group: int) -> bool:
    """Whether any process of process group `group` is still running. A zombie (exited, not yet
    reaped by init, which on some machines never comes) is not: it holds no port and no CPU.
    """
    return any(pgrp == group for pgrp in _running_groups().values())


def running(pid: int) -> bool:
    """Whether process `pid` is running (a zombie is not)."""
    return pid in _running_groups()


def _running_groups() -> dict[int, int]:
    """The process group of every running (not zombie) process, by pid, from /proc."""
    groups = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        if fields[0] not in ("Z", "X"):
            groups[int(stat.parent.name)] = int(fields[2])
    return groups


def _signal_group(group: int, signum: signal.Signals) -> None:
    with suppress(ProcessLookupError):  # the group has ended already
        os.killpg(group, signum)


def _group_ends(process: subprocess.Popen[bytes], timeout: float) -> bool:
    # The leader is ours to reap; its orphaned children are reaped by init, which can lag.
    deadline = time.monotonic() + timeout
    while process.poll() is None or group_alive(process.pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@contextmanager
def photogate_process(
    args: list[str], env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m photogate ARGS` with `env` added to ours, in its own process group; stop
    the group on exit (`stop_group`).
    """
    command = [sys.executable, "-m", "photogate", *args]
    with process_group(command, {**os.environ, **env}, log) as process:
        yield process


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


def photogate_status(env: Mapping[str, str]) -> dict[str, Any]:
    """`photogate status --json` run with exactly `env`, parsed."""
    done = subprocess.run(
        [sys.executable, "-m", "photogate", "status", "--json"],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed
