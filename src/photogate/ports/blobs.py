"""BlobStore: where originals wait in quarantine and approved renditions are published."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol


class Container(StrEnum):
    """The two containers: quarantine is never served; public is served under /media/."""

    QUARANTINE = "quarantine"
    PUBLIC = "public"


class BlobStore(Protocol):
    """Named binary objects in two containers. Names are ours, never a client's filename."""

    async def put(self, container: Container, name: str, data: bytes, content_type: str) -> None:
        """Store `data` under `name`, replacing any blob of that name; atomic for readers."""
        ...

    async def get(self, container: Container, name: str) -> bytes:
        """The blob's bytes; raises BlobNotFound if there is none."""
        ...

    async def exists(self, container: Container, name: str) -> bool:
        """Whether a blob of that name is there."""
        ...

    async def delete(self, container: Container, name: str) -> None:
        """Remove the blob; removing one that is not there is not an error."""
        ...

    def public_url(self, name: str) -> str:
        """The URL at which a blob of the public container is served to browsers."""
        ...
