"""Undoing a rejection: for PHOTOGATE_CONSOLE__UNDO_S after a moderator rejects a photo, any
moderator can put it back in review; the email to the customer waits out that window, and an
undo withdraws it, so a slip of the hand never reaches the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from fastapi import APIRouter
from fastapi.responses import Response

from photogate.bootstrap import Services
from photogate.domain.moderation import undoable_rejection
from photogate.domain.submission import AuditEntry
from photogate.entrypoints.web.console.auth import ModeratorAction
from photogate.entrypoints.web.console.errors import as_refusal
from photogate.entrypoints.web.console.rendering import see_other
from photogate.entrypoints.web.deps import ServicesDep
from photogate.moderation.review import UndoWindow, undo_rejection

router = APIRouter(prefix="/console", include_in_schema=False)


def undo_window(services: Services) -> UndoWindow | None:
    """The console's undo window, by its clock; None when PHOTOGATE_CONSOLE__UNDO_S is 0."""
    seconds = services.settings.console.undo_s
    return UndoWindow(timedelta(seconds=seconds), services.clock) if seconds else None


def undo_until(trail: Sequence[AuditEntry], window: UndoWindow | None) -> datetime | None:
    """Until when the photo's latest decision, a moderator's rejection, can be undone; None if
    it cannot be (any more).
    """
    if window is None or not trail:
        return None
    last, now = trail[-1], window.clock()
    return window.ends(last.at) if undoable_rejection(last, window.opened(now)) else None


@router.post("/submissions/{submission_id}/undo-rejection")
async def undo(submission_id: str, action: ModeratorAction, services: ServicesDep) -> Response:
    """Put a photo rejected moments ago back in review, its email to the customer withdrawn."""
    window = undo_window(services)
    with as_refusal():
        done = window is not None and await undo_rejection(
            submission_id, moderator=action.staff.username, ports=services.ports, undo=window
        )
    return see_other(f"/console/submissions/{submission_id}", "undone" if done else "too_late")
