"""How the console refuses: a redirect to sign in for pages, else a status and a plain sentence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from photogate.entrypoints.web.templating import templates
from photogate.errors import InputError

if TYPE_CHECKING:  # auth raises these refusals, so it cannot be imported here at run time
    from photogate.entrypoints.web.console.auth import Staff

CONSOLE: Final = "/console"
# Where a checked console form asked to return to (its safe `back`), kept for its refusal page.
FORM_BACK: Final = "console_form_back"

HEADINGS: Final = {
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "Changed since you looked",
    410: "Expired",
    413: "Form too large",
    415: "Not a console form",
    429: "Too many attempts",
}


class Refused(Exception):
    """The request is not allowed; answered with `status` and a sentence for a person."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


class SignInRequired(Exception):
    """A console page was asked for without signing in; answered with a redirect to sign in."""

    def __init__(self, back_to: str) -> None:
        super().__init__(back_to)
        self.location = f"/console/sign-in?next={quote(back_to, safe='/')}"


def install_console_errors(app: FastAPI, staff_of: Callable[[Request], Staff | None]) -> None:
    """Answer the console's refusals, on a page whose menu is that of `staff_of` the request
    (who is signed in); the app's own handlers answer everything else.
    """

    async def refused(request: Request, exc: Refused) -> Response:
        return _refused(request, exc, staff_of(request))

    app.add_exception_handler(Refused, refused)  # type: ignore[arg-type]
    app.add_exception_handler(SignInRequired, _sign_in)  # type: ignore[arg-type]


def _refused(request: Request, exc: Refused, staff: Staff | None) -> Response:
    heading = HEADINGS.get(exc.status, "Please check the form")
    context = {"status": exc.status, "heading": heading, "message": exc.message}
    # A refused form leads back to the page it came from, where it can be put right.
    back = getattr(request.state, FORM_BACK, CONSOLE)
    context |= {"staff": staff, "notice": None, "back": back, "from_form": back != CONSOLE}
    response = templates().TemplateResponse(
        request, "console/refused.html", context, status_code=exc.status
    )
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    response.headers["Cache-Control"] = "no-store"
    if exc.status == 413:
        # The rest of the body was never read: close, rather than take it in to throw away.
        response.headers["Connection"] = "close"
    return response


async def _sign_in(request: Request, exc: SignInRequired) -> Response:
    return RedirectResponse(exc.location, status_code=303, headers={"Cache-Control": "no-store"})


@contextmanager
def as_refusal() -> Iterator[None]:
    """Show a use case's refusal (a missing note, an unknown id) on the console's own page."""
    try:
        yield
    except InputError as exc:
        raise Refused(exc.status, exc.detail) from exc
