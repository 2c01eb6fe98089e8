"""Who decided on a photo first: a notice naming the last audit entry's actor and outcome."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from photogate.domain.submission import AuditEntry, Status
from photogate.ports import Catalog

# What each outcome reads as after a name: "mia approved it".
OUTCOMES: Final = {
    Status.APPROVED: "approved it",
    Status.REJECTED: "rejected it",
    Status.NEEDS_REVIEW: "sent it to review",
    Status.TAKEN_DOWN: "took it down",
    Status.ERASED: "erased it",
}
# How soon a second copy of a moderator's own decision must come to be taken for a double click.
REPEAT_WITHIN: Final = timedelta(minutes=1)
# Actors other than staff, by the prefix they sign the audit with.
OTHER_ACTORS: Final = {"scanner": "the scanner", "customer": "the customer"}


def own_repeat(trail: list[AuditEntry], actor: str, outcome: Status, now: datetime) -> bool:
    """Whether the photo's last decision is `actor`'s own `outcome`, made moments ago: a form
    sent twice (a double click) finds its first copy's work done, and is answered as that
    copy was. An older one (a tab left open) is told who decided and when, as anyone is.
    """
    if not trail:
        return False
    last = trail[-1]
    return last.to_status is outcome and last.actor == actor and now - last.at <= REPEAT_WITHIN


async def is_second_copy(
    catalog: Catalog, submission_id: str, actor: str, outcome: Status, now: datetime
) -> bool:
    """Whether a decision form that changed nothing is a second copy of `actor`'s own
    `outcome` (see own_repeat), read from the photo's audit trail.
    """
    return own_repeat(await catalog.audit_trail(submission_id), actor, outcome, now)


def settled_notice(last: AuditEntry, now: datetime) -> str:
    """The notice for a form that found the photo already decided: who did what, and when."""
    did = OUTCOMES.get(last.to_status, f"moved it to {last.to_status}")
    return (
        f"Someone else decided on this photo first: {actor_name(last.actor)} {did} "
        f"at {when(last.at, now)}. Nothing was changed."
    )


def undone_notice(undo: AuditEntry, now: datetime) -> str:
    """The notice for an undo pressed again (a double click, or two moderators): who undid the
    rejection first, and when.
    """
    return (
        f"Already undone by {actor_name(undo.actor)} at {when(undo.at, now)}: the photo is "
        "back in review. Nothing was changed."
    )


def actor_name(actor: str) -> str:
    """A person's name for an audit actor: "moderator:mia" is "mia", "scanner:v2" the scanner."""
    kind, _, name = actor.partition(":")
    if kind in OTHER_ACTORS:
        return OTHER_ACTORS[kind]
    return name or actor


def when(at: datetime, now: datetime) -> str:
    """ "10:42 UTC" today, with the date on any other day."""
    time = f"{at:%H:%M} UTC"
    return time if at.date() == now.date() else f"{time} on {at:%d %b %Y}"
