"""The envelope of a throttled message sent again: its original body and its real failures so far.

Queues count every receive (Azure's dequeue_count), throttled or not. So that throttling costs
no attempt, the consumer puts a throttled message back as a fresh copy, whose count starts over,
carrying in this envelope the failures the original had; the handler sees the original body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

KEY = "photogate_requeued"
_PREFIX = '{"' + KEY + '"'


@dataclass(frozen=True)
class Envelope:
    """A message's body with the real failures and the throttles of its earlier copies."""

    body: str
    failures: int = 0
    throttles: int = 0


def open_envelope(raw: str) -> Envelope:
    """The envelope in a received body; a plain body is its own envelope with no history."""
    if not raw.startswith(_PREFIX):
        return Envelope(raw)
    try:
        data = json.loads(raw)
        counts, body = data[KEY], data["body"]
        envelope = Envelope(body, int(counts["failures"]), int(counts["throttles"]))
    except (ValueError, KeyError, TypeError):
        return Envelope(raw)
    return envelope if isinstance(body, str) else Envelope(raw)


def seal(envelope: Envelope) -> str:
    """The body to send for `envelope` (its key first, so open_envelope spots it cheaply)."""
    counts = {"failures": envelope.failures, "throttles": envelope.throttles}
    return json.dumps({KEY: counts, "body": envelope.body})
