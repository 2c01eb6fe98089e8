"""What the product page's photo form says about a refusal, and which field it points at.

One table for both ways the form is sent: the page hands it to upload.js, and the no-JS route
renders it. The server's own detail is shown unless the table has words for the code: only
the form-field codes, whose API detail names fields as an API client knows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from photogate.entrypoints.web.upload import YES
from photogate.intake.form import MAX_DISPLAY_NAME
from photogate.settings import UploadSettings

FILE_CODES: Final = (
    "file_required",
    "empty_file",
    "file_too_large",
    "image_too_large",
    "image_too_small",
    "unsupported_type",
    "animated_image",
    "corrupt_image",
    "already_sent_by_someone_else",
)
# The form field each refusal is about; codes not listed are about the whole form.
FIELD_OF: Final[Mapping[str, str]] = {
    **dict.fromkeys(FILE_CODES, "file"),
    "invalid_email": "email",
    "display_name_required": "display_name",
    "display_name_too_long": "display_name",
    "caption_too_long": "caption",
    "consent_required": "consent",
    "unknown_licence": "consent",
}


@dataclass(frozen=True)
class FormError:
    """A refusal as the page shows it: its code, the field at fault (if one) and the words."""

    code: str
    field: str | None
    message: str


@dataclass(frozen=True)
class TypedFields:
    """What the customer typed, put back in the form after a refusal (never the file)."""

    email: str = ""
    display_name: str = ""
    caption: str = ""
    consent: bool = False


NOTHING_TYPED: Final = TypedFields()


def customer_words(uploads: UploadSettings) -> dict[str, str]:
    """Plain words for the codes whose API detail speaks in field names."""
    return {
        "file_required": "Please choose a photo to upload.",
        "invalid_email": "Please enter a valid email address, like name@example.com.",
        "display_name_required": "Please enter the name to show with your photo.",
        "display_name_too_long": (
            f"That name is too long. Please shorten it to {MAX_DISPLAY_NAME} characters."
        ),
        "caption_too_long": (
            f"The caption is too long. Please shorten it to {uploads.max_caption} characters."
        ),
        "consent_required": (
            "Please tick the box to accept the photo licence, so we may show your photo."
        ),
        "unknown_licence": (
            "The photo licence changed since you opened this page. Please read it and tick "
            "the box again."
        ),
    }


def error_table(uploads: UploadSettings) -> dict[str, tuple[str | None, str | None]]:
    """Code → (field id, words or None to show the server's detail), for upload.js."""
    words = customer_words(uploads)
    return {code: (FIELD_OF.get(code), words.get(code)) for code in {*FIELD_OF, *words}}


def form_error(code: str, detail: str, uploads: UploadSettings) -> FormError:
    """The refusal `code` with the server's `detail`, as the page shows it."""
    return FormError(code, FIELD_OF.get(code), customer_words(uploads).get(code, detail))


def typed_fields(fields: Mapping[str, str], licence_version: str) -> TypedFields:
    """The text fields as sent; the box stays ticked only for the licence the page shows now."""
    ticked = fields.get("consent", "").strip().lower() in YES
    same_licence = fields.get("licence_version", "").strip() in {"", licence_version}
    return TypedFields(
        email=fields.get("email", ""),
        display_name=fields.get("display_name", ""),
        caption=fields.get("caption", ""),
        consent=ticked and same_licence,
    )
