"""Erasing a customer's data from the console (admins only), by their email address, in two
steps: the first POST shows what would be erased and changes nothing; the second, carrying a
signed confirmation of exactly that, erases.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from photogate.domain.moderation import moderator_actor
from photogate.entrypoints.web.console.auth import Action, AdminAction, AdminPage, codec_of
from photogate.entrypoints.web.console.erase_confirmation import Asked, confirmation, confirmed_plan
from photogate.entrypoints.web.console.errors import Refused, as_refusal
from photogate.entrypoints.web.console.rendering import render
from photogate.entrypoints.web.deps import ServicesDep
from photogate.privacy.erase import (
    ErasurePlan,
    admin_reason,
    checked_reference,
    erase_customer,
    erasure_plan,
)

CHANGED: Final = (
    "What would be erased has changed since you checked (now {submissions} submission(s), "
    "{published} published photo(s)). Nothing was erased. Check again from the erase page."
)

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/erase")
async def erase_page(request: Request, staff: AdminPage) -> HTMLResponse:
    """The form: one email address, the request's reference, and what erasing does."""
    return render(request, "erase.html", {"plan": None, "erasure": None}, staff=staff)


@router.post("/erase")
async def check_erasure(
    request: Request, action: AdminAction, services: ServicesDep
) -> HTMLResponse:
    """The first step: count what erasing the address would take away, change nothing, and
    offer a signed confirmation of exactly that.
    """
    asked = _asked(action)
    with as_refusal():
        plan = await erasure_plan(asked.email, ports=services.ports)
    token = confirmation(codec_of(request), asked, plan, time.time())
    context = {"plan": plan, "erasure": None, "asked": asked, "token": token}
    context["masked"] = masked(asked.email)
    # Rendered, not redirected: the address must not end up in a URL or the browser history.
    return render(request, "erase.html", context, staff=action.staff)


@router.post("/erase/confirm")
async def erase(request: Request, action: AdminAction, services: ServicesDep) -> HTMLResponse:
    """Erase every photo and detail sent with the address, as confirmed; the page says how
    many (no address). The audit gives the request's reference as the reason.
    """
    asked = _asked(action)
    confirmed = confirmed_plan(codec_of(request), asked, action.field("confirmation"), time.time())
    with as_refusal():
        now = await erasure_plan(asked.email, ports=services.ports)
        # All gone since the confirmation: this form sent twice (a double click), or another
        # admin first. It still runs, for the sweeps of mail copies an earlier copy may not
        # have finished, and then says nothing was left.
        gone = now.submissions == 0 < confirmed.submissions
        if not gone:
            _unchanged(confirmed, now)
        erasure = await erase_customer(
            asked.email,
            actor=moderator_actor(action.staff.username),
            reason=admin_reason(asked.reference),
            ports=services.ports,
        )
    if gone and not erasure.erased:
        erasure = replace(erasure, already_erased=confirmed.submissions)
    return render(request, "erase.html", {"plan": None, "erasure": erasure}, staff=action.staff)


def masked(email: str) -> str:
    """The address as the confirmation shows it: "a•••@example.com"."""
    local, _, domain = email.strip().rpartition("@")
    return f"{local[:1]}•••@{domain}"


def _asked(action: Action) -> Asked:
    with as_refusal():
        reference = checked_reference(action.field("reference"))
    return Asked(action.staff.username, action.field("email"), reference)


def _unchanged(confirmed: ErasurePlan, now: ErasurePlan) -> None:
    """Refuse (409) if the counts the admin confirmed are no longer what would be erased."""
    if now != confirmed:
        raise Refused(409, CHANGED.format(submissions=now.submissions, published=now.published))
