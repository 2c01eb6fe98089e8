"""Erasing a customer's data from the console (admins only), by their email address."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from photogate.domain.moderation import moderator_actor
from photogate.entrypoints.web.console.auth import AdminAction, AdminPage
from photogate.entrypoints.web.console.errors import as_refusal
from photogate.entrypoints.web.console.rendering import render
from photogate.entrypoints.web.deps import ServicesDep
from photogate.privacy.erase import erase_customer

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/erase")
async def erase_page(request: Request, staff: AdminPage) -> HTMLResponse:
    """The form: one email address, and what erasing it does."""
    return render(request, "erase.html", {"erasure": None}, staff=staff)


@router.post("/erase")
async def erase(request: Request, action: AdminAction, services: ServicesDep) -> HTMLResponse:
    """Erase every photo and detail sent with the address; the page says how many (no address)."""
    with as_refusal():
        erasure = await erase_customer(
            action.field("email"),
            actor=moderator_actor(action.staff.username),
            ports=services.ports,
        )
    # Rendered, not redirected: the address must not end up in a URL or the browser history.
    return render(request, "erase.html", {"erasure": erasure}, staff=action.staff)
