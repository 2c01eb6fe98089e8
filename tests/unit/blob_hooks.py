"""A blob store for race tests: it runs the test's interleaving just before a rendition write."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable

from photogate.adapters.memory.blobs import InMemoryBlobStore
from photogate.domain.submission import SCANNABLE, Status
from photogate.ports import Catalog, Container

Hook = Callable[[], Awaitable[object]]


class HookedBlobStore(InMemoryBlobStore):
    """InMemoryBlobStore that awaits `before_public_put` once, just before the next write to
    the public container, and counts the writes of each public name in `public_writes`.
    """

    def __init__(self) -> None:
        super().__init__()
        self.before_public_put: Hook | None = None
        self.public_writes: Counter[str] = Counter()

    async def put(self, container: Container, name: str, data: bytes, content_type: str) -> None:
        """Run the hook first if this is the first public write since it was set, then store."""
        if container is Container.PUBLIC:
            await self._run_hook()
            self.public_writes[name] += 1
        await super().put(container, name, data, content_type)

    async def _run_hook(self) -> None:
        hook, self.before_public_put = self.before_public_put, None
        if hook is not None:
            await hook()


def twin_sending_to_people(catalog: Catalog, submission_id: str) -> Hook:
    """A redelivered twin of a scan deciding first: its screening sends the photo to people."""

    async def decide() -> object:
        return await catalog.transition(
            submission_id,
            allowed_from=SCANNABLE,
            to=Status.NEEDS_REVIEW,
            actor="screening",
            reason="a twin's screening",
        )

    return decide
