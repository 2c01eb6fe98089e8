"""The limiter's state over time: appended to a file as JSON lines (charts, benchmarks), and
summed up in the log once a minute while scans are under way (operators).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

from photogate.scanning.limiter import AdaptiveLimiter, LimiterSnapshot

log = logging.getLogger(__name__)


class Snapshots(Protocol):
    """What the log summary needs of a limiter."""

    def snapshot(self) -> LimiterSnapshot: ...


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


async def log_limiter(limiter: Snapshots, stop: asyncio.Event, *, every_s: float) -> None:
    """Log what the scanner calls did every `every_s` until `stop` is set; an idle worker (no
    call started, none in flight or waiting) logs nothing.
    """
    before, since = limiter.snapshot(), time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
        after, now = limiter.snapshot(), time.monotonic()
        line = summary_line(before, after, now - since)
        if line is not None:
            log.info("%s", line)
        before, since = after, now


def summary_line(before: LimiterSnapshot, after: LimiterSnapshot, seconds: float) -> str | None:
    """What the scanner calls did between two snapshots, in a sentence; None if nothing did."""
    started = after.started - before.started
    if started == 0 and after.in_flight == 0 and after.waiting == 0:
        return None
    throttled = after.throttled - before.throttled
    share = throttled / started if started else 0.0
    found = "" if after.ceiling is None else f", capacity found {after.ceiling}"
    return (
        f"scanner calls in the last {seconds:.0f} s: {started} started, "
        f"{after.succeeded - before.succeeded} succeeded, {throttled} throttled ({share:.1%}), "
        f"{after.failed - before.failed} failed; limit {after.limit}{found}, "
        f"{after.in_flight} in flight, {after.waiting} waiting{_pauses(after)}"
    )


def _pauses(now: LimiterSnapshot) -> str:
    """The pauses under way, each by its cause: the scanner's Retry-After, or the circuit
    breaker after calls kept failing (the limiter waits out the longer).
    """
    pauses = [
        f", paused {seconds:.1f} s by {cause}"
        for seconds, cause in (
            (now.retry_after_pause_s, "Retry-After"),
            (now.breaker_pause_s, "the circuit breaker"),
        )
        if seconds > 0
    ]
    return "".join(pauses)
