"""CSRF protection: every console POST carries the synchronizer token of its session."""

from __future__ import annotations

import hmac
from typing import Final

from starlette.datastructures import FormData

from photogate.entrypoints.web.console.errors import Refused

FIELD: Final = "csrf_token"
EXPIRED: Final = (
    "This form has expired or did not come from the console. Reload the page and retry."
)


def check_csrf(form: FormData, expected: str) -> None:
    """Refuse (403) unless the form's token is the session's, compared in constant time."""
    sent = form.get(FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Refused(403, EXPIRED)
