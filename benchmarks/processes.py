"""The benchmark's child processes: start them with an environment, wait for health, stop them."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

STOP_TIMEOUT_S = 20.0
# Children import `benchmarks.*` whatever the current directory is.
REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def child(module: str, args: list[str], env: Mapping[str, str], log: Path) -> Iterator[None]:
    """Run `python -m MODULE ARGS` with `env` added; SIGTERM it (then kill) on exit."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=_child_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_once(module: str, args: list[str], env: Mapping[str, str], log: Path) -> None:
    """Run `python -m MODULE ARGS` to completion; RuntimeError (pointing at `log`) if it fails."""
    with log.open("ab") as out:
        code = subprocess.call(
            [sys.executable, "-m", module, *args],
            env=_child_env(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if code != 0:
        raise RuntimeError(f"python -m {module} {' '.join(args)} failed; see {log}")


def _child_env(env: Mapping[str, str]) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, **env, "PYTHONPATH": path}


def wait_healthy(urls: list[str], timeout_s: float = 60.0) -> None:
    """Wait until every URL answers 200; RuntimeError naming the first that does not."""
    deadline = time.monotonic() + timeout_s
    for url in urls:
        while not _healthy(url):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not become healthy within {timeout_s:g} s")
            time.sleep(0.05)  # polling another process, with a deadline


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def fresh_dir(path: Path) -> Path:
    """`path` as a new, empty directory (whatever was there is removed)."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def copy_data_dir(template: Path, target: Path) -> Path:
    """A copy of a migrated, seeded data dir at `target`, which must not exist."""
    shutil.copytree(template, target)
    return target
