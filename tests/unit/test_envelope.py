"""The envelope a throttled message is sent back in: its body and failure count survive."""

from __future__ import annotations

import json

from photogate.messages import scan_request
from photogate.worker.envelope import Envelope, open_envelope, seal


def test_sealed_envelope_opens_to_the_same_body_and_counts() -> None:
    """A sealed envelope opens to exactly what went in, whatever the body looks like."""
    for body in (scan_request("abc123"), "plain text", '{"photogate_requeued": 1}', ""):
        envelope = Envelope(body, failures=2, throttles=7)
        assert open_envelope(seal(envelope)) == envelope


def test_a_plain_body_is_its_own_envelope_with_no_history() -> None:
    """Bodies that were never put back open with zero failures and throttles."""
    body = scan_request("abc123")
    assert open_envelope(body) == Envelope(body)


def test_a_broken_envelope_is_handed_over_as_it_is() -> None:
    """A body that only looks like an envelope reaches the handler untouched, not lost."""
    broken = json.dumps({"photogate_requeued": {"failures": "many"}, "body": "x"})
    assert open_envelope(broken) == Envelope(broken)
