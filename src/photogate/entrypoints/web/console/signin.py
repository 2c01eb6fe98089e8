"""Signing in and out of the console: passwords from settings, rate-limited, in a signed cookie."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import datetime, timedelta
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from photogate.bootstrap import Services
from photogate.clock import utcnow
from photogate.entrypoints.web.clients import client_address
from photogate.entrypoints.web.console.auth import ModeratorAction, codec_of, current_staff
from photogate.entrypoints.web.console.auth import read_session as session_of
from photogate.entrypoints.web.console.csrf import check_csrf
from photogate.entrypoints.web.console.forms import read_form
from photogate.entrypoints.web.console.rendering import HOME, render, safe_back, see_other
from photogate.entrypoints.web.console.session import COOKIE, COOKIE_PATH, Session
from photogate.entrypoints.web.deps import ServicesDep
from photogate.moderation.passwords import verify_password, waste_time
from photogate.settings import Settings, StaffUser
from photogate.throttling import Limit, client_key, give_back, in_words, limit_key, take_slot

WRONG: Final = "That username and password do not match. Please try again."
APP_SERVICE_LOGOUT: Final = "/.auth/logout"

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/sign-in")
async def sign_in_page(request: Request, services: ServicesDep, next: str = HOME) -> Response:
    """The sign-in form; someone already signed in goes straight on to `next`."""
    target = safe_back(next)
    if current_staff(request) is not None:
        return see_other(target)
    session = session_of(request) or codec_of(request).new(time.time())
    return _form(request, services.settings, session, target)


@router.post("/sign-in")
async def sign_in(request: Request, services: ServicesDep) -> Response:
    """Check the password (after counting it a failure in advance), then start a new session."""
    form = await read_form(request)
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    target = safe_back(str(form.get("next", HOME)))
    session = session_of(request) or codec_of(request).new(time.time())
    check_csrf(form, session.csrf)
    keys, now = _keys(request, services.settings, username), utcnow()
    wait = await _take_failure_slots(services, keys, now)
    if wait is not None:
        message = f"Too many failed sign-ins. Please try again in {in_words(wait)}."
        response = _form(request, services.settings, session, target, message, status=429)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response
    user = await _check_password(services.settings, username, password)
    if user is None:
        return _form(
            request, services.settings, session, target, WRONG, status=401, username=username
        )
    await _give_back(services, keys, now)
    return _signed_in(request, services.settings, user, target)


@router.post("/sign-out")
async def sign_out(action: ModeratorAction, request: Request) -> Response:
    """End the session (and App Service's, for staff who came through it)."""
    response = see_other(APP_SERVICE_LOGOUT if action.staff.via == "app_service" else "/console")
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


def _form(
    request: Request,
    settings: Settings,
    session: Session,
    target: str,
    error: str | None = None,
    *,
    status: int = 200,
    username: str = "",
) -> HTMLResponse:
    """The sign-in form; after a wrong password, with the username typed kept."""
    context = {
        "username": username,
        "csrf": session.csrf,
        "target": target,
        "error": error,
        "app_service": settings.console.trust_app_service_auth,
        "has_users": bool(settings.console.users),
    }
    response = render(request, "sign_in.html", context, staff=None, status=status)
    _set_cookie(response, request, settings, session)
    return response


def _signed_in(request: Request, settings: Settings, user: StaffUser, target: str) -> Response:
    codec = codec_of(request)
    fingerprint = codec.fingerprint(user.password_hash.get_secret_value())
    # A new session and CSRF token at sign-in, so a token planted before it is worthless.
    session = codec.new(time.time(), user.username, fingerprint)
    response = see_other(target)
    _set_cookie(response, request, settings, session)
    return response


def _set_cookie(response: Response, request: Request, settings: Settings, session: Session) -> None:
    https = request.url.scheme == "https" or settings.web.public_base_url.startswith("https://")
    response.set_cookie(
        COOKIE,
        codec_of(request).dump(session),
        max_age=max(1, int(session.expires - time.time())),
        path=COOKIE_PATH,
        secure=https,
        httponly=True,
        samesite="strict",
    )


async def _check_password(settings: Settings, username: str, password: str) -> StaffUser | None:
    user = settings.console.user(username)
    if user is None:
        await asyncio.to_thread(waste_time, password)
        return None
    stored = user.password_hash.get_secret_value()
    return user if await asyncio.to_thread(verify_password, password, stored) else None


def _keys(request: Request, settings: Settings, username: str) -> list[tuple[Limit, str]]:
    console = settings.console
    window = timedelta(seconds=console.signin_window_s)
    client = client_address(request, settings.web.trusted_proxy_hops)
    return [
        (Limit("signin-ip", console.signin_max_failures, window), client_key(client)),
        (Limit("signin-user", console.signin_max_failures, window), limit_key(username.lower())),
    ]


async def _take_failure_slots(
    services: Services, keys: list[tuple[Limit, str]], now: datetime
) -> float | None:
    """Count a failure against every limit before the password is checked, so guesses sent at
    once cannot outrun the count; or, if a limit is spent, the wait (and nothing counted).
    """
    catalog = services.ports.catalog
    # Together, so a catalog that group commits takes both in one transaction.
    waits = await asyncio.gather(*(take_slot(catalog, limit, key, now) for limit, key in keys))
    if all(wait is None for wait in waits):
        return None
    taken = [pair for pair, wait in zip(keys, waits, strict=True) if wait is None]
    await _give_back(services, taken, now)
    return max(wait for wait in waits if wait is not None)


async def _give_back(services: Services, keys: list[tuple[Limit, str]], now: datetime) -> None:
    """Return the slots taken at `now`: a sign-in that succeeded (or never ran) was no failure."""
    catalog = services.ports.catalog
    await asyncio.gather(*(give_back(catalog, limit, key, now) for limit, key in keys))
