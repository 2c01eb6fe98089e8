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


def test_a_copy_given_up_for_a_reason_keeps_it_and_a_plain_one_has_none() -> None:
    """The reason travels with the copy, and says why a message past its attempts goes."""
    copy = Envelope("body", failures=5, throttles=1, given_up_for="scanner said 503")
    assert open_envelope(seal(copy)) == copy
    assert copy.over_limit_reason(5) == "scanner said 503"
    plain = open_envelope(seal(Envelope("body", failures=2)))
    assert plain.given_up_for is None
    assert plain.over_limit_reason(5) == "delivered 5 times without completing"
