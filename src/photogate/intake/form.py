"""The customer's form fields, checked before anything is stored."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from photogate.domain.licence import is_known
from photogate.errors import InputError
from photogate.settings import UploadSettings

MAX_DISPLAY_NAME = 80


@dataclass(frozen=True)
class UploadForm:
    """What the customer typed beside the photo."""

    sku: str
    email: str
    display_name: str
    caption: str
    consent: bool
    # The licence version shown beside the box the customer ticked; empty: not told.
    licence_version: str = ""


def checked_form(form: UploadForm, limits: UploadSettings) -> UploadForm:
    """The form with normalised fields; raises InputError naming the first bad field."""
    if not form.consent:
        raise InputError(
            "consent_required",
            "consent must be true: you must accept the photo licence, which allows Tailwind"
            " Traders to show your photo",
            status=422,
        )
    if form.licence_version and not is_known(form.licence_version):
        raise InputError(
            "unknown_licence",
            f"there is no photo licence of version {form.licence_version!r}; reload the page",
            status=422,
        )
    return UploadForm(
        sku=form.sku,
        email=_checked_email(form.email),
        display_name=_checked_display_name(form.display_name),
        caption=_checked_caption(form.caption, limits.max_caption),
        consent=True,
        licence_version=form.licence_version,
    )


def _checked_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InputError("invalid_email", f"email is not valid: {exc}", status=422) from None


def _checked_display_name(raw: str) -> str:
    name = _clean_text(raw)
    if not name:
        raise InputError("display_name_required", "display_name must not be empty", status=422)
    if len(name) > MAX_DISPLAY_NAME:
        raise InputError(
            "display_name_too_long",
            f"display_name is {len(name)} characters; at most {MAX_DISPLAY_NAME} are allowed",
            status=422,
        )
    return name


def _checked_caption(raw: str, limit: int) -> str:
    caption = _clean_text(raw, keep_newlines=True)
    if len(caption) > limit:
        raise InputError(
            "caption_too_long",
            f"caption is {len(caption)} characters; at most {limit} are allowed",
            status=422,
        )
    return caption


def _clean_text(raw: str, *, keep_newlines: bool = False) -> str:
    """NFC-normalised text without control characters (NUL, escapes, bidi tricks aside from \\n)."""
    allowed = {"\n"} if keep_newlines else set()
    text = unicodedata.normalize("NFC", raw)
    kept = (ch for ch in text if ch in allowed or unicodedata.category(ch)[0] != "C")
    return "".join(kept).strip()
