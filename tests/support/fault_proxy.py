"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1: answers a share of requests 503 itself."""

from __future__ import annotations

import asyncio
import random
from urllib.parse import urlsplit, urlunsplit

# What a busy Storage front end answers; the request never reached the service.
UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nx-ms-error-code: ServerBusy\r\n\r\n"
)


class FaultProxy:
    """Forwards each request to `upstream` on a fresh connection, except that a `fault_rate`
    share of them get a 503 without being forwarded, so a retry can never duplicate work.

    `injected` and `forwarded` count what it did. Only requests with a Content-Length body
    (what the Azure SDK sends) are understood.
    """

    def __init__(self, upstream: str, *, fault_rate: float, seed: int = 7) -> None:
        self.upstream = urlsplit(upstream)
        self.fault_rate = fault_rate
        self.injected = 0
        self.forwarded = 0
        self._random = random.Random(seed)
        self.url = ""  # set by start()
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self) -> str:
        """Listen on a free loopback port; returns the upstream URL with host and port replaced."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = urlunsplit(self.upstream._replace(netloc=f"127.0.0.1:{port}"))
        return self.url

    async def aclose(self) -> None:
        """Stop listening and drop open connections."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._clients):
                writer.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while (request := await _read_request(reader)) is not None:
                if self._random.random() < self.fault_rate:
                    self.injected += 1
                    writer.write(UNAVAILABLE)
                    await writer.drain()
                    continue
                self.forwarded += 1
                writer.write(await self._forward(request))
                await writer.drain()
                return  # the upstream answered "Connection: close", so the client hangs up too
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _forward(self, request: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(
            self.upstream.hostname, self.upstream.port or 80
        )
        try:
            writer.write(request)
            await writer.drain()
            return await reader.read()  # to EOF: the request asked the upstream to close
        finally:
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One request, rewritten to ask for "Connection: close"; None when the client hung up."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
    headers = [(line.split(":", 1)[0].strip().lower(), line) for line in lines]
    if any(name == "transfer-encoding" for name, _ in headers):
        raise NotImplementedError("chunked request bodies are not supported by this proxy")
    lengths = [line.split(":", 1)[1] for name, line in headers if name == "content-length"]
    body = await reader.readexactly(int(lengths[0]) if lengths else 0)
    kept = [line for name, line in headers if name != "connection"]
    rewritten = "\r\n".join([request_line, *kept, "Connection: close", "", ""])
    return rewritten.encode("latin-1") + body
