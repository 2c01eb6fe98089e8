"""The limiter's state over time, appended to a file as JSON lines (charts, benchmarks, ops)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

from photogate.scanning.limiter import AdaptiveLimiter


def trace_line(limiter: AdaptiveLimiter, *, now: float | None = None) -> str:
    """One JSON line: wall-clock `t`, this process's `pid` and the limiter's snapshot."""
    record = {"t": time.time() if now is None else now, "pid": os.getpid()}
    return json.dumps({**record, **asdict(limiter.snapshot())}) + "\n"


async def trace_limiter(
    limiter: AdaptiveLimiter, path: Path, stop: asyncio.Event, *, every_s: float
) -> None:
    """Append a trace line to `path` every `every_s` until `stop` is set, and once at the end."""
    await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
    while not stop.is_set():
        await asyncio.to_thread(_append, path, trace_line(limiter))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
    await asyncio.to_thread(_append, path, trace_line(limiter))


def _append(path: Path, line: str) -> None:
    # Opened per line, so several worker processes can share one file (appends of one short
    # line each do not interleave) and a rotated file is picked up.
    with path.open("a", encoding="utf-8") as out:
        out.write(line)
