"""The moderation console at /console: sign-in, review queue, takedown, audit trail, and the
pipeline at a glance.
"""

from __future__ import annotations

from fastapi import FastAPI

from photogate.entrypoints.web.console import (
    audit,
    claims,
    erasure,
    pipeline,
    preview,
    review,
    signin,
    takedown,
    undo,
)
from photogate.entrypoints.web.console.auth import current_staff
from photogate.entrypoints.web.console.errors import install_console_errors


def install_console(app: FastAPI) -> None:
    """Add the console's routes and the handlers of its refusals to `app`."""
    install_console_errors(app, current_staff)
    for module in (
        signin,
        review,
        claims,
        undo,
        takedown,
        audit,
        preview,
        erasure,
        pipeline,
    ):
        app.include_router(module.router)
