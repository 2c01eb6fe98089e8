"""Azure Storage clients from settings: a connection string, or account URLs and an identity."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Final, TypeVar

from azure.core.credentials_async import AsyncTokenCredential
from azure.identity.aio import DefaultAzureCredential
from azure.storage.blob.aio import BlobServiceClient, ExponentialRetry
from azure.storage.queue.aio import QueueServiceClient

from photogate.errors import ConfigError
from photogate.settings import AzureSettings

# However many retries are configured, no single wait grows past this.
_MAX_BACKOFF_S = 30.0
CONNECTION_STRING_VARIABLE: Final = "PHOTOGATE_AZURE__CONNECTION_STRING"

Client = TypeVar("Client")


class SettingsRetry(ExponentialRetry):
    """The Storage SDK's retry policy, waiting `backoff_s`, then twice that, four times…

    The SDK's own ExponentialRetry waits initial + base**n seconds (15 s, 18 s, 24 s by
    default), too coarse to configure from one backoff setting. Every kind of failure (connection,
    read, 5xx/408 status) counts against the one `retry_total`. The queue clients use it
    too: both packages ship the same vendored retry code, and only the blob package exports
    its async policy.
    """

    def __init__(self, *, retry_total: int, backoff_s: float) -> None:
        super().__init__(
            retry_total=retry_total,
            retry_connect=retry_total,
            retry_read=retry_total,
            retry_status=retry_total,
        )
        self.backoff_s = backoff_s

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        """The wait before retry number settings["count"] (1 for the first), jittered ±20 %."""
        retry: int = settings["count"]
        delay = min(_MAX_BACKOFF_S, self.backoff_s * 2.0 ** (retry - 1))
        # Jitter keeps clients that failed together from retrying together; not crypto.
        return delay * random.uniform(0.8, 1.2)  # noqa: S311


def retry_policy(settings: AzureSettings) -> SettingsRetry:
    """The retry policy every Storage client of ours uses, from PHOTOGATE_AZURE__RETRY_*."""
    return SettingsRetry(retry_total=settings.retry_total, backoff_s=settings.retry_backoff_s)


def storage_credential(settings: AzureSettings) -> AsyncTokenCredential | None:
    """None when a connection string carries the key, else DefaultAzureCredential.

    On Azure that is the managed identity (a user-assigned one is picked by AZURE_CLIENT_ID);
    on a developer's machine, `az login`. The caller owns the credential and must close it.
    """
    if settings.connection_string.get_secret_value():
        return None
    missing = settings.missing_variables()
    if missing:
        raise ConfigError(f"Azure Storage needs a connection string or {' and '.join(missing)}")
    return DefaultAzureCredential()


def blob_service_client(
    settings: AzureSettings, credential: AsyncTokenCredential | None
) -> BlobServiceClient:
    """A Blob service client with our retry policy; no request is made yet."""
    connection_string = settings.connection_string.get_secret_value()
    if connection_string:
        return _parsed(BlobServiceClient.from_connection_string, connection_string, settings)
    return BlobServiceClient(
        settings.blob_account_url, credential=credential, retry_policy=retry_policy(settings)
    )


def queue_service_client(
    settings: AzureSettings, credential: AsyncTokenCredential | None
) -> QueueServiceClient:
    """A Queue service client with our retry policy; no request is made yet."""
    connection_string = settings.connection_string.get_secret_value()
    if connection_string:
        return _parsed(QueueServiceClient.from_connection_string, connection_string, settings)
    return QueueServiceClient(
        settings.queue_account_url, credential=credential, retry_policy=retry_policy(settings)
    )


def _parsed(
    from_connection_string: Callable[..., Client], connection_string: str, settings: AzureSettings
) -> Client:
    """A client from the connection string; one the SDK cannot parse is a ConfigError naming
    the variable, never showing its value: it holds the account key.
    """
    try:
        return from_connection_string(connection_string, retry_policy=retry_policy(settings))
    except ValueError as exc:
        raise ConfigError(
            f"{CONNECTION_STRING_VARIABLE} is not a valid Azure Storage connection string"
            f"{_reason(exc, connection_string)}: copy it again from the storage account"
            " (Access keys), or leave it empty and set the account URLs"
        ) from None


def _reason(exc: ValueError, connection_string: str) -> str:
    # The SDK's messages are fixed sentences; one quoting any piece of the string is dropped.
    reason = " ".join(str(exc).split()).rstrip(".")
    pieces = (p for p in connection_string.replace("=", ";").split(";") if len(p) >= 4)
    if not reason or any(piece in reason for piece in pieces):
        return ""
    return f" ({reason})"
