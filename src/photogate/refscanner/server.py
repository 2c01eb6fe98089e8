"""Running the reference scanner under uvicorn: in the foreground, or in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from photogate.refscanner.app import create_app
from photogate.refscanner.config import RefScannerConfig


async def serve(
    config: RefScannerConfig, host: str = "127.0.0.1", port: int = 8081, *, log_level: str = "info"
) -> None:
    """Serve the reference scanner on host:port until the process is interrupted."""
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level))
    await server.serve()


class BackgroundRefScanner:
    """The reference scanner on a free loopback port, served from a thread (tests, benchmarks).

    Use as a context manager; `url` is its base URL. Leaving it stops the server at once.
    """

    def __init__(self, config: RefScannerConfig, *, start_timeout_s: float = 10.0) -> None:
        app = create_app(config)
        self._server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none")
        )
        # proto=TCP so asyncio turns Nagle off on accepted connections (it checks the proto);
        # with proto 0, every answer waited ~40 ms for the client's delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        # Binding here, before uvicorn starts, means no other process can take the port meanwhile.
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._start_timeout_s = start_timeout_s
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> BackgroundRefScanner:
        self._thread.start()
        deadline = time.monotonic() + self._start_timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._stop()
                raise RuntimeError(f"the reference scanner did not start at {self.url}")
            time.sleep(0.01)  # polling a flag set by another thread, with a deadline
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop()

    def _stop(self) -> None:
        # A stand-in for tests stops at once: scans still in flight are abandoned, not awaited.
        self._server.should_exit = self._server.force_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=self._start_timeout_s)
        self._socket.close()
