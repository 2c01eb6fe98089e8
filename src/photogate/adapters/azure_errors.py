"""Azure SDK failures as photogate errors: those worth retrying become StorageUnavailable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

from photogate.errors import StorageUnavailable

# 408 and 429 are the service asking us to come back; every 5xx is its own failure.
_TRANSIENT_STATUSES = frozenset({408, 429})


@contextmanager
def storage_errors(doing: str) -> Iterator[None]:
    """Turn transient SDK failures inside the block into StorageUnavailable.

    `doing` completes "Azure Storage failed to …". Reached only once the SDK's own retries
    are spent. Other errors (404, 409, 403…) pass through for the caller to interpret.
    """
    try:
        yield
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise StorageUnavailable(f"Azure Storage could not be reached to {doing}: {exc}") from exc
    except HttpResponseError as exc:
        if not is_transient(exc):
            raise
        raise StorageUnavailable(
            f"Azure Storage failed to {doing}: {exc.status_code} {error_code(exc) or exc.reason}",
            retry_after=_retry_after(exc),
        ) from exc


def is_transient(exc: HttpResponseError) -> bool:
    """Whether the status says "try again later" (408, 429 or any 5xx)."""
    status = exc.status_code or 0
    return status in _TRANSIENT_STATUSES or status >= 500


def error_code(exc: HttpResponseError) -> str | None:
    """Storage's error code ("ContainerNotFound", "PopReceiptMismatch"…), if it sent one."""
    # The Storage SDKs attach it to the exception at run time; azure-core does not declare it.
    # It is a StorageErrorCode (a str Enum, whose str() is its Python name) or a plain str.
    code = getattr(exc, "error_code", None)
    return None if code is None else str(getattr(code, "value", code))


def _retry_after(exc: HttpResponseError) -> float | None:
    headers = getattr(exc.response, "headers", None) or {}
    value = headers.get("Retry-After")
    try:
        return float(value) if value else None
    except ValueError:  # an HTTP date: let the caller's own backoff decide
        return None
