"""One exception hierarchy for photogate: input, not-found, transient and permanent failures."""

from __future__ import annotations


class PhotogateError(Exception):
    """Root of every error photogate raises on purpose."""


class ConfigError(PhotogateError):
    """A setting is missing or wrong; the message names the variable to fix."""


class InputError(PhotogateError):
    """A caller sent something we refuse; `code` is machine-readable, `detail` says what to fix."""

    status: int = 400

    def __init__(self, code: str, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        if status is not None:
            self.status = status


class NotFound(InputError):
    """The thing asked for does not exist."""

    status = 404


class RateLimited(InputError):
    """Too many requests from one client or for one address; try again after `retry_after` s."""

    status = 429

    def __init__(self, code: str, detail: str, *, retry_after: float) -> None:
        super().__init__(code, detail)
        self.retry_after = retry_after


class DuplicateUpload(InputError):
    """The same file was sent for the same product before; nothing new was stored.

    `submission_id` names the earlier submission when it is the same customer's (its status
    link is theirs to see), and is None when it is someone else's (never revealed).
    """

    status = 409

    def __init__(self, code: str, detail: str, *, submission_id: str | None) -> None:
        super().__init__(code, detail)
        self.submission_id = submission_id


class TransientError(PhotogateError):
    """A failure worth retrying later; `retry_after` is the delay in seconds the peer asked for."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(PhotogateError):
    """A failure that retrying cannot fix; the work item is settled with this reason."""


class Throttled(TransientError):
    """Work held back, not failed: a service is at capacity, or cannot take our calls at all.

    Retry after `retry_after`; a throttled attempt does not count toward the poison limit.
    """


class ScannerBusy(Throttled):
    """The scanner answered 429: it is over capacity."""


class ScannerUnavailable(TransientError):
    """The scanner answered 5xx, timed out or could not be reached.

    Each one costs the message an attempt; a run of them pauses every scanner call (the
    limiter's circuit breaker), so a passing outage costs a few attempts, not the backlog.
    """


class ScannerMisconfigured(Throttled):
    """The scanner refused us (bad API key or URL): fix the settings; messages stay queued.

    Our settings are wrong, not the image, so it costs no attempt: the message comes back
    after `retry_after` (a minute unless told otherwise) and scanner calls pause meanwhile.
    """

    RETRY_AFTER_S = 60.0

    def __init__(self, message: str, *, retry_after: float | None = RETRY_AFTER_S) -> None:
        super().__init__(message, retry_after=retry_after)


class ScanInputRejected(PermanentError):
    """The scanner refused the image itself (400, 413, 415)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"scanner refused the image ({status}): {reason}")
        self.status = status
        self.reason = reason


class MailDeferred(TransientError):
    """The mail server answered 4xx or could not be reached; try again later."""


class MailRejected(PermanentError):
    """The mail server answered 5xx; this email will never go through."""


class MailUnconfirmed(PhotogateError):
    """The mail server was handed the whole message, but its answer never came (the
    connection dropped, or the wait for it timed out).

    It has most likely been delivered: a server takes the message before it answers. Sending
    it again would most likely send a second copy, so it is not sent again.
    """


class EmailInFlight(Throttled):
    """The email cannot be sent now: another delivery of the same notification is sending it,
    or it is held while the moderator's rejection it tells of can still be undone.

    Held back, not failed: retry after `retry_after` to find it sent (nothing left to do), its
    claim run out (the sender crashed) or its hold over, and then send it; or, if the
    rejection was undone meanwhile, find it gone.
    """


class BlobNotFound(PhotogateError):
    """No blob by that name in that container."""


class ReceiptExpired(PhotogateError):
    """A queue message's pop receipt is stale: someone else now owns the message."""


class StorageUnavailable(TransientError):
    """A storage backend failed in a way worth retrying."""


class CatalogConflict(PermanentError):
    """The catalog refused a write that breaks one of its rules (a duplicate or unknown id)."""
