"""Signed, short-lived confirmations of a console erasure: the second POST erases only what
the admin was shown (this address, these counts, this reference) and only for ten minutes.

A token is `<submissions>.<published>.<expiry, Unix seconds>.<signature>`; the signature
covers the admin, the address (by its email key), the reference, the counts and the expiry,
so none of them can be changed and the token cannot be used by anyone else.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Final

from photogate.domain.submission import email_key
from photogate.entrypoints.web.console.errors import Refused
from photogate.entrypoints.web.console.session import SessionCodec
from photogate.privacy.erase import ErasurePlan

PURPOSE: Final = "erase-confirmation"
TTL_S: Final = 600
INVALID: Final = (
    "This confirmation is not valid: it was changed, or made for another address, reference "
    "or admin. Nothing was erased. Start again from the erase page."
)
EXPIRED: Final = (
    "This confirmation has expired (they last ten minutes). Nothing was erased. Start again "
    "from the erase page to see what would be erased now."
)


@dataclass(frozen=True)
class Asked:
    """What an admin asked to erase: by whom, which address, under which request reference."""

    admin: str
    email: str
    reference: str

    def signed_text(self, plan: ErasurePlan, expires: int) -> str:
        """The text the signature covers; newlines cannot occur in its fields."""
        fields = [self.admin, email_key(self.email), self.reference]
        return "\n".join([*fields, str(plan.submissions), str(plan.published), str(expires)])


def confirmation(codec: SessionCodec, asked: Asked, plan: ErasurePlan, now: float) -> str:
    """A token confirming `plan` for `asked`, valid for TTL_S seconds from `now`."""
    expires = int(now) + TTL_S
    signature = codec.sign(PURPOSE, asked.signed_text(plan, expires))
    return f"{plan.submissions}.{plan.published}.{expires}.{signature}"


def confirmed_plan(codec: SessionCodec, asked: Asked, token: str, now: float) -> ErasurePlan:
    """The plan a token confirmed for `asked`; Refused 400 if it was changed, 410 if expired."""
    plan, expires, signature = _parts(token)
    expected = codec.sign(PURPOSE, asked.signed_text(plan, expires))
    # Constant time: a timing difference must not reveal how much of a signature matched.
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise Refused(400, INVALID)
    if expires <= now:
        raise Refused(410, EXPIRED)
    return plan


def _parts(token: str) -> tuple[ErasurePlan, int, str]:
    numbers, _, signature = token.rpartition(".")
    counts = numbers.split(".")
    # isascii too: isdigit takes '²', which int() then refuses (a 500, not a 400).
    if len(counts) != 3 or not all(c.isascii() and c.isdigit() and len(c) <= 12 for c in counts):
        raise Refused(400, INVALID)
    submissions, published, expires = (int(c) for c in counts)
    return ErasurePlan(submissions, published), expires, signature
