"""Whom a message is addressed to, as the mailers that keep copies find them for an erasure."""

from __future__ import annotations

from email.message import Message
from email.utils import getaddresses

# Every header a copy of the message names a recipient in (Bcc too: a kept copy still has it).
_RECIPIENT_HEADERS = ("To", "Cc", "Bcc")


def address_key(address: str) -> str:
    """An address as erasure compares it: trimmed and case folded, like the catalog's email_key."""
    return address.strip().casefold()


def recipients(message: Message) -> frozenset[str]:
    """The address keys of everyone the message is addressed to."""
    values = [str(value) for name in _RECIPIENT_HEADERS for value in message.get_all(name, [])]
    return frozenset(address_key(address) for _, address in getaddresses(values) if address)
