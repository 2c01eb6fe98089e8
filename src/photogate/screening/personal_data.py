"""Patterns for personal data in captions: email addresses, phone numbers, street addresses.

Tuned to miss little that looks like contact details while leaving prices, dates, sizes,
model numbers and "2 days on the road" alone; each pattern has tests both ways.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from photogate.screening.findings import CaptionHit, HitKind

EMAIL: Final = re.compile(
    r"(?<![\w.+-])[\w.+-]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*\.[^\W\d_]{2,}"
    r"(?![\w-])"
)
# A run of digits with the separators people write phone numbers with; judged afterwards.
_PHONE_RUN: Final = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ().\-/]{5,}\d(?![\w])")
_DOTTED_QUAD: Final = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DATE_LIKE: Final = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
_MIN_DIGITS, _MAX_DIGITS = 9, 15  # E.164 allows 15; national numbers have at least 9
_CAPITAL: Final = "A-ZÀ-ÖØ-Þ"
_STREET_WORDS: Final = (
    "Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl"
    "|Terrace|Crescent|Close|Highway|Hwy|Square|Sq|Parkway|Pkwy"
)
# "221B Baker Street": a house number, one to three capitalised words, a street word.
STREET_FIRST_NUMBER: Final = re.compile(
    rf"(?<![\w.,])\d{{1,5}}[A-Za-z]?,?\s+(?:[{_CAPITAL}][\w'’.-]*\s+){{1,3}}"
    rf"(?:{_STREET_WORDS})\b\.?"
)
# "12 rue de la Paix", "5 via Roma", "3 calle Mayor": Romance street words follow the number.
NUMBER_THEN_ROMANCE: Final = re.compile(
    rf"(?<![\w.,])\d{{1,5}}[a-z]?,?\s+(?:rue|avenue|boulevard|chemin|via|viale|calle|avenida)"
    rf"\s+(?:(?:de|del|della|des|du|la|le|d')\s*)*[{_CAPITAL}][\w'’-]*",
    re.IGNORECASE,
)
# "Hauptstraße 5", "Kerkstraat 12a": Germanic street names come before the number.
STREET_THEN_NUMBER: Final = re.compile(
    rf"(?<!\w)[{_CAPITAL}][\w-]*(?:straße|strasse|str\.|weg|gasse|allee|platz|straat|laan"
    r"|gatan|vej|veien)\s+\d{1,4}[a-z]?(?!\w)"
)


def personal_data(text: str) -> Iterator[CaptionHit]:
    """Every stretch of `text` that looks like an email address, phone number or address."""
    yield from _hits(HitKind.EMAIL, EMAIL, text)
    yield from (hit for hit in _hits(HitKind.PHONE, _PHONE_RUN, text) if _is_phone(hit.text))
    for pattern in (STREET_FIRST_NUMBER, NUMBER_THEN_ROMANCE, STREET_THEN_NUMBER):
        yield from _hits(HitKind.ADDRESS, pattern, text)


def _hits(kind: HitKind, pattern: re.Pattern[str], text: str) -> Iterator[CaptionHit]:
    for found in pattern.finditer(text):
        yield CaptionHit(kind, found.start(), found.end(), found.group())


def _is_phone(candidate: str) -> bool:
    """Enough digits, and written like a phone number rather than an order number or a date."""
    digits = sum(ch.isdigit() for ch in candidate)
    if not _MIN_DIGITS <= digits <= _MAX_DIGITS:
        return False
    if _DOTTED_QUAD.fullmatch(candidate) or _DATE_LIKE.fullmatch(candidate):
        return False
    international = candidate.startswith(("+", "00"))
    # A bare run of digits is an order or model number unless it starts like a trunk prefix.
    grouped = any(ch in " ().-/" for ch in candidate)
    return international or grouped or candidate.startswith("0")
