"""Dropping a client's connection with a TCP RST, as a crashed service or a load balancer does."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

# Where the app keeps the connection's asyncio transport in the ASGI scope.
TRANSPORT_KEY = "photogate.refscanner.transport"
_DISCONNECT_WAIT_S = 5.0


def remember_transport(scope: Scope, receive: Receive, send: Send) -> None:
    """Keep the connection's transport in `scope`, when the server lets us find it.

    ASGI has no way to reset a connection; uvicorn's `send` is a method of an object that
    holds the transport, so the outermost app can take it from there.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if isinstance(transport, asyncio.Transport):
        scope[TRANSPORT_KEY] = transport


async def reset_connection(request: Request) -> bool:
    """Abort the request's connection with an RST; False if its transport is unknown.

    It returns once the server has noticed, so nothing is written to the dead connection.
    """
    transport: Any = request.scope.get(TRANSPORT_KEY)
    if transport is None:
        return False
    sock = transport.get_extra_info("socket")
    if sock is not None:
        # Linger on with a zero timeout: close() sends an RST instead of a FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    await wait_for_disconnect(request, _DISCONNECT_WAIT_S)
    return True


async def wait_for_disconnect(request: Request, seconds: float) -> None:
    """Return when the client has hung up, or after `seconds`; call it once the body is read."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(_disconnected(request), seconds)


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass
