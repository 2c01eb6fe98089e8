"""The reference scanner as an ASGI app: the contract's two endpoints, plus stats and admin."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from photogate.refscanner.admin import parse_capacity_change
from photogate.refscanner.checks import check_media_type, checked_request_id, read_body
from photogate.refscanner.config import RefScannerConfig
from photogate.refscanner.connection import (
    remember_transport,
    reset_connection,
    wait_for_disconnect,
)
from photogate.refscanner.fault_admin import parse_fault_change
from photogate.refscanner.faults import ERRORS, FaultKind
from photogate.refscanner.refusal import Refusal
from photogate.refscanner.service import RefScanner

KEY_HEADER = "Ocp-Apim-Subscription-Key"
_REJECTIONS = frozenset({400, 413, 415})


def create_app(config: RefScannerConfig) -> Starlette:
    """An ASGI app serving the scanner contract (/v1/scan, /v1/health), /v1/stats and the admin
    endpoints /v1/admin/capacity and /v1/admin/faults (POST changes, GET reads the faults).

    `app.state.refscanner` is the RefScanner behind it. Raises ConfigError when the nudity
    check is on but NudeNet is not installed.
    """
    endpoints = _Endpoints(RefScanner(config))
    routes = [
        Route("/v1/scan", endpoints.scan, methods=["POST"]),
        Route("/v1/health", endpoints.health, methods=["GET"]),
        Route("/v1/stats", endpoints.stats, methods=["GET"]),
        Route("/v1/admin/capacity", endpoints.change_capacity, methods=["POST"]),
        Route("/v1/admin/faults", endpoints.faults, methods=["GET", "POST"]),
    ]
    app = _RefScannerApp(routes=routes, exception_handlers={Refusal: endpoints.refused})
    app.state.refscanner = endpoints.scanner
    return app


class _RefScannerApp(Starlette):
    """Starlette, keeping each connection's transport in the scope so a fault can reset it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        remember_transport(scope, receive, send)
        await super().__call__(scope, receive, send)


class _Endpoints:
    """Translates HTTP requests into calls on one RefScanner."""

    def __init__(self, scanner: RefScanner) -> None:
        self.scanner = scanner

    async def scan(self, request: Request) -> Response:
        # A redeploying service answers 503 before it looks at anything else.
        self.scanner.capacity.check_available()
        self.scanner.check_key(request.headers.get(KEY_HEADER))
        request_id = checked_request_id(request.headers.get("x-request-id"))
        check_media_type(request.headers.get("content-type"))
        image = await read_body(request)
        fault = self.scanner.faults.draw(image)
        if fault in ERRORS:
            raise _injected_error(fault, self.scanner.capacity.retry_after_s)
        response = JSONResponse(await self.scanner.scan(request_id, image))
        return await self._after_scan(request, fault) or response

    async def _after_scan(self, request: Request, fault: FaultKind | None) -> Response | None:
        """Apply a fault that strikes once the result is stored: its answer is lost or late."""
        config = self.scanner.faults.config
        if fault == "reset" and await reset_connection(request):
            return Response(status_code=500)  # never sent: the connection is gone
        if fault in ("hang", "slow"):
            # Waiting ends early when the client gives up, so no hang outlives its connection.
            await wait_for_disconnect(request, config.hang_s if fault == "hang" else config.slow_s)
        return None

    async def health(self, request: Request) -> Response:
        capacity = self.scanner.capacity
        if capacity.unavailable:
            headers = {"Retry-After": str(capacity.retry_after_s)}
            return JSONResponse({"status": "unavailable"}, status_code=503, headers=headers)
        return JSONResponse({"status": "ok", "model_version": self.scanner.config.model_version})

    async def stats(self, request: Request) -> Response:
        return JSONResponse(self.scanner.capacity.describe())

    async def change_capacity(self, request: Request) -> Response:
        self.scanner.check_key(request.headers.get(KEY_HEADER))
        change = parse_capacity_change(await _json(request))
        self.scanner.capacity.change(
            slots=change.slots, latency_s=change.latency_s, unavailable=change.unavailable
        )
        return JSONResponse(self.scanner.capacity.describe())

    async def faults(self, request: Request) -> Response:
        faults = self.scanner.faults
        if request.method == "POST":
            self.scanner.check_key(request.headers.get(KEY_HEADER))
            faults.change(parse_fault_change(await _json(request), faults.config))
        return JSONResponse(faults.describe())

    async def refused(self, request: Request, exc: Exception) -> Response:
        if not isinstance(exc, Refusal):  # only registered for Refusal
            raise exc
        if exc.status in _REJECTIONS and request.url.path == "/v1/scan":
            self.scanner.capacity.stats.rejected += 1
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers())


def _injected_error(fault: FaultKind, retry_after_s: int) -> Refusal:
    if fault == "error_503":
        detail = "injected fault: unavailable"
        return Refusal(503, "unavailable", detail, retry_after=retry_after_s)
    return Refusal(500, "internal_error", "injected fault: internal error")


async def _json(request: Request) -> object:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise Refusal(400, "bad_admin_request", "the body must be JSON") from None
