"""Undoing a rejection: for PHOTOGATE_CONSOLE__UNDO_S after a moderator rejects a photo, any
moderator can put it back in review; the email to the customer waits out that window, and an
undo withdraws it, so a slip of the hand never reaches the customer.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response

from photogate.bootstrap import Services
from photogate.entrypoints.web.console.auth import ModeratorAction
from photogate.entrypoints.web.console.errors import Refused, as_refusal
from photogate.entrypoints.web.console.rendering import see_other
from photogate.entrypoints.web.deps import ServicesDep, undo_window
from photogate.moderation.review import undo_rejection, undone_last

router = APIRouter(prefix="/console", include_in_schema=False)
_NAMES_NO_REJECTION = "This form does not say which rejection to undo. Reload the page."


@router.post("/submissions/{submission_id}/undo-rejection")
async def undo(submission_id: str, action: ModeratorAction, services: ServicesDep) -> Response:
    """Put a photo rejected moments ago back in review, its email to the customer withdrawn;
    the form names the rejection it takes back, so a stale one never undoes a later one.
    """
    window, rejected_at = undo_window(services), _rejected_at(action)
    with as_refusal():
        done = window is not None and await undo_rejection(
            submission_id,
            moderator=action.staff.username,
            ports=services.ports,
            undo=window,
            rejected_at=rejected_at,
        )
    notice = await _outcome(done, submission_id, services)
    return see_other(f"/console/submissions/{submission_id}", notice)


async def _outcome(done: bool, submission_id: str, services: Services) -> str:
    """The notice after an undo: done, done already (a second press), or too late."""
    if done:
        return "undone"
    trail = await services.ports.catalog.audit_trail(submission_id)
    return "already_undone" if undone_last(trail) else "too_late"


def _rejected_at(action: ModeratorAction) -> datetime:
    """The time of the rejection the form takes back, as its hidden field gives it."""
    try:
        at = datetime.fromisoformat(action.field("rejected_at"))
    except ValueError:
        raise Refused(422, _NAMES_NO_REJECTION) from None
    if at.tzinfo is None:
        raise Refused(422, _NAMES_NO_REJECTION)
    return at
