"""/media/: the public blob container, read-only, cached for an hour; quarantine never."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from photogate.adapters.blob_names import check_blob_name
from photogate.adapters.filesystem_blobs import FilesystemBlobStore
from photogate.entrypoints.web.deps import services_in
from photogate.ports import BlobStore, Container
from photogate.ports.blobs import PUBLIC_CACHE_CONTROL

STATIC_CACHE: Final = "public, max-age=3600"


class CacheControl:
    """Wraps an ASGI app so that its successful responses carry a Cache-Control header."""

    def __init__(self, app: ASGIApp, value: str) -> None:
        self._app, self._value = app, value

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve, adding the header to 200, 206 and 304 responses."""

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 206, 304):
                MutableHeaders(scope=message)["Cache-Control"] = self._value
            await send(message)

        await self._app(scope, receive, send_cached)


class MediaFiles:
    """Serves the public container of a FilesystemBlobStore; anything else is a 404.

    The blob store is known only once the lifespan has run, so the folder is found per app.
    """

    def __init__(self) -> None:
        self._served: dict[Path, ASGIApp] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one public blob, after checking its name as the blob store would."""
        folder = public_folder(services_in(scope).ports.blobs)
        if folder is None or not _is_blob_name(scope["path"], scope.get("root_path", "")):
            raise HTTPException(status_code=404)
        await self._app_for(folder)(scope, receive, send)

    def _app_for(self, folder: Path) -> ASGIApp:
        if folder not in self._served:
            # Nothing is published yet on a fresh data dir; the store would create it anyway.
            folder.mkdir(parents=True, exist_ok=True)
            files = StaticFiles(directory=folder, check_dir=False)
            self._served[folder] = CacheControl(files, PUBLIC_CACHE_CONTROL)
        return self._served[folder]


def public_folder(blobs: BlobStore) -> Path | None:
    """The folder of the public container, when the blobs live on this machine's disk."""
    if not isinstance(blobs, FilesystemBlobStore):
        return None
    # Any valid name's parent is the container folder; path_of only ever joins PUBLIC here.
    return blobs.path_of(Container.PUBLIC, "probe").parent


def _is_blob_name(path: str, root_path: str) -> bool:
    """Whether the part after /media/ is a name the store could have written ("..", dots: no)."""
    name = path.removeprefix(root_path).removeprefix("/")
    try:
        check_blob_name(name)
    except ValueError:
        return False
    return True
