"""The photo licence customers accept when they upload, kept word for word by version."""

from __future__ import annotations

from typing import Final

# A version is never edited once customers accepted it: a change is a new version.
LICENCES: Final[dict[str, tuple[str, ...]]] = {
    "2026-01": (
        "You confirm that you took this photo yourself, or that whoever took it allows you to "
        "share it, and that the people who can be recognised in it agree to it being shown.",
        "You allow Tailwind Traders to show the photo, re-encoded and resized, with the name "
        "and caption you gave, on the page of the product it shows, for as long as it is "
        "published. This permission is free of charge and not exclusive: the photo stays yours.",
        "Tailwind Traders may decide not to show the photo, or stop showing it at any time.",
        "You may withdraw at any time with the link in any email we send you about the photo: "
        "we then unpublish all your photos and erase them, your email address and your name.",
        "We use your email address only to tell you about your photos. Originals of photos we "
        "do not publish are deleted after a retention period.",
    ),
}
CURRENT: Final = "2026-01"


def is_known(version: str) -> bool:
    """Whether `version` names a licence text we keep."""
    return version in LICENCES
