"""photogate's processes for these benchmarks: the web app, the reference scanner, the worker."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks._harness import base_env, child, free_port, healthy, prepare_data_dir, wait_for


@dataclass(frozen=True)
class Workspace:
    """A temporary folder: a migrated data dir with the demo catalog, and the processes' logs."""

    root: Path

    @property
    def data_dir(self) -> Path:
        """The data dir the processes share (catalog, queue, blobs)."""
        return self.root / "data"

    def log(self, name: str) -> Path:
        """Where the process `name` writes its output."""
        return self.root / f"{name}.log"


@contextmanager
def workspace(keep: Path | None = None) -> Iterator[Workspace]:
    """A fresh workspace, removed on exit (under `keep` and left there, if given)."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="photogate-bench-", dir=keep) as root:
        space = Workspace(Path(root))
        shutil.copytree(_template(), space.data_dir)
        yield space


_templates: list[Path] = []


def _template() -> Path:
    """A migrated data dir with the demo catalog, prepared once per process and copied from;
    removed when the process exits.
    """
    if not _templates:
        root = Path(tempfile.mkdtemp(prefix="photogate-bench-template-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _templates.append(prepare_data_dir(root / "data", root / "prepare.log"))
    return _templates[0]


@dataclass(frozen=True)
class Served:
    """A server process answering at `url`."""

    url: str
    pid: int


@contextmanager
def web(space: Workspace, extra_env: dict[str, str] | None = None) -> Iterator[Served]:
    """`photogate web` on a loopback port (no worker); yields it once it is healthy."""
    port = free_port()
    env = {**base_env(space.data_dir), **(extra_env or {})}
    with child("photogate", ["web", "--port", str(port)], env, space.log("web")) as process:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: healthy(f"{url}/healthz"), "the web app answering /healthz")
        yield Served(url, process.pid)


@contextmanager
def scanner(space: Workspace, slots: int, latency_s: float) -> Iterator[str]:
    """The reference scanner on a loopback port; yields its base URL once healthy."""
    port = free_port()
    args = ["--port", str(port), "--slots", str(slots), "--latency", str(latency_s)]
    with child("photogate.refscanner", args, {}, space.log("scanner")):
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: healthy(f"{url}/v1/health"), "the scanner answering /v1/health")
        yield url


def set_slots(scanner_url: str, slots: int) -> None:
    """Change the reference scanner's capacity (0: it answers every scan 429, busy)."""
    response = httpx.post(f"{scanner_url}/v1/admin/capacity", json={"slots": slots}, timeout=5)
    response.raise_for_status()


@contextmanager
def worker(space: Workspace, scanner_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """`photogate worker` against `scanner_url`; yields the process once it has started."""
    env = {**base_env(space.data_dir), "PHOTOGATE_SCANNER__URL": scanner_url}
    log = space.log("worker")
    with child("photogate", ["worker"], env, log) as process:
        wait_for(lambda: log.exists() and "worker started" in log.read_text(), "worker start")
        yield process
