"""The envelope of a throttled message sent again: its original body and its real failures so far.

Queues count every receive (Azure's dequeue_count), throttled or not. So that throttling costs
no attempt, the consumer puts a throttled message back as a fresh copy, whose count starts over,
carrying in this envelope the failures the original had; the handler sees the original body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

KEY = "photogate_requeued"
_PREFIX = '{"' + KEY + '"'


@dataclass(frozen=True)
class Envelope:
    """A message's body with the real failures and the throttles of its earlier copies, and,
    for a copy sent again because giving it up failed, the reason it is given up for.
    """

    body: str
    failures: int = 0
    throttles: int = 0
    given_up_for: str | None = None
    # How many times giving it up has failed: the delay before the next try grows with it.
    give_up_tries: int = 0

    def giving_up_again(self, attempts: int, max_attempts: int, reason: str) -> Envelope:
        """The copy to send when giving this message up failed: past its attempts (so it is
        not handled again), carrying `reason`, with one more failed give-up counted.
        """
        return replace(
            self,
            failures=max(attempts, max_attempts),
            given_up_for=reason,
            give_up_tries=self.give_up_tries + 1,
        )

    def over_limit_reason(self, attempts: int) -> str:
        """Why a message past its attempts is given up: the reason an earlier delivery gave
        it up for, if giving up failed there, else that the deliveries never completed.
        """
        return self.given_up_for or f"delivered {attempts} times without completing"


def open_envelope(raw: str) -> Envelope:
    """The envelope in a received body; a plain body is its own envelope with no history."""
    if not raw.startswith(_PREFIX):
        return Envelope(raw)
    try:
        data = json.loads(raw)
        counts, body = data[KEY], data["body"]
        reason = data.get("given_up_for")
        envelope = Envelope(
            body,
            int(counts["failures"]),
            int(counts["throttles"]),
            reason if isinstance(reason, str) else None,
            int(data.get("give_up_tries", 0)),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return Envelope(raw)
    return envelope if isinstance(body, str) else Envelope(raw)


def seal(envelope: Envelope) -> str:
    """The body to send for `envelope` (its key first, so open_envelope spots it cheaply)."""
    counts = {"failures": envelope.failures, "throttles": envelope.throttles}
    sealed: dict[str, object] = {KEY: counts, "body": envelope.body}
    if envelope.given_up_for is not None:
        sealed["given_up_for"] = envelope.given_up_for
        sealed["give_up_tries"] = envelope.give_up_tries
    return json.dumps(sealed)
