"""MessageQueue on Azure Storage Queues, base64-encoded as Azure Functions' trigger expects."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.storage.queue import QueueMessage as AzureMessage
from azure.storage.queue import TextBase64DecodePolicy, TextBase64EncodePolicy
from azure.storage.queue.aio import QueueClient, QueueServiceClient

from photogate.adapters.azure_auth import queue_service_client, storage_credential
from photogate.adapters.azure_errors import error_code, storage_errors
from photogate.errors import ReceiptExpired
from photogate.ports.queue import QueueMessage
from photogate.settings import AzureSettings

# Azure's rule for queue names: 3-63 lowercase letters, digits and single hyphens,
# starting and ending with a letter or digit.
_QUEUE_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
# A message may be 64 KiB once base64-encoded: 48 KiB of UTF-8 text.
_MAX_ENCODED_BYTES = 64 * 1024
_MAX_PER_REQUEST = 32
_SEVEN_DAYS_S = 7 * 24 * 3600
# Never expire: like the embedded queue, a backlog a week old must not vanish unseen.
_NEVER = -1


class AzureStorageQueue:
    """Named queues `<prefix><name>`, each created on first use.

    Azure counts visibility in whole seconds: timeouts and delays are rounded up.
    """

    def __init__(
        self,
        service: QueueServiceClient,
        *,
        prefix: str = "",
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        self._service = service
        self._prefix = prefix
        self._credential = credential
        self._ready: dict[str, QueueClient] = {}

    @classmethod
    def from_settings(cls, settings: AzureSettings) -> AzureStorageQueue:
        """The queues PHOTOGATE_AZURE__* describe; it signs in lazily, on the first request."""
        credential = storage_credential(settings)
        return cls(
            queue_service_client(settings, credential),
            prefix=settings.queue_prefix,
            credential=credential,
        )

    async def send(self, queue: str, body: str, *, delay: float = 0.0) -> str:
        """Enqueue `body` (at most 48 KiB of UTF-8), invisible for `delay` s; returns its id."""
        _check_size(body)
        client = await self._queue(queue)
        with storage_errors(f"send to queue {client.queue_name}"):
            sent = await client.send_message(
                body, visibility_timeout=_whole_seconds(delay, 0), time_to_live=_NEVER
            )
        return str(sent.id)

    async def receive(
        self, queue: str, *, max_messages: int = 1, visibility_timeout: float = 30.0
    ) -> list[QueueMessage]:
        """Take up to `max_messages` visible messages and hide them (at least 1 s)."""
        if max_messages < 1:
            return []
        client = await self._queue(queue)
        with storage_errors(f"receive from queue {client.queue_name}"):
            pages = client.receive_messages(
                messages_per_page=min(max_messages, _MAX_PER_REQUEST),
                max_messages=max_messages,
                visibility_timeout=_whole_seconds(visibility_timeout, 1),
            )
            return [_received(message) async for message in pages]

    async def delete(self, queue: str, message: QueueMessage) -> None:
        """Remove a received message; raises ReceiptExpired if its receipt is stale."""
        client = await self._queue(queue)
        with storage_errors(f"delete a message of {client.queue_name}"), _stale_as_expired(message):
            await client.delete_message(message.id, message.pop_receipt)

    async def update_visibility(
        self, queue: str, message: QueueMessage, visibility_timeout: float
    ) -> QueueMessage:
        """Hide the message for `visibility_timeout` s from now; returns it with a new receipt."""
        client = await self._queue(queue)
        with storage_errors(f"update a message of {client.queue_name}"), _stale_as_expired(message):
            updated = await client.update_message(
                message.id,
                message.pop_receipt,
                visibility_timeout=_whole_seconds(visibility_timeout, 0),
            )
        return replace(message, pop_receipt=str(updated.pop_receipt))

    async def count(self, queue: str) -> int:
        """Azure's approximate number of messages in the queue, visible or not."""
        client = await self._queue(queue)
        with storage_errors(f"count the messages of {client.queue_name}"):
            properties = await client.get_queue_properties()
        return properties.approximate_message_count or 0

    async def peek(self, queue: str, *, max_messages: int = 1) -> list[QueueMessage]:
        """Up to `max_messages` (at most 32) visible messages, oldest first, left as they are.

        A peeked message has no pop receipt (""), so it cannot be deleted or updated.
        """
        if max_messages < 1:
            return []
        client = await self._queue(queue)
        with storage_errors(f"peek at queue {client.queue_name}"):
            peeked = await client.peek_messages(max_messages=min(max_messages, _MAX_PER_REQUEST))
        return [_received(message) for message in peeked]

    async def aclose(self) -> None:
        """Close the HTTP connections and the credential."""
        await self._service.close()
        if self._credential is not None:
            await self._credential.close()

    async def _queue(self, queue: str) -> QueueClient:
        """The client of our queue `queue`, created in Azure on its first use by this process."""
        client = self._ready.get(queue)
        if client is None:
            client = self._service.get_queue_client(
                _queue_name(self._prefix, queue),
                message_encode_policy=TextBase64EncodePolicy(),
                message_decode_policy=TextBase64DecodePolicy(),
            )
            await _create(client)
            self._ready[queue] = client
        return client


async def _create(client: QueueClient) -> None:
    with storage_errors(f"create queue {client.queue_name}"):
        try:
            await client.create_queue()
        except ResourceExistsError:  # there already, with other metadata: just as good
            return


@contextmanager
def _stale_as_expired(message: QueueMessage) -> Iterator[None]:
    """Turn Azure's answers to a stale pop receipt into ReceiptExpired.

    404 MessageNotFound: deleted, or received again and deleted by its new owner.
    400 PopReceiptMismatch: received again since this receipt was issued.
    """
    try:
        yield
    except HttpResponseError as exc:
        if not _is_stale(exc):
            raise
        raise ReceiptExpired(
            f"message {message.id} was received again or deleted since this receipt was"
            " issued; drop it, its new owner will settle it"
        ) from None


def _is_stale(exc: HttpResponseError) -> bool:
    return exc.status_code == 404 or error_code(exc) == "PopReceiptMismatch"


def _received(message: AzureMessage) -> QueueMessage:
    return QueueMessage(
        id=str(message.id),
        body=message.content or "",
        pop_receipt=message.pop_receipt or "",  # a peeked message has none
        dequeue_count=message.dequeue_count or 0,
        inserted_at=_utc(message.inserted_on),
    )


def _utc(moment: datetime | None) -> datetime:
    if moment is None:  # Azure always sends it; this only keeps the type honest
        raise ValueError("Azure returned a received message without its insertion time")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _whole_seconds(seconds: float, minimum: int) -> int:
    """Azure's whole seconds: rounded up, so a message is never visible early; capped at 7 days."""
    return min(_SEVEN_DAYS_S, max(minimum, math.ceil(seconds)))


def _check_size(body: str) -> None:
    size = len(body.encode())
    if 4 * math.ceil(size / 3) > _MAX_ENCODED_BYTES:
        raise ValueError(
            f"a queue message of {size} bytes is over Azure's 48 KiB (64 KiB in base64):"
            " keep large payloads in blobs and send their names"
        )


def _queue_name(prefix: str, queue: str) -> str:
    name = f"{prefix}{queue}"
    if not _QUEUE_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a valid Azure queue name: use 3-63 lowercase letters, digits"
            " and single hyphens (check PHOTOGATE_AZURE__QUEUE_PREFIX)"
        )
    return name
