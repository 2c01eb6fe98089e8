"""Runs several photogate processes together (for `photogate up`) and stops them cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import httpx


@dataclass
class Child:
    """One child process: its name, the CLI arguments after `photogate`, and its handle."""

    name: str
    args: Sequence[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


class Supervisor:
    """Starts children, waits until one exits or a stop signal arrives, then stops them all."""

    def __init__(self, children: Sequence[Child], env: Mapping[str, str]) -> None:
        self._children = list(children)
        self._env = {**os.environ, **env}
        self._stop = threading.Event()

    def start(self) -> None:
        """Start every child in order."""
        for child in self._children:
            command = [sys.executable, "-m", "photogate", *child.args]
            child.process = subprocess.Popen(command, env=self._env)  # noqa: S603 - our own CLI

    def install_signal_handlers(self) -> None:
        """Ctrl-C and SIGTERM ask for a clean stop."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self._stop.set())

    def wait(self) -> int:
        """Block until a stop is asked for (exit 0) or a child dies (exit 1)."""
        while not self._stop.wait(0.2):
            dead = [c for c in self._children if c.process and c.process.poll() is not None]
            if dead:
                print(f"photogate: {dead[0].name} exited unexpectedly; stopping", file=sys.stderr)
                return 1
        return 0

    def stop(self, grace_s: float = 15.0) -> None:
        """SIGTERM every child (last started first), then SIGKILL what is left after the grace."""
        running = [c.process for c in reversed(self._children) if c.process]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_healthy(url: str, timeout_s: float) -> bool:
    """Poll `url` until it answers 200 or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False
