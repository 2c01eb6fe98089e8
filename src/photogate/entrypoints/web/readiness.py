"""Readiness: whether this web process can take uploads now, i.e. reach its catalog and queue.

/healthz says the process serves requests (liveness: restart it if not). /readyz says its
dependencies answer (readiness: send it no traffic if not), so a load balancer stops routing
uploads to an instance that would answer them 503 while its database is down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from photogate.messages import SCAN_QUEUE
from photogate.ports import Ports

log = logging.getLogger(__name__)

# Short enough that a probe (typically a 1-5 s timeout) gets an answer, not a timeout of its own.
READY_TIMEOUT_S: Final = 2.0

Check = Callable[[], Awaitable[object]]


async def unreachable(ports: Ports, *, timeout_s: float = READY_TIMEOUT_S) -> list[str]:
    """The names of the dependencies that did not answer within `timeout_s`, checked at once."""
    checks: dict[str, Check] = {
        "catalog": ports.catalog.ping,
        "queue": lambda: ports.queue.count(SCAN_QUEUE),
    }
    answers = await asyncio.gather(*(_answers(name, c, timeout_s) for name, c in checks.items()))
    return [name for name, answered in zip(checks, answers, strict=True) if not answered]


async def _answers(name: str, check: Check, timeout_s: float) -> bool:
    try:
        async with asyncio.timeout(timeout_s):
            await check()
    except Exception as exc:  # whatever the failure, the dependency is not there for uploads
        # A probe asks every few seconds: the reason at DEBUG, the answer says which failed.
        log.debug("readiness: %s did not answer: %s", name, exc, exc_info=True)
        return False
    return True
