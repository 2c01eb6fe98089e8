"""How routes reach the app's Services: set on app.state by the lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.types import Scope

from photogate.bootstrap import Services


def services_of(request: Request) -> Services:
    """The Services the app was started with."""
    return services_in(request.scope)


def services_in(scope: Scope) -> Services:
    """The Services, from a raw ASGI scope (for mounted apps)."""
    services: Services = scope["app"].state.services
    return services


ServicesDep = Annotated[Services, Depends(services_of)]
