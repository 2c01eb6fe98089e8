"""Refusal: an error answer of the reference scanner, with the contract's Error JSON body."""

from __future__ import annotations


class Refusal(Exception):
    """The service refuses a request: HTTP `status`, a short `error` code and a `detail`.

    It never leaves the reference scanner: the app turns it into an HTTP answer.
    """

    def __init__(
        self, status: int, error: str, detail: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail
        self.retry_after = retry_after

    def body(self) -> dict[str, str]:
        """The contract's Error object."""
        return {"error": self.error, "detail": self.detail}

    def headers(self) -> dict[str, str]:
        """Retry-After (integer seconds) when the client should come back later."""
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
