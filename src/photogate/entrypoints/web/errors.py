"""Exception handlers: JSON {"error", "detail"} under /api, friendly pages elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from photogate.entrypoints.web.security import security_headers
from photogate.entrypoints.web.templating import templates
from photogate.errors import InputError, RateLimited, TransientError

log = logging.getLogger(__name__)

HTTP_CODES: Final = {404: "not_found", 405: "method_not_allowed"}
RETRY_AFTER_S: Final = 30
PAGE_PREFIXES: Final = ("/products/", "/submissions/", "/console", "/licence", "/withdraw/")
_LOCATIONS: Final = frozenset({"query", "path", "body", "header"})


def install_error_handlers(app: FastAPI) -> None:
    """Make every error the API answers look the same, and pages show a page."""
    # Starlette types a handler as taking any Exception; each of ours takes only its own kind.
    app.add_exception_handler(InputError, _input_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(TransientError, _unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(ClientDisconnect, _gone)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal)


def error_response(request: Request, status: int, code: str, detail: str) -> Response:
    """The error in the shape the path's audience reads: JSON, an HTML page or plain text."""
    path = request.url.path
    if path == "/api" or path.startswith("/api/"):
        return JSONResponse({"error": code, "detail": detail}, status_code=status)
    if path == "/" or path.startswith(PAGE_PREFIXES):
        context = {"status": status, "detail": detail}
        return templates().TemplateResponse(request, "error.html", context, status_code=status)
    return PlainTextResponse(detail, status_code=status)


async def _input_error(request: Request, exc: InputError) -> Response:
    response = error_response(request, exc.status, exc.code, exc.detail)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(round(exc.retry_after))
    return response


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    problems = [_describe(error) for error in exc.errors()[:5]]
    return error_response(request, 422, "invalid_request", "; ".join(problems))


def _describe(error: Mapping[str, Any]) -> str:
    where = [str(part) for part in error.get("loc", ()) if part not in _LOCATIONS]
    return f"{'.'.join(where) or 'request'}: {error.get('msg', 'invalid')}"


async def _http_error(request: Request, exc: HTTPException) -> Response:
    code = HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    response = error_response(request, exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def _unavailable(request: Request, exc: TransientError) -> Response:
    log.warning("answering 503: %s", exc)
    detail = "The shop is busy right now. Please try again in a minute."
    response = error_response(request, 503, "unavailable", detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


async def _internal(request: Request, exc: Exception) -> Response:
    # Answered outside the middleware stack, so the security headers are added here.
    detail = "Something went wrong on our side. Please try again."
    response = error_response(request, 500, "internal_error", detail)
    response.headers.update(security_headers(request.url.path))
    return response


async def _gone(request: Request, exc: ClientDisconnect) -> Response:
    # Nobody is listening any more; the response only satisfies the framework.
    return PlainTextResponse("client disconnected", status_code=400)
