"""Console pages: rendered with the storefront's templates, never cached, with their notices."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from photogate.clock import utcnow
from photogate.domain.submission import AuditEntry
from photogate.entrypoints.web.console.decided import settled_notice, undone_notice
from photogate.entrypoints.web.templating import templates
from photogate.moderation.review import undone_last

if TYPE_CHECKING:  # auth's refusals are shown by errors, which uses safe_back from here
    from photogate.entrypoints.web.console.auth import Staff
    from photogate.ports.catalog import Catalog

HOME: Final = "/console/review"
_SUBMISSION_ID: Final = re.compile(r"[0-9a-f]{32}")
# What a redirect after a form may announce; only these fixed sentences, never request text.
NOTICES: Final = {
    "approved": "Approved. The photo is being published and the customer will be thanked.",
    "rejected": "Rejected. The photo will not be shown.",
    "undone": "Rejection undone: the photo is back in review, and the customer was not emailed.",
    "too_late": (
        "Too late to undo: the undo window has passed, or the photo has moved on since. "
        "The rejection stands."
    ),
    # Shown only when the audit trail cannot name who undid it (see page_notice).
    "already_undone": "That rejection was already undone; nothing was changed.",
    "taken_down": "Taken down. The photo is no longer on the shop.",
    "settled": "Someone else decided on this photo first; nothing was changed.",
    "none_free": "No photo is free to review: any still waiting are being reviewed by others.",
    "only_yours": "The only photo waiting is the one you are reviewing.",
    "others_taken": (
        "No other photo is free to review: the others waiting are being reviewed by others, "
        "so you stay on this one."
    ),
    "taken_over": "You have taken this photo over: it is yours to decide.",
}


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    staff: Staff | None,
    status: int = 200,
    notice: str | None = None,
) -> HTMLResponse:
    """The console template `name`, with who is signed in and `notice` (by default the one
    the URL asks for).
    """
    notice = notice or NOTICES.get(request.query_params.get("notice", ""))
    full = {"staff": staff, "notice": notice, **context}
    response = templates().TemplateResponse(request, f"console/{name}", full, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def safe_back(value: str, default: str = HOME) -> str:
    """A console path to return to after a form; anything else (another site) is `default`."""
    if not value.startswith("/console") or "//" in value or "\\" in value:
        return default
    return value


def see_other(location: str, notice: str | None = None) -> RedirectResponse:
    """Redirect after a form, optionally with one of the NOTICES."""
    if notice is not None:
        location = _with_param(location, f"notice={notice}")
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def decided_first(location: str, submission_id: str) -> RedirectResponse:
    """Redirect after a form that found the photo already decided; `page_notice` then names
    who decided and how (the URL carries only the id, never the words shown).
    """
    return see_other(_with_param(location, f"decided={quote(submission_id)}"), "settled")


async def page_notice(
    request: Request, catalog: Catalog, submission_id: str | None = None
) -> str | None:
    """The notice the URL asks for; "settled" names the last decision on the photo (the page's
    own `submission_id`, else the URL's `decided`), "already_undone" who undid its rejection.
    """
    asked = request.query_params.get("notice", "")
    subject = submission_id or request.query_params.get("decided", "")
    if asked not in ("settled", "already_undone") or not subject:
        return NOTICES.get(asked)
    trail = await catalog.audit_trail(subject)
    return _from_trail(asked, trail, utcnow()) or NOTICES.get(asked)


def _from_trail(asked: str, trail: Sequence[AuditEntry], now: datetime) -> str | None:
    """The notice `asked` for, with the names and times of the photo's audit `trail`."""
    if asked == "settled":
        return settled_notice(trail[-1], now) if trail else None
    undone = undone_last(trail)
    return undone_notice(undone, now) if undone else None


def undo_offered(location: str, submission_id: str) -> str:
    """`location` offering to undo the rejection of `submission_id` under its notice."""
    return _with_param(location, f"undo={quote(submission_id)}")


def undo_asked(request: Request) -> str | None:
    """The submission whose rejection the URL asks the page to offer to undo (the page's
    handler then works out whether it still can be), if it names one.
    """
    asked = request.query_params.get("undo", "")
    return asked if _SUBMISSION_ID.fullmatch(asked) else None


def _with_param(location: str, param: str) -> str:
    return location + ("&" if "?" in location else "?") + param
