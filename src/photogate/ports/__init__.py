"""The pipeline's ports: the small interfaces the use cases are written against."""

from __future__ import annotations

from dataclasses import dataclass

from photogate.ports.blobs import BlobStore, Container, DirectUploads, UploadGrant
from photogate.ports.catalog import Catalog
from photogate.ports.mailer import Mailer
from photogate.ports.queue import MessageQueue, QueueMessage
from photogate.ports.scanner import Scanner

__all__ = [
    "BlobStore",
    "Catalog",
    "Container",
    "DirectUploads",
    "Mailer",
    "MessageQueue",
    "Ports",
    "QueueMessage",
    "Scanner",
    "UploadGrant",
]


@dataclass(frozen=True)
class Ports:
    """One adapter for each port, as the composition root chose them."""

    blobs: BlobStore
    queue: MessageQueue
    catalog: Catalog
    scanner: Scanner
    mailer: Mailer
