"""Console pages: rendered with the storefront's templates, never cached, with their notices."""

from __future__ import annotations

from typing import Any, Final

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from photogate.entrypoints.web.console.auth import Staff
from photogate.entrypoints.web.templating import templates

HOME: Final = "/console/review"
# What a redirect after a form may announce; only these fixed sentences, never request text.
NOTICES: Final = {
    "approved": "Approved. The photo is being published and the customer will be thanked.",
    "rejected": "Rejected. The photo will not be shown.",
    "taken_down": "Taken down. The photo is no longer on the shop.",
    "settled": "Someone else decided on this photo first; nothing was changed.",
    "not_published": "That photo was not published, so there was nothing to take down.",
}


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    staff: Staff | None,
    status: int = 200,
) -> HTMLResponse:
    """The console template `name`, with who is signed in and the notice the URL asks for."""
    notice = NOTICES.get(request.query_params.get("notice", ""))
    full = {"staff": staff, "notice": notice, **context}
    response = templates().TemplateResponse(request, f"console/{name}", full, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_back(value: str, default: str = HOME) -> str:
    """A console path to return to after a form; anything else (another site) is `default`."""
    if not value.startswith("/console") or "//" in value or "\\" in value:
        return default
    return value


def see_other(location: str, notice: str | None = None) -> RedirectResponse:
    """Redirect after a form, optionally with one of the NOTICES."""
    if notice is not None:
        location += ("&" if "?" in location else "?") + f"notice={notice}"
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})
