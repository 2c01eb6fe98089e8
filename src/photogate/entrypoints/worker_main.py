"""The worker process: bootstrap, consume until SIGTERM/SIGINT, then finish what is in hand."""

from __future__ import annotations

import asyncio
import logging
import signal

from photogate.bootstrap import bootstrap
from photogate.settings import Settings
from photogate.worker.runner import run_worker

log = logging.getLogger(__name__)


async def serve_worker(
    settings: Settings, *, scans: bool = True, notifications: bool = True
) -> None:
    """Run the worker until a stop signal arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    services = await bootstrap(settings)
    log.info("worker started (scans=%s, notifications=%s)", scans, notifications)
    try:
        await run_worker(services, stop, scans=scans, notifications=notifications)
    finally:
        await services.aclose()
        log.info("worker stopped")
