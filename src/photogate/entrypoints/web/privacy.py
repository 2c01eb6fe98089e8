"""The customer's privacy pages: the photo licence by version, and the withdrawal link."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from photogate.bootstrap import Services
from photogate.domain.licence import LICENCES
from photogate.domain.submission import Status
from photogate.entrypoints.web.deps import ServicesDep
from photogate.entrypoints.web.templating import templates
from photogate.errors import InputError, NotFound
from photogate.privacy.erase import Erasure, erase_by_link
from photogate.privacy.links import INVALID

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
# The token in the URL is the customer's key: no page of it may be cached. (It is not passed
# on either: the site-wide Referrer-Policy sends other sites the origin only.)
PRIVATE: Final = {"Cache-Control": "no-store"}


@router.get("/licence")
async def current_licence(request: Request, services: ServicesDep) -> HTMLResponse:
    """The photo licence uploads accept now."""
    return _licence(request, services.settings.privacy.licence_version)


@router.get("/licence/{version}")
async def licence_version(request: Request, version: str) -> HTMLResponse:
    """The photo licence of `version`, word for word as customers accepted it."""
    if version not in LICENCES:
        raise NotFound("unknown_licence", f"There is no photo licence of version {version!r}.")
    return _licence(request, version)


@router.get("/withdraw/{token}")
async def withdrawal_page(request: Request, token: str, services: ServicesDep) -> HTMLResponse:
    """What withdrawing does, and the button that does it; opening the link changes nothing."""
    try:
        submission_id = _verified(services, token)
    except InputError as exc:
        return _withdraw(request, "refused", {"message": exc.detail}, status=exc.status)
    submission = await services.ports.catalog.get_submission(submission_id)
    if submission is None or submission.status is Status.ERASED:
        return _withdraw(request, "done", {"erasure": Erasure(already_erased=1)})
    return _withdraw(request, "confirm", {"action": f"/withdraw/{token}"})


@router.post("/withdraw/{token}")
async def withdraw(request: Request, token: str, services: ServicesDep) -> HTMLResponse:
    """Erase the customer's photos and details; running it again changes nothing."""
    try:
        erasure = await erase_by_link(_verified(services, token), ports=services.ports)
    except InputError as exc:
        return _withdraw(request, "refused", {"message": exc.detail}, status=exc.status)
    return _withdraw(request, "done", {"erasure": erasure})


def _verified(services: Services, token: str) -> str:
    links = services.notify_policy.links
    if links is None:
        raise InputError("link_invalid", INVALID, status=400)
    return links.verify(token)


def _licence(request: Request, version: str) -> HTMLResponse:
    context = {"version": version, "paragraphs": LICENCES[version]}
    return templates().TemplateResponse(request, "licence.html", context)


def _withdraw(
    request: Request, state: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    full = {"state": state, **context}
    return templates().TemplateResponse(
        request, "withdraw.html", full, status_code=status, headers=PRIVATE
    )
