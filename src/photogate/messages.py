"""The queues the pipeline uses and the bodies of their messages (JSON, small, versioned)."""

from __future__ import annotations

import json
from typing import Final, Literal, get_args

from photogate.errors import PermanentError

# The queues the pipeline uses; each has a poison queue (poison_queue) beside it.
Queue = Literal["scans", "notifications"]
SCAN_QUEUE: Final[Queue] = "scans"
NOTIFY_QUEUE: Final[Queue] = "notifications"
QUEUES: Final[tuple[Queue, ...]] = get_args(Queue)


def poison_queue(queue: str) -> str:
    """Where a queue's messages go after too many failed attempts (Azure Functions' naming)."""
    return f"{queue}-poison"


def scan_request(submission_id: str) -> str:
    """Body of a message asking for one submission to be scanned."""
    return json.dumps({"v": 1, "submission_id": submission_id})


def thank_request(email_id: str) -> str:
    """Body of a message asking for one owed email to be sent."""
    return json.dumps({"v": 1, "email_id": email_id})


def field_of(body: str, name: str) -> str:
    """One string field of a message body; a malformed body is a permanent error."""
    try:
        value = json.loads(body)[name]
    except (ValueError, KeyError, TypeError):
        raise PermanentError(f"malformed message, no {name!r}: {body[:200]!r}") from None
    if not isinstance(value, str):
        raise PermanentError(f"malformed message, {name!r} is not a string")
    return value
