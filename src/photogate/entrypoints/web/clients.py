"""Who is asking: the client's IP address, seen through a known number of trusted proxies."""

from __future__ import annotations

from starlette.requests import Request


def client_address(request: Request, trusted_hops: int) -> str:
    """The client's address: the peer's, or the one the outermost of `trusted_hops` proxies saw.

    Each proxy appends the address it was reached from to X-Forwarded-For; anything before the
    trusted proxies' entries was written by the client and may be forged, so it is skipped.
    """
    peer = request.client.host if request.client else "unknown"
    if trusted_hops == 0:
        return peer
    chain = ",".join(request.headers.getlist("x-forwarded-for")).split(",")
    forwarded = [entry.strip() for entry in chain if entry.strip()]
    if not forwarded:
        return peer
    return _without_port(forwarded[-min(trusted_hops, len(forwarded))])


def _without_port(address: str) -> str:
    # App Service writes "203.0.113.7:52311"; IPv6 with a port comes as "[2001:db8::1]:52311".
    if address.startswith("["):
        return address[1:].partition("]")[0]
    if address.count(":") == 1:
        return address.partition(":")[0]
    return address
