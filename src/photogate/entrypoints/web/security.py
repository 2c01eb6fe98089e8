"""Security headers on every response: a strict Content-Security-Policy, no sniffing, no framing."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from photogate.intake.direct_upload import direct_uploads

# Scripts and styles come only from /static: no inline code, so injected markup cannot run.
# blob: lets the upload form preview the chosen file before it is sent.
CSP: Final = (
    "default-src 'self'; img-src 'self' data: blob:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger UI is an inline script plus assets from a CDN; only /docs may load them.
DOCS_CSP: Final = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS: Final = frozenset({"/docs", "/docs/oauth2-redirect"})
COMMON: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """ASGI middleware (not BaseHTTPMiddleware, so request bodies keep streaming)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response as it starts."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        extra = security_headers(scope["path"], _upload_origin(scope), _media_origin(scope))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(extra)
            await send(message)

        await self._app(scope, receive, send_with_headers)


def security_headers(
    path: str, upload_origin: str | None = None, media_origin: str | None = None
) -> dict[str, str]:
    """The headers every response to `path` carries.

    With `upload_origin`, pages may also connect there: browsers PUT direct uploads to it.
    With `media_origin`, pages may show images from there: published renditions on Azure
    are served by the storage account (or a CDN), not by this app.
    """
    if path in DOCS_PATHS:
        return {"Content-Security-Policy": DOCS_CSP, **COMMON}
    policy = CSP
    if media_origin:
        policy = policy.replace("img-src 'self'", f"img-src 'self' {media_origin}", 1)
    if upload_origin:
        policy = f"{policy}; connect-src 'self' {upload_origin}"
    return {"Content-Security-Policy": policy, **COMMON}


def _upload_origin(scope: Scope) -> str | None:
    # Only where direct uploads are on: otherwise default-src 'self' keeps fetches at home.
    state = getattr(scope.get("app"), "state", None)
    services = getattr(state, "services", None)
    grants = direct_uploads(services) if services is not None else None
    return grants.upload_origin() if grants is not None else None


def _media_origin(scope: Scope) -> str | None:
    # Public renditions at an absolute URL (Azure Storage, a CDN) need that origin in img-src;
    # the embedded default serves them from /media/ on this app, which 'self' already covers.
    state = getattr(scope.get("app"), "state", None)
    services = getattr(state, "services", None)
    if services is None:
        return None
    parts = urlsplit(services.ports.blobs.public_url("probe"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
