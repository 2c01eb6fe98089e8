"""Prompt pickup: with an idle queue, a new upload's scan must start within 250 ms (p99) of
its message being sent, without the worker hammering the database while idle.

    python -m benchmarks.prompt_pickup [--quick] [--json PATH]

A sender process puts single messages on the SQLite queue, spaced out at random so each lands
at another point of the consumer's idle wait; the consumer (photogate's, default settings)
records when each reached its handler. Afterwards it sits idle for two seconds and its looks
at the queue are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks._harness import run_and_report, verdict
from photogate.adapters.sqlite_queue import SqliteMessageQueue
from photogate.ports import QueueMessage
from photogate.settings import QueueSettings
from photogate.worker.consumer import QueueConsumer, Route

TARGET_P99_S = 0.25
QUEUE = "scans"
IDLE_S = 2.0  # measured idle time: not a stand-in for synchronisation


@dataclass(frozen=True)
class Pickup:
    """Each message's delay from send to handler, and the consumer's looks while idle."""

    delays: list[float]
    idle_receives: int

    def percentile(self, share: float) -> float:
        """The nearest-rank percentile of the delays (0.99: p99)."""
        ordered = sorted(self.delays)
        return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


class CountingQueue(SqliteMessageQueue):
    """The SQLite queue, counting receive calls."""

    receives = 0

    async def receive(
        self, queue: str, *, max_messages: int = 1, visibility_timeout: float = 30.0
    ) -> list[QueueMessage]:
        self.receives += 1
        return await super().receive(
            queue, max_messages=max_messages, visibility_timeout=visibility_timeout
        )


async def measure(path: Path, sends: int, settings: QueueSettings) -> Pickup:
    """Run a consumer on the queue at `path` while another process sends `sends` messages."""
    queue, delays, all_handled = CountingQueue(path), [], asyncio.Event()

    async def handle(body: str) -> object:
        delays.append(time.time() - json.loads(body)["sent"])
        if len(delays) == sends:
            all_handled.set()
        return None

    async def on_poison(body: str, reason: str) -> None:
        raise RuntimeError(f"a pickup message was given up: {reason}")

    stop = asyncio.Event()
    running = asyncio.create_task(
        QueueConsumer(queue, Route(QUEUE, handle, on_poison, 4), settings).run(stop)
    )
    sender = multiprocessing.get_context("spawn").Process(target=_send, args=(path, sends))
    sender.start()
    await asyncio.to_thread(sender.join, 120)
    async with asyncio.timeout(60):
        await all_handled.wait()
    before_idle = queue.receives
    await asyncio.sleep(IDLE_S)
    idle = queue.receives - before_idle
    stop.set()
    await running
    queue.close()
    if sender.exitcode != 0:
        raise RuntimeError(f"the sender process failed ({sender.exitcode})")
    return Pickup(delays, idle)


def _send(path: Path, count: int) -> None:
    asyncio.run(_send_spaced(path, count))


async def _send_spaced(path: Path, count: int) -> None:
    queue = SqliteMessageQueue(path)
    rng = random.Random(7)
    for _ in range(count):
        await asyncio.sleep(rng.uniform(0.02, 0.08))
        await queue.send(QUEUE, json.dumps({"sent": time.time()}))
    queue.close()


def run(sends: int, console: Console) -> dict[str, Any]:
    """Measure pickup with the default settings; the figures, and whether the target is met."""
    console.print(f"sending {sends} single messages into an idle consumer ...")
    with tempfile.TemporaryDirectory(prefix="photogate-pickup-") as root:
        pickup = asyncio.run(measure(Path(root) / "queue.sqlite3", sends, QueueSettings()))
    p50, p99 = pickup.percentile(0.5), pickup.percentile(0.99)
    return {
        "sends": sends,
        "p50_ms": round(p50 * 1e3, 1),
        "p99_ms": round(p99 * 1e3, 1),
        "idle_receives_per_s": round(pickup.idle_receives / IDLE_S, 1),
        "passed": p99 <= TARGET_P99_S,
    }


def show(result: dict[str, Any], console: Console) -> None:
    """Print the figures and the verdict."""
    console.print(
        f"pickup p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms "
        f"(target <= {TARGET_P99_S * 1e3:g} ms): {verdict(result['passed'])}"
    )
    console.print(f"idle consumer: {result['idle_receives_per_s']} looks at the queue per second")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run, print, save; exit 0 if the target is met."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.prompt_pickup")
    parser.add_argument("--quick", action="store_true", help="50 sends instead of 300")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sends = 50 if args.quick else 300
    return run_and_report(lambda console: run(sends, console), show, args.json)


if __name__ == "__main__":
    sys.exit(main())
