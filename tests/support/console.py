"""Console test helpers: staff accounts with cheap hashes, signing in, photos in each state."""

from __future__ import annotations

import re
from typing import Any

from photogate.adapters.memory.scanner import scan_result
from photogate.clock import utcnow
from photogate.domain.catalog import OutboxMessage
from photogate.domain.scan import Verdict
from photogate.domain.submission import SCANNABLE, Status, Submission, new_id
from photogate.messages import SCAN_QUEUE, scan_request
from photogate.moderation.passwords import Cost, hash_password
from photogate.moderation.review import approve_submission
from photogate.ports import Container, Ports
from photogate.testing import samples

PASSWORD = "correct horse battery staple"
# Hashes made at a tenth of the real cost keep the tests fast; verification reads the cost.
CHEAP = Cost(log2_n=10, r=8, p=1)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def staff_users() -> list[dict[str, Any]]:
    """A moderator "sam" and an admin "ada", both with PASSWORD."""
    stored = hash_password(PASSWORD, CHEAP)
    return [
        {"username": "sam", "password_hash": stored, "role": "moderator"},
        {"username": "ada", "password_hash": stored, "role": "admin"},
    ]


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a console page."""
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def in_review(
    ports: Ports,
    sku: str,
    *,
    caption: str = "Looks great",
    display_name: str = "Kim",
    size: tuple[int, int] = (1200, 900),
) -> Submission:
    """A submission the scanner sent to people, with its original (of `size`) in quarantine."""
    sid, now = new_id(), utcnow()
    submission = Submission(
        id=sid,
        sku=sku,
        email="kim@example.com",
        display_name=display_name,
        caption=caption,
        original_blob=f"{sid}/original.jpeg",
        content_type="image/jpeg",
        size_bytes=1,
        width=size[0],
        height=size[1],
        created_at=now,
        consent_at=now,
    )
    await ports.blobs.put(
        Container.QUARANTINE, submission.original_blob, samples.clean_jpeg(*size), "image/jpeg"
    )
    message = OutboxMessage(new_id(), SCAN_QUEUE, scan_request(sid), sid)
    await ports.catalog.add_submission(submission, message)
    await ports.catalog.mark_dispatched(message.id)
    scan = scan_result(Verdict.INCONCLUSIVE, reasons=("too small to judge",), weapons=0.42)
    moved = await ports.catalog.transition(
        sid,
        allowed_from=SCANNABLE,
        to=Status.NEEDS_REVIEW,
        actor="scanner:test",
        reason="unsure",
        scan=scan,
    )
    assert moved is not None
    return moved


async def published(ports: Ports, sku: str, **changes: Any) -> Submission:
    """A submission approved by a moderator, with its renditions in the public container."""
    submission = await in_review(ports, sku, **changes)
    assert await approve_submission(submission.id, moderator="seed", ports=ports)
    return submission
