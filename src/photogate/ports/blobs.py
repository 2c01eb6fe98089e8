"""BlobStore: where originals wait in quarantine and approved renditions are published."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final, Protocol, runtime_checkable

# The longest a direct-upload grant may stay valid, whatever a caller or a setting asks for.
MAX_GRANT_LIFETIME: Final = timedelta(minutes=10)
# How long browsers and CDNs may keep a public blob. A photo taken down or erased is deleted
# from the container, but a cached copy outlives that: an hour bounds how long it is still
# seen, while a gallery's photos are fetched once per visit, not once per page.
PUBLIC_CACHE_CONTROL: Final = "public, max-age=3600"


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

    async def delete_folder(self, container: Container, folder: str) -> int:
        """Remove every blob whose name starts with `folder` + "/"; how many went. None there
        is not an error. `folder` must itself be a safe blob name.
        """
        ...

    async def names_before(self, container: Container, before: datetime) -> list[str]:
        """The names of every blob last written before `before`, in no particular order."""
        ...

    def public_url(self, name: str) -> str:
        """The URL at which a blob of the public container is served to browsers."""
        ...


@runtime_checkable
class LeftoverFiles(Protocol):
    """A BlobStore whose writes, cut off by a crash, can leave partial files that are no blob
    (the filesystem store's hidden temp files): nothing else would ever delete them.
    """

    async def delete_leftovers(self, before: datetime) -> int:
        """Delete the partial files of writes begun before `before`; how many went."""
        ...


@dataclass(frozen=True)
class UploadGrant:
    """Leave for a browser to create one quarantine blob: PUT the file to `url` with `headers`."""

    url: str
    expires_at: datetime
    headers: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class DirectUploads(Protocol):
    """A BlobStore that can let browsers put a file into quarantine themselves (a valet key).

    Optional: a store without it (the filesystem store) keeps uploads on the multipart path.
    """

    async def grant_upload(self, name: str, expires_in: timedelta) -> UploadGrant:
        """Leave to create the quarantine blob `name` once, for at most MAX_GRANT_LIFETIME.

        The grant allows nothing else: no read, no overwrite, no delete, no other name.
        """
        ...

    async def stored_size(self, name: str) -> int | None:
        """The size in bytes of quarantine blob `name`, or None if there is none."""
        ...

    def upload_origin(self) -> str:
        """The origin ("scheme://host[:port]") browsers send granted uploads to."""
        ...
