"""In-memory BlobStore for unit tests: same name rules and semantics as the real stores."""

from __future__ import annotations

from dataclasses import dataclass

from photogate.adapters.blob_names import blob_url, check_blob_name
from photogate.errors import BlobNotFound
from photogate.ports.blobs import Container


@dataclass(frozen=True)
class StoredBlob:
    """One stored blob, as a test sees it."""

    data: bytes
    content_type: str


class InMemoryBlobStore:
    """BlobStore kept in a dict; `names` and `blob` let tests look inside without awaiting."""

    def __init__(self, public_base_url: str = "/media") -> None:
        self._public_base_url = public_base_url
        self._blobs: dict[tuple[Container, str], StoredBlob] = {}

    async def put(self, container: Container, name: str, data: bytes, content_type: str) -> None:
        """Store a copy of `data` under `name`, replacing any blob of that name."""
        self._blobs[_key(container, name)] = StoredBlob(bytes(data), content_type)

    async def get(self, container: Container, name: str) -> bytes:
        """The blob's bytes; raises BlobNotFound if there is none."""
        return self.blob(container, name).data

    async def exists(self, container: Container, name: str) -> bool:
        """Whether a blob of that name is there."""
        return _key(container, name) in self._blobs

    async def delete(self, container: Container, name: str) -> None:
        """Remove the blob; a missing blob is not an error."""
        self._blobs.pop(_key(container, name), None)

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


def _key(container: Container, name: str) -> tuple[Container, str]:
    return Container(container), check_blob_name(name)
