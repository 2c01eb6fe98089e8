"""In-memory BlobStore for unit tests: same name rules and semantics as the real stores."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from photogate.adapters.blob_names import blob_url, check_blob_name
from photogate.clock import Clock, utcnow
from photogate.errors import BlobNotFound
from photogate.ports.blobs import MAX_GRANT_LIFETIME, Container, UploadGrant


@dataclass(frozen=True)
class StoredBlob:
    """One stored blob, as a test sees it."""

    data: bytes
    content_type: str
    written_at: datetime | None = None


class InMemoryBlobStore:
    """BlobStore kept in a dict; `names` and `blob` let tests look inside without awaiting."""

    def __init__(self, public_base_url: str = "/media", *, clock: Clock = utcnow) -> None:
        self._public_base_url = public_base_url
        self._clock = clock
        self._blobs: dict[tuple[Container, str], StoredBlob] = {}

    async def put(self, container: Container, name: str, data: bytes, content_type: str) -> None:
        """Store a copy of `data` under `name`, replacing any blob of that name."""
        stored = StoredBlob(bytes(data), content_type, self._clock())
        self._blobs[_key(container, name)] = stored

    async def get(self, container: Container, name: str) -> bytes:
        """The blob's bytes; raises BlobNotFound if there is none."""
        return self.blob(container, name).data

    async def exists(self, container: Container, name: str) -> bool:
        """Whether a blob of that name is there."""
        return _key(container, name) in self._blobs

    async def delete(self, container: Container, name: str) -> None:
        """Remove the blob; a missing blob is not an error."""
        self._blobs.pop(_key(container, name), None)

    async def delete_folder(self, container: Container, folder: str) -> int:
        """Remove every blob under `folder`/; how many went."""
        prefix = f"{check_blob_name(folder)}/"
        doomed = [name for name in self.names(container) if name.startswith(prefix)]
        for name in doomed:
            await self.delete(container, name)
        return len(doomed)

    async def names_before(self, container: Container, before: datetime) -> list[str]:
        """The names of the blobs written before `before` (by this store's clock)."""
        wanted = Container(container)
        return [
            name
            for (where, name), blob in sorted(self._blobs.items())
            if where is wanted and blob.written_at is not None and blob.written_at < before
        ]

    def public_url(self, name: str) -> str:
        """`public_base_url`/`name`, like the filesystem store."""
        return blob_url(self._public_base_url, name)

    def names(self, container: Container) -> list[str]:
        """The names of the blobs in `container`, sorted."""
        wanted = Container(container)
        return sorted(name for where, name in self._blobs if where is wanted)

    def blob(self, container: Container, name: str) -> StoredBlob:
        """A stored blob with its content type; raises BlobNotFound if there is none."""
        try:
            return self._blobs[_key(container, name)]
        except KeyError:
            raise BlobNotFound(f"no blob {name!r} in {Container(container).value}") from None


class InMemoryDirectBlobStore(InMemoryBlobStore):
    """InMemoryBlobStore that grants direct uploads, as the Azure store does.

    `upload` plays the browser's PUT and enforces the grant: one new blob, before it expires.
    Grants are dated by `clock`; the PUT is judged by `service_clock` (by default the same),
    as Azure judges a SAS by its own clock whatever ours says.
    """

    def __init__(
        self,
        public_base_url: str = "/media",
        *,
        clock: Clock = utcnow,
        service_clock: Clock | None = None,
        origin: str = "",
    ) -> None:
        super().__init__(public_base_url, clock=clock)
        self._service_clock = service_clock or clock
        self._origin = origin or "https://blobs.example"
        self._grants: dict[str, tuple[str, datetime]] = {}

    async def grant_upload(self, name: str, expires_in: timedelta) -> UploadGrant:
        """Leave to create quarantine blob `name` once, for at most MAX_GRANT_LIFETIME."""
        if expires_in <= timedelta(0):
            raise ValueError(f"a grant must last a while, not {expires_in}")
        expires_at = self._clock() + min(expires_in, MAX_GRANT_LIFETIME)
        url = f"{self._origin}/quarantine/{check_blob_name(name)}?sig={secrets.token_hex(8)}"
        self._grants[url] = (name, expires_at)
        return UploadGrant(url, expires_at, {"x-ms-blob-type": "BlockBlob"})

    async def stored_size(self, name: str) -> int | None:
        """The size of quarantine blob `name`, or None if there is none."""
        stored = self._blobs.get(_key(Container.QUARANTINE, name))
        return None if stored is None else len(stored.data)

    def upload_origin(self) -> str:
        """Where the grants point (no request is ever made there)."""
        return self._origin

    def upload(self, url: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """The browser's PUT with a grant; PermissionError if the grant does not allow it."""
        now = self._service_clock()
        name, expires_at = self._grants.get(url) or ("", now)
        if not name or now >= expires_at:
            raise PermissionError("the grant is unknown or has expired")
        key = _key(Container.QUARANTINE, name)
        if key in self._blobs:
            raise PermissionError(f"blob {name!r} exists; the grant allows creating it only")
        self._blobs[key] = StoredBlob(bytes(data), content_type, now)


def _key(container: Container, name: str) -> tuple[Container, str]:
    return Container(container), check_blob_name(name)
