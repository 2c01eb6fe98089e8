"""The web app (and, if asked, the worker) served in-process from a background thread, for tests."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import uvicorn

from photogate.adapters.sql.catalog import open_sql_catalog
from photogate.adapters.sql.migrate import upgrade
from photogate.bootstrap import bootstrap
from photogate.domain.catalog import Product
from photogate.entrypoints.web.app import create_app
from photogate.ports import Catalog
from photogate.settings import Settings
from photogate.worker.runner import run_worker


def prepare(settings: Settings, products: Sequence[Product]) -> None:
    """Migrate a fresh catalog and add `products` to it."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.catalog_url())
    asyncio.run(_add_products(settings, products))


async def _add_products(settings: Settings, products: Sequence[Product]) -> None:
    catalog = await open_sql_catalog(settings.catalog_url())
    try:
        await catalog.upsert_products(products)
    finally:
        await catalog.aclose()


class BackgroundWebStack:
    """create_app(settings) under uvicorn on a free loopback port, in its own thread and loop.

    With `worker=True` the worker runs in the same loop on the same Services. A `catalog`
    given replaces the one the settings name (the caller closes it).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        worker: bool = False,
        start_timeout_s: float = 20.0,
        catalog: Catalog | None = None,
    ) -> None:
        self.settings, self._catalog = settings, catalog
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Bound before the thread starts, so the port is ours from the first moment.
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._worker, self._timeout = worker, start_timeout_s
        self._server: uvicorn.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> BackgroundWebStack:
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not (self._server and self._server.started):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._shutdown()
                raise RuntimeError(f"the web app did not start at {self.url}") from self._error
            time.sleep(0.01)  # polling a flag another thread sets, with a deadline
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._shutdown()
        if self._error is not None and exc is None:
            raise RuntimeError("the web app's thread failed") from self._error

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread.is_alive():
            self._thread.join(timeout=self._timeout)
        self._socket.close()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by __enter__ / __exit__ in the test's thread
            self._error = exc

    async def _main(self) -> None:
        services = await bootstrap(self.settings, catalog=self._catalog)
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            app = create_app(self.settings, services=services)
            config = uvicorn.Config(app, log_level="warning", access_log=False, ws="none")
            self._server = uvicorn.Server(config)
            jobs = [self._serve(self._server, self._stop)]
            if self._worker:
                jobs.append(run_worker(services, self._stop))
            await asyncio.gather(*jobs)
        finally:
            await services.aclose()

    async def _serve(self, server: uvicorn.Server, stop: asyncio.Event) -> None:
        try:
            await server.serve(sockets=[self._socket])
        finally:
            stop.set()


def footprint(settings: Settings) -> dict[str, object]:
    """Everything an upload could leave: files in quarantine and tmp, rows, queue messages.

    But the rate-limit events: every photo sent spends one of its address's, refused or not.
    """
    catalog_rows = _row_counts(settings.data_dir / "catalog.sqlite3")
    catalog_rows.pop("rate_events", None)
    return {
        "quarantine": _files(settings.blob_dir / "quarantine"),
        "tmp": _files(settings.data_dir / "tmp"),
        "catalog rows": catalog_rows,
        "queue rows": _row_counts(settings.queue_path),
    }


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _row_counts(database: Path) -> dict[str, int]:
    if not database.exists():
        return {}
    with sqlite3.connect(database) as db:
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        counts = {
            name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names
        }
    db.close()
    return counts


def multipart_body(
    parts: Sequence[tuple[str, bytes]],
    file: bytes | None = None,
    *,
    filename: bytes = b"photo.jpg",
    content_type: bytes = b"image/jpeg",
    boundary: bytes = b"photogate-test-boundary",
) -> tuple[bytes, str]:
    """A multipart/form-data body built byte by byte (any filename, duplicates, odd fields)."""
    chunks = [_text_part(boundary, name, value) for name, value in parts]
    if file is not None:
        disposition = b'form-data; name="file"; filename="' + filename + b'"'
        chunks.append(_part(boundary, disposition, file, content_type))
    body = b"".join(chunks) + b"--" + boundary + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary.decode()}"


def _text_part(boundary: bytes, name: str, value: bytes) -> bytes:
    return _part(boundary, f'form-data; name="{name}"'.encode(), value, None)


def _part(boundary: bytes, disposition: bytes, data: bytes, content_type: bytes | None) -> bytes:
    head = b"--" + boundary + b"\r\nContent-Disposition: " + disposition + b"\r\n"
    if content_type is not None:
        head += b"Content-Type: " + content_type + b"\r\n"
    return head + b"\r\n" + data + b"\r\n"
