"""Who is using the console, and what they may do: dependencies that refuse everyone else."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from starlette.datastructures import FormData

from photogate.domain.moderation import Role
from photogate.entrypoints.web.console.app_service import app_service_principal
from photogate.entrypoints.web.console.csrf import check_csrf
from photogate.entrypoints.web.console.errors import FORM_BACK, Refused, SignInRequired
from photogate.entrypoints.web.console.forms import read_form
from photogate.entrypoints.web.console.rendering import safe_back
from photogate.entrypoints.web.console.session import COOKIE, Session, SessionCodec
from photogate.entrypoints.web.deps import services_of
from photogate.secret_key import console_secret
from photogate.settings import ConsoleSettings


@dataclass(frozen=True)
class Staff:
    """A signed-in member of staff; `role` is None for an App Service user with no console role."""

    username: str
    role: Role | None
    csrf: str
    via: Literal["password", "app_service"]

    def may(self, needed: Role) -> bool:
        """Whether this person's role allows what `needed` may do."""
        return self.role is not None and self.role.allows(needed)

    @property
    def is_admin(self) -> bool:
        """Whether this person may do everything, the audit export included."""
        return self.may(Role.ADMIN)


@dataclass(frozen=True)
class Action:
    """A checked console POST: who sent it, and its form (CSRF token verified)."""

    staff: Staff
    form: FormData

    def field(self, name: str) -> str:
        """A text field of the form, stripped; missing or a file reads as empty."""
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else ""


def codec_of(request: Request) -> SessionCodec:
    """The app's session codec, made on first use (reading or creating the signing key)."""
    state = request.app.state
    codec: SessionCodec | None = getattr(state, "console_codec", None)
    if codec is None:
        settings = services_of(request).settings
        codec = SessionCodec(console_secret(settings), settings.console.session_ttl_s)
        state.console_codec = codec
    return codec


def read_session(request: Request) -> Session | None:
    """The request's valid session cookie, signed in or not, or None."""
    return codec_of(request).load(request.cookies.get(COOKIE), time.time())


def current_staff(request: Request) -> Staff | None:
    """The signed-in member of staff, from App Service headers (if trusted) or our cookie."""
    console = services_of(request).settings.console
    if console.trust_app_service_auth:
        principal = app_service_principal(request.headers, console.app_service_roles)
        if principal is not None:
            csrf = codec_of(request).derived_csrf(principal.name)
            return Staff(principal.name, principal.role, csrf, "app_service")
    return _cookie_staff(read_session(request), console, codec_of(request))


def _cookie_staff(
    session: Session | None, console: ConsoleSettings, codec: SessionCodec
) -> Staff | None:
    user = console.user(session.username) if session and session.username else None
    if session is None or user is None:
        return None
    # A changed password (or a removed user) ends the sessions signed in with the old one.
    if session.fingerprint != codec.fingerprint(user.password_hash.get_secret_value()):
        return None
    return Staff(user.username, user.role, session.csrf, "password")


def _allowed(staff: Staff, needed: Role) -> Staff:
    if staff.role is None:
        raise Refused(403, "Your account has no role in the photo console. Ask an admin.")
    if not staff.may(needed):
        raise Refused(
            403, f"This is for the {needed} role only; you are signed in as {staff.role}."
        )
    return staff


def _signed_in(request: Request, needed: Role) -> Staff:
    staff = current_staff(request)
    if staff is None:
        raise Refused(401, "Please sign in to the photo console first.")
    return _allowed(staff, needed)


async def _moderator_page(request: Request) -> Staff:
    staff = current_staff(request)
    if staff is None:
        query = f"?{request.url.query}" if request.url.query else ""
        raise SignInRequired(request.url.path + query)
    return _allowed(staff, Role.MODERATOR)


async def _admin_page(request: Request) -> Staff:
    staff = await _moderator_page(request)
    return _allowed(staff, Role.ADMIN)


async def _checked_action(request: Request, needed: Role) -> Action:
    """The signed-in staff's form, its CSRF token checked; its refusals lead back to `back`."""
    staff = _signed_in(request, needed)
    form = await read_form(request)
    check_csrf(form, staff.csrf)
    action = Action(staff, form)
    setattr(request.state, FORM_BACK, safe_back(action.field("back"), "/console"))
    return action


async def _admin_action(request: Request) -> Action:
    return await _checked_action(request, Role.ADMIN)


async def _moderator_resource(request: Request) -> Staff:
    return _signed_in(request, Role.MODERATOR)


async def _admin_resource(request: Request) -> Staff:
    return _signed_in(request, Role.ADMIN)


async def _moderator_action(request: Request) -> Action:
    return await _checked_action(request, Role.MODERATOR)


ModeratorPage = Annotated[Staff, Depends(_moderator_page)]
ModeratorResource = Annotated[Staff, Depends(_moderator_resource)]
AdminResource = Annotated[Staff, Depends(_admin_resource)]
ModeratorAction = Annotated[Action, Depends(_moderator_action)]
AdminPage = Annotated[Staff, Depends(_admin_page)]
AdminAction = Annotated[Action, Depends(_admin_action)]
