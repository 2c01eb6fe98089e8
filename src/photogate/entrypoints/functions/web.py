"""The storefront as the HTTP function's ASGI app, on the same Services as the other triggers."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from photogate.entrypoints.functions.shared import SharedServices
from photogate.entrypoints.web.app import create_app


class SharedWebApp:
    """create_app() on the process's shared services, built on the first lifespan or request.

    Handed the services, the web app's lifespan leaves them open: they outlive it, as the
    queue and timer triggers use them too.
    """

    def __init__(self, shared: SharedServices) -> None:
        self._shared = shared
        self._app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = await self._web_app()
        await app(scope, receive, send)

    async def _web_app(self) -> FastAPI:
        services = await self._shared.get()
        if self._app is None:  # checked after the await: one event loop, so no one slips in
            self._app = create_app(services.settings, services=services)
        return self._app
