"""The reasons people give for a decision: a code from a fixed list, and a note for the audit."""

from __future__ import annotations

from enum import StrEnum

from photogate.domain.moderation import MAX_NOTE, coded_reason
from photogate.errors import InputError

OTHER = "other"


def checked_coded_reason(code: StrEnum, note: str, *, done: str) -> str:
    """The audit reason for `code`: "code" or "code: note"; InputError (422) for "other" without
    a note (the code alone then says nothing) or a note over MAX_NOTE. `done` is what happens to
    the photo ("refused", "taken down"), for the message.
    """
    note = note.strip()
    if code == OTHER and not note:
        detail = f"Please say in the note why the photo is {done} when the reason is 'other'."
        raise InputError("note_required", detail, status=422)
    if len(note) > MAX_NOTE:
        raise InputError("note_too_long", f"Keep the note under {MAX_NOTE} characters.", status=422)
    return coded_reason(code, note)
