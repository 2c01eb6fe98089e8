"""How routes reach the app's Services: set on app.state by the lifespan."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from photogate.bootstrap import Services
from photogate.moderation.review import UndoWindow


def services_of(request: Request) -> Services:
    """The Services the app was started with."""
    return services_in(request.scope)


def services_in(scope: Scope) -> Services:
    """The Services, from a raw ASGI scope (for mounted apps)."""
    services: Services = scope["app"].state.services
    return services


ServicesDep = Annotated[Services, Depends(services_of)]


def undo_window(services: Services) -> UndoWindow | None:
    """How long a moderator's rejection can be undone, by the services' clock; None when
    PHOTOGATE_CONSOLE__UNDO_S is 0. The console offers the undo; the storefront shows such a
    rejection as still in review.
    """
    seconds = services.settings.console.undo_s
    return UndoWindow(timedelta(seconds=seconds), services.clock) if seconds else None
