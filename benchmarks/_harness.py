"""Shared harness of the intake and memory benchmarks: data dirs, child processes, RSS, figures."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

REPO_ROOT = Path(__file__).resolve().parents[1]
SKU = "TT-TENT-2P"  # a product of the demo catalog
STOP_TIMEOUT_S = 20.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(data_dir: Path) -> dict[str, str]:
    """The embedded default backend under `data_dir`, with the per-IP/per-email limits off."""
    return {
        "PHOTOGATE_DATA_DIR": str(data_dir),
        "PHOTOGATE_UPLOADS__PER_IP_PER_HOUR": "0",  # 0 turns a limit off
        "PHOTOGATE_UPLOADS__PER_EMAIL_PER_PRODUCT_PER_DAY": "0",
    }


def prepare_data_dir(data_dir: Path, log: Path) -> Path:
    """A migrated data dir with the demo catalog (its products) at `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for command in (["db", "upgrade"], ["demo", "seed"]):
        run_once([*_python("photogate"), *command], base_env(data_dir), log)
    return data_dir


def run_once(argv: list[str], env: Mapping[str, str], log: Path) -> None:
    """Run `argv` to completion; RuntimeError pointing at `log` if it fails."""
    with log.open("ab") as out:
        code = subprocess.call(argv, env=child_env(env), stdout=out, stderr=subprocess.STDOUT)
    if code != 0:
        raise RuntimeError(f"{' '.join(argv)} failed; see {log}")


def child_env(env: Mapping[str, str]) -> dict[str, str]:
    """The current environment plus `env`, with the repository importable (`benchmarks.*`)."""
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, **env, "PYTHONPATH": path}


def _python(module: str) -> list[str]:
    return [sys.executable, "-m", module]


@contextmanager
def child(
    module: str, args: list[str], env: Mapping[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m MODULE ARGS` with `env` added; SIGTERM it (then kill) on exit."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*_python(module), *args], env=child_env(env), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process and wait for it; kill it if it does not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float:
    """The CPU time (user + system, all threads) the process `pid` has used so far."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(after_name[11]) + int(after_name[12])  # utime and stime, fields 14 and 15
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_for(ready: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Poll `ready` until true; RuntimeError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout_s:g} s")
        time.sleep(0.05)  # polling another process, with a deadline


def healthy(url: str) -> bool:
    """Whether `url` answers 200 now."""
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def rss_kib(pid: int) -> int:
    """The resident set size of process `pid` in KiB, from /proc/PID/status (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"process {pid} reports no VmRSS (has it exited?)")


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` (0..1) percentile of `values`, nearest rank; NaN when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def verdict(ok: bool) -> str:
    """PASS or FAIL, as the figures print it."""
    return "PASS" if ok else "FAIL"


def write_json(path: Path | None, figures: Mapping[str, Any]) -> None:
    """Write `figures` as JSON to `path` (its folder created), if a path was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


def run_and_report(
    run: Callable[[Console], dict[str, Any]],
    show: Callable[[dict[str, Any], Console], None],
    json_path: Path | None,
) -> int:
    """Run a benchmark with a console for its progress, print and save its figures, and return
    the exit status: 0 if its target was met, 1 if not.
    """
    console = Console()
    result = run(console)
    show(result, console)
    write_json(json_path, result)
    return 0 if result["passed"] else 1
