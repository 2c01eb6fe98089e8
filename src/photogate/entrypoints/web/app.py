"""create_app: the web entry point, with its lifespan, routes, static files and media."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from photogate.bootstrap import Services, bootstrap
from photogate.entrypoints.web import api, direct_upload, pages, privacy, upload, upload_form
from photogate.entrypoints.web.body_timeout import BodyIdleTimeout
from photogate.entrypoints.web.console import install_console
from photogate.entrypoints.web.errors import install_error_handlers
from photogate.entrypoints.web.media import STATIC_CACHE, CacheControl, MediaFiles
from photogate.entrypoints.web.multipart_stream import sweep_stale_uploads
from photogate.entrypoints.web.security import SecurityHeaders
from photogate.settings import Settings

log = logging.getLogger(__name__)

STATIC_DIR: Final = Path(__file__).parent / "static"
DESCRIPTION: Final = (
    "Customer photos for Tailwind Traders' product pages. Upload a photo with "
    "`POST /api/products/{sku}/photos`, then follow the `Location` header to see it checked "
    "and published. Approved photos are listed under `/api/products/{sku}/photos`."
)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """The storefront and API; without `services`, the lifespan bootstraps (and closes) them."""
    app = FastAPI(
        title="Tailwind Traders customer photos",
        version="1",
        description=DESCRIPTION,
        lifespan=_lifespan(settings, services),
        redoc_url=None,
    )
    app.add_middleware(BodyIdleTimeout, idle_s=settings.web.body_idle_timeout_s)
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    routers = (upload.router, direct_upload.router, api.router, api.health, pages.router)
    for router in (*routers, upload_form.router, privacy.router):
        app.include_router(router)
    install_console(app)
    static = StaticFiles(directory=STATIC_DIR)
    app.mount("/static", CacheControl(static, STATIC_CACHE), name="static")
    app.mount("/media", MediaFiles(), name="media")
    return app


def _lifespan(settings: Settings, given: Services | None) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = given or await bootstrap(settings)
        app.state.services = services
        await asyncio.to_thread(_sweep, services.settings.data_dir / "tmp")
        try:
            yield
        finally:
            # Services handed in belong to the caller, who closes them.
            if given is None:
                await services.aclose()

    return lifespan


def _sweep(tmp_dir: Path) -> None:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    if removed := sweep_stale_uploads(tmp_dir):
        log.info("removed %d stale upload files from %s", removed, tmp_dir)
