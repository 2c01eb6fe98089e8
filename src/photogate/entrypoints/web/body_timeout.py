"""An idle timeout on request bodies: a client that stops sending mid-body gets 408, not forever.

uvicorn has no read timeout, so a client that sends headers and a few bytes of body holds its
connection (one of PHOTOGATE_WEB__MAX_CONNECTIONS) for as long as it likes. Each wait for the
next body chunk is bounded instead; the timeout is raised from `receive` as an InputError, so the
code reading the body cleans up as for any failure (an upload removes its temp file) and the
client is answered 408 in the app's error shape, and the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Final

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from photogate.entrypoints.web.errors import error_response
from photogate.errors import InputError

TIMED_OUT: Final = "request_timeout"


class BodyStalled(InputError):
    """The request body stopped arriving: the client may send the whole request again."""

    status = 408

    def __init__(self, idle_s: float) -> None:
        detail = f"The request stopped arriving (nothing for {idle_s:g} s). Please send it again."
        super().__init__(TIMED_OUT, detail)


class BodyIdleTimeout:
    """ASGI middleware: each body chunk must arrive within `idle_s` of asking for it."""

    def __init__(self, app: ASGIApp, *, idle_s: float) -> None:
        self._app = app
        self._idle_s = idle_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with a `receive` that times out while the body is arriving."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        exchange = _Exchange(scope, receive, send, self._idle_s)
        await self._app(scope, exchange.receive, exchange.send)


class _Exchange:
    """One request's `receive` and `send`: receive is bounded until the body is complete (then
    it waits as it likes: the app may listen for a disconnect while it streams its answer).
    """

    def __init__(self, scope: Scope, receive: Receive, send: Send, idle_s: float) -> None:
        self._scope, self._receive, self._send = scope, receive, send
        self._idle_s = idle_s
        self._complete = self._stalled = self._replaced = False

    async def receive(self) -> Message:
        """The next message; BodyStalled if a body chunk took longer than the idle timeout."""
        if self._complete:
            return await self._receive()
        try:
            async with asyncio.timeout(self._idle_s):
                message = await self._receive()
        except TimeoutError:
            self._stalled = True
            raise BodyStalled(self._idle_s) from None
        self._complete = message["type"] != "http.request" or not message.get("more_body")
        return message

    async def send(self, message: Message) -> None:
        """Pass the answer on, unless the body stalled before it started: then answer 408.

        Whatever the app made of the stall (its 408, or a framework's 400 for a body it could
        not parse) the client is told the same, and the connection is closed: the rest of the
        body, if it ever came, would be read as the next request.
        """
        if message["type"] == "http.response.start" and self._stalled:
            self._replaced = True
            await self._answer_stalled()
        elif not self._replaced:
            await self._send(message)

    async def _answer_stalled(self) -> None:
        detail = BodyStalled(self._idle_s).detail
        response = error_response(Request(self._scope), 408, TIMED_OUT, detail)
        response.headers["Connection"] = "close"
        await response(self._scope, self._receive, self._send)
