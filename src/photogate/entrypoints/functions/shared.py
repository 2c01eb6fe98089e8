"""One Services per Functions worker process, built on the first invocation that needs it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from photogate.bootstrap import Services, bootstrap
from photogate.settings import Settings, load_settings


class SharedServices:
    """Bootstraps photogate once, lazily, for every function of one worker process.

    Settings are read on first use, not at import: the host indexes the functions before any
    invocation, and a bad setting should fail an invocation with its message, not the indexing.
    All invocations share the worker's event loop, so an asyncio.Lock makes the build happen once.
    """

    def __init__(self, load: Callable[[], Settings] = load_settings) -> None:
        self._load = load
        self._services: Services | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Services:
        """The services, bootstrapped by the first caller; later callers get the same ones."""
        if self._services is None:
            async with self._lock:
                if self._services is None:
                    self._services = await bootstrap(self._load())
        return self._services

    async def aclose(self) -> None:
        """Close the services if they were built; the next get() builds them again."""
        async with self._lock:
            services, self._services = self._services, None
        if services is not None:
            await services.aclose()
