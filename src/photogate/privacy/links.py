"""Withdrawal links: HMAC-SHA256-signed, expiring, naming a submission but never an email."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from photogate.clock import Clock, utcnow
from photogate.errors import InputError

PURPOSE: Final = "withdraw"
# The key that signs links is derived from the root secret, so it signs nothing else.
_KEY_LABEL: Final = b"photogate withdrawal links v1"
INVALID: Final = (
    "This withdrawal link is not valid: it may have been cut short or changed. Please open "
    "the link exactly as it appears in our email."
)
EXPIRED: Final = (
    "This withdrawal link has expired. Use the link in a more recent email from us, or write "
    "to our customer service and we will erase your photos for you."
)


def link_key(root_secret: bytes) -> bytes:
    """The key of withdrawal links, derived from a root secret (the console's or its own)."""
    return hmac.new(root_secret, _KEY_LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class WithdrawalLinks:
    """Makes and checks the links with which a customer withdraws consent and erases their data.

    A token is `<submission id>.<expiry, Unix seconds>.<signature>`; the signature is
    HMAC-SHA256 over (purpose, submission id, expiry). The submission id identifies the
    customer (their email is looked up from it), so no address appears in the URL.
    """

    # The key, or how to get it: bootstrap passes a function, so a key kept in the data dir is
    # read (or made) only once a link is made or checked, not by every command that starts.
    key: bytes | Callable[[], bytes]
    base_url: str
    ttl: timedelta
    clock: Clock = utcnow

    def url(self, submission_id: str) -> str:
        """The absolute withdrawal URL for the customer of `submission_id`."""
        return f"{self.base_url.rstrip('/')}/withdraw/{self.token(submission_id)}"

    def token(self, submission_id: str) -> str:
        """A token valid for `ttl` from now."""
        expires = int((self.clock() + self.ttl).timestamp())
        return f"{submission_id}.{expires}.{self._signature(submission_id, expires)}"

    def verify(self, token: str) -> str:
        """The submission id the token was signed for; InputError if forged, changed or expired."""
        submission_id, expires = self._parts(token)
        if datetime.fromtimestamp(expires, UTC) <= self.clock():
            raise InputError("link_expired", EXPIRED, status=410)
        return submission_id

    def _parts(self, token: str) -> tuple[str, int]:
        submission_id, _, rest = token.partition(".")
        expiry, _, signature = rest.partition(".")
        # isascii too: isdigit takes '²' and '①', which int() then refuses (a 500, not a 400).
        if not (submission_id and expiry.isascii() and expiry.isdigit() and len(expiry) <= 12):
            raise InputError("link_invalid", INVALID, status=400)
        expected = self._signature(submission_id, int(expiry))
        # Constant time: a timing difference must not reveal how much of a signature matched.
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise InputError("link_invalid", INVALID, status=400)
        return submission_id, int(expiry)

    def _signature(self, submission_id: str, expires: int) -> str:
        # Newlines cannot occur in ids or numbers, so the fields cannot be shifted into another.
        message = f"{PURPOSE}\n{submission_id}\n{expires}".encode()
        key = self.key if isinstance(self.key, bytes) else self.key()
        digest = hmac.new(key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
