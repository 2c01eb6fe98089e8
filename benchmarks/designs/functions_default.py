"""Design (b): photogate's scan use case behind Azure Functions' default queue-trigger semantics.

One process is one Functions instance: it fetches batches of 16 messages and fetches the next
batch once 8 or fewer are left in hand (24 handlers at most), with no limiter in front of the
scanner. A handler that raises (a 429 included) leaves its message visible again at once
(visibilityTimeout 0); the 5th failed dequeue moves it to the poison queue, and then the
submission is failed as photogate's own poison handler does. An empty queue is polled with an
exponential backoff from 0.1 s up to 2 s (photogate's host.json maxPollingInterval; the Functions
default of 1 min would only slow this design down).

Run as `python -m benchmarks.designs.functions_default`, configured by PHOTOGATE_* variables.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import signal

from photogate.adapters.http_scanner import HttpScanner
from photogate.bootstrap import Services, bootstrap
from photogate.domain.submission import SCANNABLE, Status
from photogate.messages import SCAN_QUEUE, field_of, poison_queue
from photogate.ports import Ports, QueueMessage
from photogate.scanning.scan_submission import scan_submission
from photogate.settings import load_settings
from photogate.worker.envelope import open_envelope

log = logging.getLogger(__name__)

BATCH_SIZE = 16
NEW_BATCH_THRESHOLD = 8
MAX_DEQUEUE_COUNT = 5
# While a handler runs, the Functions host keeps its message invisible (renewing as needed).
HANDLING_VISIBILITY_S = 600.0
MIN_POLL_S, MAX_POLL_S = 0.1, 2.0


class FunctionsHost:
    """One instance's queue trigger for the scan queue, calling scan_submission per message."""

    def __init__(self, services: Services, ports: Ports) -> None:
        self._services = services
        self._ports = ports
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll and dispatch until `stop` is set, then finish the handlers running."""
        poll = MIN_POLL_S
        while not stop.is_set():
            if len(self._tasks) > NEW_BATCH_THRESHOLD:
                await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
            elif await self._fetch_batch():
                poll = MIN_POLL_S
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=poll)
                poll = min(poll * 2, MAX_POLL_S)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _fetch_batch(self) -> int:
        queue = self._ports.queue
        messages = await queue.receive(
            SCAN_QUEUE, max_messages=BATCH_SIZE, visibility_timeout=HANDLING_VISIBILITY_S
        )
        for message in messages:
            task = asyncio.create_task(self._invoke(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(messages)

    async def _invoke(self, message: QueueMessage) -> None:
        body = open_envelope(message.body).body
        try:
            await self._handle(body)
        except Exception as exc:
            await self._failed(message, body, exc)
        else:
            await self._ports.queue.delete(SCAN_QUEUE, message)

    async def _handle(self, body: str) -> None:
        submission_id = field_of(body, "submission_id")
        await scan_submission(submission_id, ports=self._ports, policy=self._services.scan_policy)

    async def _failed(self, message: QueueMessage, body: str, exc: Exception) -> None:
        queue = self._ports.queue
        if message.dequeue_count < MAX_DEQUEUE_COUNT:
            await queue.update_visibility(SCAN_QUEUE, message, 0.0)
            return
        reason = f"failed {message.dequeue_count} times; last: {exc}"
        record = json.dumps({"body": body, "error": reason, "attempts": message.dequeue_count})
        await queue.send(poison_queue(SCAN_QUEUE), record)
        await self._ports.catalog.transition(
            field_of(body, "submission_id"),
            allowed_from=SCANNABLE,
            to=Status.FAILED,
            actor="worker",
            reason=reason,
        )
        await queue.delete(SCAN_QUEUE, message)


async def serve() -> None:
    """Run one instance until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    services = await bootstrap(load_settings())
    # The adaptive limiter is photogate's; a Functions app calls the scanner directly.
    scanner = HttpScanner(services.settings.scanner)
    print("functions host ready", flush=True)
    try:
        await FunctionsHost(services, dataclasses.replace(services.ports, scanner=scanner)).run(
            stop
        )
    finally:
        await scanner.aclose()
        await services.aclose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve())
